"""Citizen councils, results pages: the staff page (plotly charts) and the public page
(bars drawn by the server, no JavaScript), both from the frozen count."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from survey.domain import council_results as results_domain
from survey.domain.consultations import get_consultation
from survey.domain.outcomes import outcome_text
from survey.errors import Conflict, NotFound
from survey.web.common import (
    PUBLIC,
    STAFF,
    access,
    language,
    path_id,
    render,
)
from survey.web.presenters.council_results import results_sections


@access(STAFF)
async def staff_results(request: Request) -> Response:
    council_id = path_id(request, "council")
    consultation = await get_consultation(council_id, path_id(request, "consultation"))
    if consultation.results is None:
        raise Conflict("council.not_closed")
    lang = language(request)
    return render(
        request,
        "staff/council_results.html",
        c=consultation,
        council_id=council_id,
        r=consultation.results,
        sections=results_sections(consultation.results, lang),
        outcome=outcome_text(consultation.results, lang),
    )


@access(PUBLIC)
async def public_results(request: Request) -> Response:
    consultation = await results_domain.published_results(path_id(request, "consultation"))
    if consultation is None or consultation.results is None:
        raise NotFound("council.results_not_published")
    lang = language(request)
    return render(
        request,
        "council/results.html",
        c=consultation,
        r=consultation.results,
        sections=results_sections(consultation.results, lang, charts=False),
        outcome=outcome_text(consultation.results, lang),
        mine=request.session.get("receipts", {}).get(str(consultation.id)),
    )


routes: list[BaseRoute] = [
    Route(
        "/staff/councils/{council}/consultations/{consultation}/results",
        staff_results,
        methods=["GET"],
    ),
    Route("/c/results/{consultation}", public_results, methods=["GET"]),
]
