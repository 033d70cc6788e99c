"""The version of countysim (also in pyproject.toml and CITATION.cff; a test keeps them equal)."""

__version__ = "0.2.0"
