"""Staff pages: login, surveys, responses and exports."""

from __future__ import annotations

import math
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from survey.domain import accounts
from survey.domain.accounts import authenticate
from survey.domain.definitions import get_definition
from survey.domain.responses import count_responses, export_csv, export_json, list_responses
from survey.domain.surveys import list_surveys
from survey.errors import Forbidden, SurveyError
from survey.web.common import (
    PUBLIC,
    STAFF,
    access,
    current_user,
    language,
    read_form,
    redirect,
    render,
    time_zone,
)


def _safe_next(target: str | None) -> str:
    """Only follow local paths after login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/staff"


@access(PUBLIC)
async def login_page(request: Request) -> Response:
    return render(
        request,
        "staff/login.html",
        email="",
        error=None,
        next=_safe_next(request.query_params.get("next")),
    )


@access(PUBLIC)
async def login_post(request: Request) -> Response:
    # Not counted by the submission limiter: a flood of residents' posts from a shared
    # address must not lock staff out; logins have their own throttle in the database.
    form = await read_form(request, rate_limited=False)
    email = str(form.get("email", ""))[:254]
    target = _safe_next(str(form.get("next", "")))
    client = request.client.host if request.client else ""
    try:
        user = await authenticate(email, str(form.get("password", ""))[:1024], client)
    except Forbidden as exc:
        return render(
            request,
            "staff/login.html",
            status_code=429,
            email=email,
            error=exc.key,
            params=exc.params,
            next=target,
        )
    if user is None:
        return render(
            request,
            "staff/login.html",
            status_code=401,
            email=email,
            error="error.login_failed",
            next=target,
        )
    # A new session at login: nothing from before (fixation) carries over.
    lang = request.session.get("lang")
    request.session.clear()
    session_id = await accounts.start_session(user)
    request.session.update({"uid": user.id, "sv": user.session_version, "sid": session_id})
    if lang:
        request.session["lang"] = lang
    return redirect(target)


@access(STAFF)
async def logout(request: Request) -> Response:
    await read_form(request)
    session_id = request.session.get("sid")
    if isinstance(session_id, str):
        await accounts.end_session(session_id)
    request.session.clear()
    return redirect("/staff/login")


@access(STAFF)
async def logout_everywhere(request: Request) -> Response:
    """End every session of this account, on every device."""
    await read_form(request)
    user = await current_user(request)
    if user is not None:
        await accounts.logout_everywhere(user)
    request.session.clear()
    return redirect("/staff/login")


@access(STAFF)
async def surveys(request: Request) -> Response:
    await current_user(request)
    return render(request, "staff/surveys.html", rows=await list_surveys())


@access(STAFF)
async def responses(request: Request) -> Response:
    await current_user(request)
    definition = await get_definition(request.path_params["slug"])
    page_text = request.query_params.get("page", "1")
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 10**6 else 1
    total = await count_responses(definition.id)
    rows = await list_responses(definition.id, page=page)
    return render(
        request,
        "staff/responses.html",
        survey=definition,
        rows=rows,
        page=page,
        pages=max(1, math.ceil(total / 50)),
        total=total,
    )


@access(STAFF)
async def export(request: Request) -> Response:
    definition = await get_definition(request.path_params["slug"])
    fmt = request.query_params.get("format", "csv")
    name = quote(definition.slug)
    if fmt == "csv":
        return StreamingResponse(
            export_csv(definition, language(request), time_zone(request)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if fmt == "json":
        return StreamingResponse(
            export_json(definition, time_zone(request)),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
        )
    raise SurveyError("error.bad_format")
