"""Paper questionnaires typed in by staff, one after the other."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from survey import localtime
from survey.domain import paper
from survey.domain.builder import Invalid
from survey.domain.definitions import get_definition
from survey.domain.paper import PaperEntry
from survey.domain.staff_forms import Unread
from survey.web import resident
from survey.web.common import (
    STAFF,
    access,
    current_user,
    language,
    read_form,
    redirect,
    render,
    time_zone,
)


def paper_entry(form: FormData) -> PaperEntry:
    """The paper entry form: the answers as typed, the form's key, the language."""
    typed = str(form.get("key", ""))
    try:
        key: uuid.UUID | Unread = uuid.UUID(typed)
    except ValueError:
        key = Unread(typed)
    return PaperEntry(resident.raw_answers(form), key, str(form.get("language", "fr")))


def _slug(request: Request) -> str:
    return str(request.path_params["slug"])


async def _paper_page(
    request: Request,
    *,
    raw: dict[str, list[str]] | None = None,
    errors: Any = None,
    status: int = 200,
    saved: bool = False,
) -> Response:
    definition = await get_definition(_slug(request))
    return render(
        request,
        "staff/paper.html",
        status_code=status,
        survey=definition,
        raw=raw or {},
        errors=errors or {},
        key=str(uuid.uuid4()),
        saved=saved,
        hints=paper.paper_hints(definition, language(request)),
        other="__other__",
        count=await paper.count_paper(definition),
    )


@access(STAFF)
async def paper_page(request: Request) -> Response:
    await current_user(request)
    return await _paper_page(request, saved=request.query_params.get("saved") == "1")


@access(STAFF)
async def paper_post(request: Request) -> Response:
    """One paper questionnaire typed in; then a fresh form for the next one."""
    form = await read_form(request)
    definition = await get_definition(_slug(request))
    entry = paper_entry(form)
    try:
        await paper.submit_paper(definition, entry, today=localtime.today(time_zone(request)))
    except Invalid as invalid:
        return await _paper_page(request, raw=entry.answers, errors=invalid.errors, status=422)
    # The receipt is the resident's: staff who typed the paper in are not given it.
    return redirect(f"/staff/surveys/{definition.slug}/paper?saved=1")


routes: list[BaseRoute] = [
    Route("/staff/surveys/{slug}/paper", paper_page, methods=["GET"]),
    Route("/staff/surveys/{slug}/paper", paper_post, methods=["POST"]),
]
