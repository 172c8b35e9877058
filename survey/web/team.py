"""The team page: administrators add staff accounts, reset passwords, deactivate accounts."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from survey.domain import accounts
from survey.errors import SurveyError
from survey.web.common import ADMIN, access, current_user, read_form, redirect, render

# Which field of the "add" form each refusal belongs next to.
_ADD_FIELD = {
    "error.email_invalid": "email",
    "error.email_taken": "email",
    "error.password_short": "password",
    "error.role_invalid": "role",
}
_DONE = {"create", "password", "deactivate"}


async def _page(request: Request, status_code: int = 200, **context: Any) -> Response:
    user = await current_user(request)
    context.setdefault("add", {"email": "", "role": "staff"})
    context.setdefault("add_errors", {})
    context.setdefault("row_error", None)
    done = request.query_params.get("done")
    return render(
        request,
        "staff/team.html",
        status_code=status_code,
        accounts=await accounts.list_accounts(),
        events=await accounts.team_events(),
        me=user.email if user else "",
        done=done if done in _DONE else None,
        **context,
    )


def _actor(request: Request) -> str:
    return str(request.state.user.email)


@access(ADMIN)
async def team(request: Request) -> Response:
    return await _page(request)


@access(ADMIN)
async def add(request: Request) -> Response:
    form = await read_form(request)
    email = str(form.get("email", ""))[:254]
    role = str(form.get("role", ""))[:16]
    try:
        await accounts.add_account(
            email, str(form.get("password", ""))[:1024], role, actor=_actor(request)
        )
    except SurveyError as exc:
        field = _ADD_FIELD.get(exc.key, "email")
        return await _page(
            request,
            status_code=422,
            add={"email": email, "role": role},
            add_errors={field: exc},
        )
    return redirect("/staff/team?done=create")


@access(ADMIN)
async def reset_password(request: Request) -> Response:
    form = await read_form(request)
    email = str(form.get("email", ""))[:254]
    try:
        await accounts.reset_password(
            email, str(form.get("password", ""))[:1024], actor=_actor(request)
        )
    except SurveyError as exc:
        return await _page(request, status_code=422, row_error={"email": email, "error": exc})
    if email.strip().lower() == _actor(request):
        # One's own password changed: this session ended with the others.
        request.session.clear()
        return redirect("/staff/login")
    return redirect("/staff/team?done=password")


@access(ADMIN)
async def deactivate(request: Request) -> Response:
    form = await read_form(request)
    email = str(form.get("email", ""))[:254]
    try:
        await accounts.deactivate_account(email, actor=_actor(request))
    except SurveyError as exc:
        return await _page(request, status_code=422, row_error={"email": email, "error": exc})
    return redirect("/staff/team?done=deactivate")


routes = [
    Route("/staff/team", team, methods=["GET"]),
    Route("/staff/team", add, methods=["POST"]),
    Route("/staff/team/password", reset_password, methods=["POST"]),
    Route("/staff/team/deactivate", deactivate, methods=["POST"]),
]
