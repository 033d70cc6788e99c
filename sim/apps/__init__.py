"""Layer 6, applications: the ``countysim`` command line and the interactive explorer."""
