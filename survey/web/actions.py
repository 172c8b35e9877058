"""The action list (need → decision → responsible → status) and the council dashboard:
staff pages that work without JavaScript."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from survey.domain.actions import (
    STATUSES,
    ActionDraft,
    InvalidAction,
    action_page,
    council_dashboard,
    create_action,
    decision_draft,
    draft_of,
    get_action,
    list_actions,
    need_draft,
    update_action,
)
from survey.domain.forms import FieldError
from survey.domain.staff_forms import ID, Unread, typed_day
from survey.enums import ActionStatus
from survey.web.common import STAFF, access, path_id, read_form, redirect, render

# The fields of the action form, in the order of the page (for the error summary).
FIELDS = ("title", "decision", "responsible", "status", "due_date", "survey", "notes")
# The draft's attributes that the form names otherwise.
_FIELD_OF = {"survey_id": "survey"}


def _fields(form: Any) -> dict[str, str]:
    return {k: str(v) for k, v in form.items() if k != "csrf"}


def _id(text: str) -> int | None:
    text = text.strip()
    return int(text) if ID.match(text) else None


def _survey(text: str) -> int | Unread | None:
    text = text.strip()
    if not text:
        return None
    return int(text) if ID.match(text) else Unread(text)


def _draft(form: dict[str, str]) -> ActionDraft:
    """The action form as a draft: what could not be read is kept as ``Unread``, for the
    domain to say so next to its field."""
    status = form.get("status", "").strip()
    return ActionDraft(
        title=form.get("title", ""),
        status=ActionStatus(status) if status in STATUSES else None,
        decision=form.get("decision", ""),
        responsible=form.get("responsible", ""),
        notes=form.get("notes", ""),
        due_date=typed_day(form.get("due_date", "")),
        survey_id=_survey(form.get("survey", "")),
        need_id=_id(form.get("need_id", "")),
        consultation_id=_id(form.get("consultation_id", "")),
    )


def _shown(value: object) -> str:
    """A draft's value as its field shows it."""
    if value is None:
        return ""
    if isinstance(value, Unread):
        return value.text
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _form_of(draft: ActionDraft) -> dict[str, str]:
    """The form's fields filled from a draft (the inverse of ``_draft``)."""
    return {
        "title": draft.title,
        "decision": draft.decision,
        "responsible": draft.responsible,
        "status": _shown(draft.status),
        "due_date": _shown(draft.due_date),
        "survey": _shown(draft.survey_id),
        "need_id": _shown(draft.need_id),
        "consultation_id": _shown(draft.consultation_id),
        "notes": draft.notes,
    }


def _field_errors(exc: InvalidAction) -> dict[str, FieldError]:
    return {_FIELD_OF.get(name, name): error for name, error in exc.errors.items()}


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
        page=await action_page(
            consultation_id=_id(form.get("consultation_id", "")),
            need_id=_id(form.get("need_id", "")),
        ),
        statuses=STATUSES,
        fields=FIELDS,
    )


@access(STAFF)
async def actions_page(request: Request) -> Response:
    params = request.query_params
    # Unknown filter values (a stale bookmark) show every action rather than an error.
    status = params.get("status", "")
    listing = await list_actions(
        _id(params.get("survey", "")), ActionStatus(status) if status in STATUSES else None
    )
    return render(request, "staff/actions.html", listing=listing, statuses=STATUSES)


@access(STAFF)
async def action_new(request: Request) -> Response:
    params = request.query_params
    if "need" in params:
        draft = await need_draft(_id(params["need"]))
    else:
        draft = await decision_draft(
            _id(params.get("consultation", "")), _id(params.get("option", ""))
        )
    return await _form_page(request, _form_of(draft))


@access(STAFF)
async def action_create(request: Request) -> Response:
    form = _fields(await read_form(request))
    try:
        action = await create_action(_draft(form))
    except InvalidAction as exc:
        return await _form_page(request, form, errors=_field_errors(exc), status=422)
    return redirect(f"/staff/actions?saved={action.id}#a-{action.id}")


@access(STAFF)
async def action_edit(request: Request) -> Response:
    action = await get_action(path_id(request, "id"))
    return await _form_page(request, _form_of(draft_of(action)), action_id=action.id)


@access(STAFF)
async def action_update(request: Request) -> Response:
    form = _fields(await read_form(request))
    action_id = path_id(request, "id")
    try:
        await update_action(action_id, _draft(form))
    except InvalidAction as exc:
        errors = _field_errors(exc)
        return await _form_page(request, form, action_id=action_id, errors=errors, status=422)
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
