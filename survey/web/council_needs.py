"""Routes of the council_needs area."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
