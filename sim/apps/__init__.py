"""Layer 6, applications: the ``countysim`` command line and the interactive explorer.

:mod:`.geomap` adds a mesa-geo map of the model for Mesa's SolaraViz (geo extra).
"""
