"""The import contract that keeps Starlette and Jinja2 in the web layer names every other
module of ``survey``: a module added beside them without being listed would escape it."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The web layer itself, and folders that hold no Python package of ours.
WEB_LAYER = {"survey.web", "survey.app"}
NOT_PACKAGES = {"survey.migrations", "survey.locale", "survey.static"}


def _kept_from_the_web_framework() -> set[str]:
    """The source modules of the contract forbidding Starlette and Jinja2."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    found = [c for c in contracts if set(c.get("forbidden_modules", ())) == {"starlette", "jinja2"}]
    assert len(found) == 1
    return set(found[0]["source_modules"])


def test_web_framework_contract_lists_every_module_outside_the_web_layer() -> None:
    modules = {
        f"survey.{path.stem}"
        for path in (ROOT / "survey").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and not path.name.startswith("__"))
    }
    listed = _kept_from_the_web_framework()
    assert modules - WEB_LAYER - NOT_PACKAGES - listed == set()
    assert listed & WEB_LAYER == set()
