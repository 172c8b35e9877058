"""Citizen councils: every route of the staff pages, the members' pages and the results."""

from __future__ import annotations

from starlette.routing import BaseRoute

from survey.web import council_polis, council_results, council_staff, council_vote

routes: list[BaseRoute] = [
    *council_staff.routes,
    *council_polis.routes,
    *council_vote.routes,
    *council_results.routes,
]
