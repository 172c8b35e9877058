"""Ballot options from the needs found in a survey's free-text answers (staff pages)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from survey.domain.councils import InvalidForm
from survey.domain.forms import RawForm
from survey.domain.needs_ballot import NeedsPick, create_options_from_needs, needs_for_ballot
from survey.web.common import (
    STAFF,
    access,
    current_user,
    form_values,
    path_id,
    read_form,
    redirect,
    render,
)


def needs_pick(raw: RawForm) -> NeedsPick:
    """The needs page's survey, question and ticked needs, as sent."""

    def first(name: str) -> str:
        return (raw.get(name) or [""])[0].strip()

    return NeedsPick(first("survey"), first("question"), tuple(raw.get("need", [])))


@access(STAFF)
async def needs_page(request: Request) -> Response:
    choice = await needs_for_ballot(
        path_id(request, "council"),
        path_id(request, "consultation"),
        needs_pick(form_values(request.query_params)),
    )
    return render(request, "staff/council_needs.html", choice=choice)


@access(STAFF)
async def needs_post(request: Request) -> Response:
    pick = needs_pick(form_values(await read_form(request)))
    council_id, consultation_id = path_id(request, "council"), path_id(request, "consultation")
    user = await current_user(request)
    try:
        await create_options_from_needs(
            council_id, consultation_id, pick, actor=user.email if user else ""
        )
    except InvalidForm as exc:
        choice = await needs_for_ballot(council_id, consultation_id, pick, exc.errors)
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
