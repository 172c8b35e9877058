"""Stratified draw of a council's panel among a survey's volunteers (staff pages)."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from survey.domain.councils import InvalidForm
from survey.domain.forms import RawForm
from survey.domain.sortition import draw_report, draw_sortition, plan_sortition
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
async def sortition_page(request: Request) -> Response:
    plan = await plan_sortition(_id(request, "council"), _raw(request.query_params))
    # A new key per form shown: posting the same form twice draws once.
    return render(request, "staff/sortition.html", plan=plan, key=str(uuid.uuid4()))


@access(STAFF)
async def sortition_draw(request: Request) -> Response:
    raw = _raw(await read_form(request))
    council_id = _id(request, "council")
    user = await current_user(request)
    try:
        draw = await draw_sortition(council_id, raw, actor=user.email if user else "")
    except InvalidForm as exc:
        plan = await plan_sortition(council_id, raw, exc.errors)
        key = (raw.get("key") or [""])[0] or str(uuid.uuid4())
        return render(request, "staff/sortition.html", status_code=422, plan=plan, key=key)
    return redirect(f"/staff/councils/{council_id}/sortition/{draw.id}")


@access(STAFF)
async def sortition_result(request: Request) -> Response:
    report = await draw_report(_id(request, "council"), _id(request, "run"))
    return render(request, "staff/sortition_draw.html", report=report)


routes: list[BaseRoute] = [
    Route("/staff/councils/{council}/sortition", sortition_page, methods=["GET"]),
    Route("/staff/councils/{council}/sortition", sortition_draw, methods=["POST"]),
    Route("/staff/councils/{council}/sortition/{run}", sortition_result, methods=["GET"]),
]
