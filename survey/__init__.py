"""Parlons web app: surveys, needs analysis, citizen councils and dashboards."""

# The one place the version is written: the build reads it, ``parlons --version`` prints it.
__version__ = "0.1.0"
