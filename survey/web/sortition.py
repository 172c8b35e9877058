"""Stratified draw of a council's panel among a survey's volunteers (staff pages)."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from survey.domain.councils import InvalidForm
from survey.domain.sortition import draw_report, draw_sortition, queued_draw
from survey.domain.sortition_plan import plan_sortition
from survey.i18n import LANGUAGES
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


@access(STAFF)
async def sortition_page(request: Request) -> Response:
    plan = await plan_sortition(path_id(request, "council"), form_values(request.query_params))
    # A new key per form shown: posting the same form twice draws once.
    return render(request, "staff/sortition.html", plan=plan, key=str(uuid.uuid4()))


@access(STAFF)
async def sortition_draw(request: Request) -> Response:
    raw = form_values(await read_form(request))
    council_id = path_id(request, "council")
    user = await current_user(request)
    try:
        draw = await draw_sortition(
            council_id, raw, actor=user.email if user else "", queue_slow=True
        )
    except InvalidForm as exc:
        plan = await plan_sortition(council_id, raw, exc.errors)
        key = (raw.get("key") or [""])[0] or str(uuid.uuid4())
        return render(request, "staff/sortition.html", status_code=422, plan=plan, key=key)
    if isinstance(draw, uuid.UUID):  # a slow draw, left to the job queue
        lang = request.query_params.get("lang")
        query = f"?lang={lang}" if lang in LANGUAGES else ""
        return redirect(f"/staff/councils/{council_id}/sortition/queued/{draw}{query}")
    return redirect(f"/staff/councils/{council_id}/sortition/{draw.id}")


@access(STAFF)
async def sortition_queued(request: Request) -> Response:
    """A queued draw: wait (a refresh link; with JavaScript the page reloads itself), then
    the report or the form's errors."""
    council_id = path_id(request, "council")
    status = await queued_draw(council_id, str(request.path_params.get("key", ""))[:64])
    if status.draw_id is not None:
        return redirect(f"/staff/councils/{council_id}/sortition/{status.draw_id}")
    if status.errors:
        # The form again, with what was typed and a new key: sending it is a new request.
        plan = await plan_sortition(council_id, status.raw, status.errors)
        key = str(uuid.uuid4())
        return render(request, "staff/sortition.html", status_code=422, plan=plan, key=key)
    return render(request, "staff/sortition_queued.html", council_id=council_id, state=status.state)


@access(STAFF)
async def sortition_result(request: Request) -> Response:
    report = await draw_report(path_id(request, "council"), path_id(request, "run"))
    return render(request, "staff/sortition_draw.html", report=report)


routes: list[BaseRoute] = [
    Route("/staff/councils/{council}/sortition", sortition_page, methods=["GET"]),
    Route("/staff/councils/{council}/sortition", sortition_draw, methods=["POST"]),
    Route("/staff/councils/{council}/sortition/{run}", sortition_result, methods=["GET"]),
    Route("/staff/councils/{council}/sortition/queued/{key}", sortition_queued, methods=["GET"]),
]
