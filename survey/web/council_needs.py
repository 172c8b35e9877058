"""Ballot options from the needs found in a survey's free-text answers (staff pages)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from survey.domain.councils import InvalidForm
from survey.domain.forms import RawForm
from survey.domain.sortition import create_options_from_needs, needs_for_ballot
from survey.errors import NotFound
from survey.web.common import STAFF, access, current_user, read_form, redirect, render


def _id(request: Request, name: str) -> int:
    text = str(request.path_params.get(name, ""))
    if not text.isdigit() or len(text) > 9:
        raise NotFound("error.not_found")
    return int(text)


def _raw(form: Any) -> RawForm:
    return {k: [str(v) for v in form.getlist(k)] for k in form.keys() if k != "csrf"}


@access(STAFF)
async def needs_page(request: Request) -> Response:
    choice = await needs_for_ballot(
        _id(request, "council"), _id(request, "consultation"), _raw(request.query_params)
    )
    return render(request, "staff/council_needs.html", choice=choice)


@access(STAFF)
async def needs_post(request: Request) -> Response:
    raw = _raw(await read_form(request))
    council_id, consultation_id = _id(request, "council"), _id(request, "consultation")
    user = await current_user(request)
    try:
        await create_options_from_needs(
            council_id, consultation_id, raw, actor=user.email if user else ""
        )
    except InvalidForm as exc:
        choice = await needs_for_ballot(council_id, consultation_id, raw, exc.errors)
        return render(request, "staff/council_needs.html", status_code=422, choice=choice)
    return redirect(f"/staff/councils/{council_id}/consultations/{consultation_id}#options")


routes: list[BaseRoute] = [
    Route(
        "/staff/councils/{council}/consultations/{consultation}/from-needs",
        needs_page,
        methods=["GET"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/from-needs",
        needs_post,
        methods=["POST"],
    ),
]
