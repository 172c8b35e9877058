"""Where the files Parlons reads at run time live, found through the import system.

The repository keeps ``templates/`` and ``fixtures/`` at its root; the build configuration
maps them to the packages ``survey.templates`` and ``survey.fixtures`` (``pyproject.toml``),
so an installed wheel and an editable install find them the same way. A leaf: imports
nothing of survey.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# "survey", spelt once; the data packages are named after it.
_PACKAGE = __name__.rpartition(".")[0]


def package_dir(package: str) -> Path:
    """The folder of an installed package (wheels install unzipped, so it is a real folder)."""
    root = files(package)
    if not isinstance(root, Path):
        raise RuntimeError(f"{package} is not installed as a folder: {root!r}")
    return root


def templates_dir() -> Path:
    """The Jinja2 templates (``templates/`` in the repository)."""
    return package_dir(f"{_PACKAGE}.templates")


def fixtures_dir() -> Path:
    """Demo data and the survey templates staff start from (``fixtures/``)."""
    return package_dir(f"{_PACKAGE}.fixtures")


def static_dir() -> Path:
    return package_dir(_PACKAGE) / "static"


def locale_dir() -> Path:
    return package_dir(_PACKAGE) / "locale"


def migrations_dir() -> Path:
    return package_dir(_PACKAGE) / "migrations"
