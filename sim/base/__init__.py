"""Layer 0, the base: what every other layer may use, importing nothing of countysim.

* :mod:`.errors`: :class:`InputError`, the one exception for bad user input;
* :mod:`.tomlfile`: reading TOML files with one-line errors;
* :mod:`.sources`: the packaged data of ``sim/data/`` (provenance in its README).
"""
