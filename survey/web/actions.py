"""The action list (need → decision → responsible → status) and the council dashboard:
staff pages that work without JavaScript."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from survey.domain.actions import (
    FIELDS,
    STATUSES,
    InvalidAction,
    action_form,
    action_page,
    council_dashboard,
    create_action,
    decision_form,
    get_action,
    list_actions,
    need_form,
    update_action,
)
from survey.domain.forms import FieldError
from survey.web.common import STAFF, access, path_id, read_form, redirect, render


def _fields(form: Any) -> dict[str, str]:
    return {k: str(v) for k, v in form.items() if k != "csrf"}


async def _form_page(
    request: Request,
    form: dict[str, str],
    *,
    action_id: int | None = None,
    errors: dict[str, FieldError] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "staff/actions_form.html",
        status_code=status,
        form=form,
        errors=errors or {},
        action_id=action_id,
        page=await action_page(form),
        statuses=STATUSES,
        fields=FIELDS,
    )


@access(STAFF)
async def actions_page(request: Request) -> Response:
    params = request.query_params
    listing = await list_actions(params.get("survey", ""), params.get("status", ""))
    return render(request, "staff/actions.html", listing=listing, statuses=STATUSES)


@access(STAFF)
async def action_new(request: Request) -> Response:
    params = request.query_params
    if "need" in params:
        form = await need_form(params["need"])
    else:
        form = await decision_form(params.get("consultation", ""), params.get("option", ""))
    return await _form_page(request, form)


@access(STAFF)
async def action_create(request: Request) -> Response:
    form = _fields(await read_form(request))
    try:
        action = await create_action(form)
    except InvalidAction as exc:
        return await _form_page(request, form, errors=exc.errors, status=422)
    return redirect(f"/staff/actions?saved={action.id}#a-{action.id}")


@access(STAFF)
async def action_edit(request: Request) -> Response:
    action = await get_action(path_id(request, "id"))
    return await _form_page(request, action_form(action), action_id=action.id)


@access(STAFF)
async def action_update(request: Request) -> Response:
    form = _fields(await read_form(request))
    action_id = path_id(request, "id")
    try:
        await update_action(action_id, form)
    except InvalidAction as exc:
        return await _form_page(request, form, action_id=action_id, errors=exc.errors, status=422)
    return redirect(f"/staff/actions?saved={action_id}#a-{action_id}")


@access(STAFF)
async def dashboard_page(request: Request) -> Response:
    dashboard = await council_dashboard(path_id(request, "council"))
    return render(request, "staff/council_dashboard.html", dashboard=dashboard)


routes: list[BaseRoute] = [
    Route("/staff/actions", actions_page, methods=["GET"]),
    Route("/staff/actions", action_create, methods=["POST"]),
    # Before "/staff/actions/{id}", which would otherwise take "new".
    Route("/staff/actions/new", action_new, methods=["GET"]),
    Route("/staff/actions/{id}", action_edit, methods=["GET"]),
    Route("/staff/actions/{id}", action_update, methods=["POST"]),
    Route("/staff/councils/{council}/dashboard", dashboard_page, methods=["GET"]),
]
