"""Citizen councils, staff pages: councils, members and their codes, consultations and
their options, opening and closing, paper ballots, Pol.is imports (no JavaScript needed)."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any
from zoneinfo import ZoneInfo

import segno
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from analysis.voting import METHODS
from analysis.voting.base import format_amount
from analysis.voting.majority_judgment import GRADES_BEST_FIRST
from survey import localtime
from survey.domain import council_polis
from survey.domain import council_results as results_domain
from survey.domain.consultation_options import (
    OptionDraft,
    add_option,
    moderate_statement,
    option_overview,
    remove_option,
    update_option,
)
from survey.domain.consultations import (
    ConsultationDraft,
    consultation_overview,
    council_overview,
    create_consultation,
    draft_errors,
    open_consultation,
    parse_amount,
    parse_count,
    publish_results,
)
from survey.domain.council_ballots import (
    parse_ballot,
    record_paper_ballot,
)
from survey.domain.councils import (
    InvalidForm,
    NewCouncil,
    NewMember,
    add_member,
    create_council,
    list_councils,
    remove_member,
)
from survey.domain.forms import FieldError, RawForm
from survey.errors import Conflict, SurveyError
from survey.web.common import (
    MEMBER_LOGIN,
    STAFF,
    access,
    current_user,
    form_values,
    language,
    path_id,
    read_form,
    redirect,
    render,
    time_zone,
)
from survey.web.presenters.council_audit import audit_details


def _fields(form: Any) -> dict[str, str]:
    return {k: str(v) for k, v in form.items() if k != "csrf"}


# The consultation form's fields, in the order its errors are listed.
_CONSULTATION_FIELDS = (
    "title",
    "description",
    "method",
    "opens_at",
    "closes_at",
    "quorum",
    "budget",
)


def _consultation_draft(
    form: dict[str, str], zone: ZoneInfo
) -> tuple[ConsultationDraft, dict[str, FieldError]]:
    """The consultation form as a draft, moments typed in the instance's zone; errors for
    the moments that could not be read."""
    errors: dict[str, FieldError] = {}
    moments: dict[str, dt.datetime | None] = {}
    for name in ("opens_at", "closes_at"):
        text = form.get(name, "").strip()
        moments[name] = localtime.parse_typed(text, zone) if text else None
        if text and moments[name] is None:
            errors[name] = FieldError("council.date_invalid", {})
    draft = ConsultationDraft(
        title=form.get("title", ""),
        method=form.get("method", ""),
        description=form.get("description", ""),
        opens_at=moments["opens_at"],
        closes_at=moments["closes_at"],
        quorum=parse_count(form.get("quorum", "").strip() or "0"),
        secret=form.get("secret") == "1",
        allow_change=form.get("allow_change") == "1",
        budget=parse_amount(form.get("budget", "")),
    )
    return draft, errors


def _option_draft(form: dict[str, str]) -> OptionDraft:
    cost = form.get("cost", "")
    return OptionDraft(
        title=form.get("title", ""),
        description=form.get("description", ""),
        cost=parse_amount(cost) if cost else None,
    )


async def _actor(request: Request) -> str:
    user = await current_user(request)
    return user.email if user else ""


def _staff_base(council_id: int) -> str:
    return f"/staff/councils/{council_id}"


def _consultation_ids(request: Request) -> tuple[int, int]:
    """The council and consultation of a consultation page's path."""
    return path_id(request, "council"), path_id(request, "consultation")


def _consultation_url(council_id: int, consultation_id: int) -> str:
    return f"{_staff_base(council_id)}/consultations/{consultation_id}"


async def _consultation_view(
    request: Request,
    template: str,
    *,
    errors: dict[str, FieldError] | None = None,
    status: int = 200,
    **context: Any,
) -> Response:
    """A staff page of the consultation in the path: its overview as ``o``, the
    consultation as ``c``, and the form's errors."""
    overview = await consultation_overview(*_consultation_ids(request))
    return render(
        request,
        template,
        status_code=status,
        o=overview,
        c=overview.consultation,
        errors=errors or {},
        **context,
    )


# -------------------------------------------------------------------------- staff pages


@access(STAFF)
async def councils_page(request: Request) -> Response:
    return render(request, "staff/councils.html", rows=await list_councils(), form={}, errors={})


@access(STAFF)
async def council_create(request: Request) -> Response:
    form = _fields(await read_form(request))
    try:
        council = await create_council(
            NewCouncil(form.get("name", ""), form.get("description", "")),
            actor=await _actor(request),
        )
    except InvalidForm as exc:
        return render(
            request,
            "staff/councils.html",
            status_code=422,
            rows=await list_councils(),
            form=form,
            errors=exc.errors,
        )
    return redirect(_staff_base(council.id))


async def _council_page(
    request: Request,
    council_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
    status: int = 200,
) -> Response:
    overview = await council_overview(council_id, language=language(request))
    return render(
        request,
        "staff/council.html",
        status_code=status,
        overview=overview,
        member_rows=overview.member_rows,
        form=form or {},
        errors=errors or {},
        link_base=str(request.base_url).rstrip("/"),
    )


@access(STAFF)
async def council_page(request: Request) -> Response:
    return await _council_page(request, path_id(request, "council"))


@access(STAFF)
async def member_add(request: Request) -> Response:
    form = _fields(await read_form(request))
    council_id = path_id(request, "council")
    try:
        await add_member(
            council_id,
            NewMember(
                form.get("name", ""),
                email=form.get("email", ""),
                phone=form.get("phone", ""),
                territory=form.get("territory", ""),
                strata=form.get("strata", ""),
            ),
            actor=await _actor(request),
        )
    except InvalidForm as exc:
        return await _council_page(request, council_id, form=form, errors=exc.errors, status=422)
    return redirect(_staff_base(council_id) + "#members")


@access(STAFF)
async def member_remove(request: Request) -> Response:
    await read_form(request)
    council_id = path_id(request, "council")
    await remove_member(council_id, path_id(request, "member"), actor=await _actor(request))
    return redirect(_staff_base(council_id) + "#members")


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=3, border=2)


@access(STAFF)
async def codes_sheet(request: Request) -> Response:
    overview = await council_overview(path_id(request, "council"))
    base = str(request.base_url).rstrip("/")
    sheets = [
        {
            "member": m,
            "link": f"{base}/c/k/{m.token}",
            "qr": _qr_svg(f"{base}/c/k/{m.token}"),
        }
        for m in overview.members
    ]
    return render(
        request,
        "staff/council_codes.html",
        council=overview.council,
        sheets=sheets,
        login_url=f"{base}{MEMBER_LOGIN}",
    )


@access(STAFF)
async def consultation_new(request: Request) -> Response:
    overview = await council_overview(path_id(request, "council"))
    return render(
        request,
        "staff/council_consultation_new.html",
        council=overview.council,
        # Members may change their vote until closing unless staff untick it.
        form={"secret": "1", "allow_change": "1"},
        errors={},
        methods=METHODS.names(),
    )


@access(STAFF)
async def consultation_create(request: Request) -> Response:
    form = _fields(await read_form(request))
    council_id = path_id(request, "council")
    draft, errors = _consultation_draft(form, time_zone(request))
    errors |= {k: v for k, v in draft_errors(draft).items() if k not in errors}
    try:
        if errors:
            raise InvalidForm({k: errors[k] for k in _CONSULTATION_FIELDS if k in errors})
        consultation = await create_consultation(council_id, draft, actor=await _actor(request))
    except InvalidForm as exc:
        overview = await council_overview(council_id)
        return render(
            request,
            "staff/council_consultation_new.html",
            status_code=422,
            council=overview.council,
            form=form,
            errors=exc.errors,
            methods=METHODS.names(),
        )
    return redirect(_consultation_url(council_id, consultation.id))


async def _consultation_page(
    request: Request,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    return await _consultation_view(
        request,
        "staff/council_consultation.html",
        errors=errors,
        status=status,
        form=form or {},
        notice=notice,
        format_amount=format_amount,
        polis=await council_polis.imported_counts(path_id(request, "consultation")),
        audit_details=functools.partial(audit_details, lang=language(request)),
    )


@access(STAFF)
async def consultation_page(request: Request) -> Response:
    return await _consultation_page(request)


@access(STAFF)
async def option_add(request: Request) -> Response:
    form = _fields(await read_form(request))
    council_id, consultation_id = _consultation_ids(request)
    try:
        await add_option(
            council_id, consultation_id, _option_draft(form), actor=await _actor(request)
        )
    except InvalidForm as exc:
        return await _consultation_page(request, form=form, errors=exc.errors, status=422)
    except Conflict as exc:
        return await _consultation_page(request, form=form, notice=exc.key, status=409)
    return redirect(f"{_consultation_url(council_id, consultation_id)}#options")


async def _option_page(
    request: Request,
    *,
    form: dict[str, str] | None = None,
    kept: list[str] | None = None,
    errors: dict[str, FieldError] | None = None,
    status: int = 200,
) -> Response:
    page = await option_overview(*_consultation_ids(request), path_id(request, "id"))
    overview, option = page.consultation, page.option
    if form is None:
        form = {"title": option.title, "description": option.description}
        if option.cost is not None:
            form["cost"] = format_amount(option.cost)
    return render(
        request,
        "staff/council_option.html",
        status_code=status,
        o=overview,
        c=overview.consultation,
        option=option,
        need_name=page.need_name,
        form=form,
        kept=kept if kept is not None else [str(i) for i in range(len(option.quotes))],
        errors=errors or {},
    )


@access(STAFF)
async def option_edit_page(request: Request) -> Response:
    return await _option_page(request)


@access(STAFF)
async def option_update(request: Request) -> Response:
    raw = form_values(await read_form(request))
    council_id, consultation_id = _consultation_ids(request)
    form = {k: v[0] for k, v in raw.items() if k in ("title", "description", "cost") and v}
    kept = raw.get("quote", [])
    try:
        await update_option(
            council_id,
            consultation_id,
            path_id(request, "id"),
            _option_draft(form),
            [int(k) for k in kept if k.isdigit() and len(k) < 6],
            actor=await _actor(request),
        )
    except InvalidForm as exc:
        return await _option_page(request, form=form, kept=kept, errors=exc.errors, status=422)
    except Conflict as exc:
        return await _consultation_page(request, notice=exc.key, status=409)
    return redirect(f"{_consultation_url(council_id, consultation_id)}#options")


@access(STAFF)
async def option_remove(request: Request) -> Response:
    await read_form(request)
    council_id, consultation_id = _consultation_ids(request)
    try:
        await remove_option(
            council_id, consultation_id, path_id(request, "id"), actor=await _actor(request)
        )
    except Conflict as exc:
        return await _consultation_page(request, notice=exc.key, status=409)
    return redirect(f"{_consultation_url(council_id, consultation_id)}#options")


_STATE_ACTIONS = {
    "open": open_consultation,
    "close": results_domain.close_consultation,
    "publish": publish_results,
}


@access(STAFF)
async def close_page(request: Request) -> Response:
    """What closing does, and the box to tick before closing for good."""
    return await _consultation_view(request, "staff/council_close.html")


@access(STAFF)
async def consultation_state(request: Request) -> Response:
    form = await read_form(request)
    council_id, consultation_id = _consultation_ids(request)
    name = str(form.get("action", ""))
    action = _STATE_ACTIONS.get(name)
    if action is None:
        raise SurveyError("error.bad_form")
    if name == "close" and form.get("confirm") != "1":
        # Closing cannot be undone: it needs the box of the confirmation page ticked.
        return await _consultation_view(
            request,
            "staff/council_close.html",
            errors={"confirm": FieldError("decide.close_confirm_required", {})},
            status=422,
        )
    try:
        await action(council_id, consultation_id, actor=await _actor(request))
    except Conflict as exc:
        return await _consultation_page(request, notice=exc.key, status=409)
    return redirect(_consultation_url(council_id, consultation_id))


@access(STAFF)
async def statement_moderate(request: Request) -> Response:
    form = await read_form(request)
    council_id, consultation_id = _consultation_ids(request)
    decision = str(form.get("decision", ""))
    if decision not in ("approve", "reject"):
        raise SurveyError("error.bad_form")
    await moderate_statement(
        council_id,
        consultation_id,
        path_id(request, "id"),
        approve=decision == "approve",
        actor=await _actor(request),
    )
    return redirect(f"{_consultation_url(council_id, consultation_id)}#statements")


async def _paper_page(
    request: Request,
    *,
    raw: RawForm | None = None,
    errors: dict[str, FieldError] | None = None,
    notice: str | None = None,
    receipt: str | None = None,
    status: int = 200,
) -> Response:
    return await _consultation_view(
        request,
        "staff/council_paper.html",
        errors=errors,
        status=status,
        raw=raw or {},
        notice=notice,
        receipt=receipt,
        grades=GRADES_BEST_FIRST,
        format_amount=format_amount,
        action=f"{_consultation_url(*_consultation_ids(request))}/paper",
    )


@access(STAFF)
async def paper_page(request: Request) -> Response:
    return await _paper_page(request)


@access(STAFF)
async def paper_post(request: Request) -> Response:
    raw = form_values(await read_form(request))
    council_id, consultation_id = _consultation_ids(request)
    overview = await consultation_overview(council_id, consultation_id)
    consultation = overview.consultation
    marks, errors = parse_ballot(
        consultation.method, overview.options, raw, budget=consultation.budget
    )
    member_text = (raw.get("member") or [""])[0]
    member_id = int(member_text) if member_text.isdigit() and len(member_text) < 10 else None
    if errors:
        return await _paper_page(request, raw=raw, errors=errors, status=422)
    try:
        receipt = await record_paper_ballot(
            council_id, consultation_id, member_id, marks, actor=await _actor(request)
        )
    except InvalidForm as exc:
        return await _paper_page(request, raw=raw, errors=exc.errors, status=422)
    except Conflict as exc:
        return await _paper_page(request, raw=raw, notice=exc.key, status=409)
    return await _paper_page(request, receipt=receipt)


routes: list[BaseRoute] = [
    Route("/staff/councils", councils_page, methods=["GET"]),
    Route("/staff/councils", council_create, methods=["POST"]),
    Route("/staff/councils/{council}", council_page, methods=["GET"]),
    Route("/staff/councils/{council}/members", member_add, methods=["POST"]),
    Route("/staff/councils/{council}/members/{member}/remove", member_remove, methods=["POST"]),
    Route("/staff/councils/{council}/codes", codes_sheet, methods=["GET"]),
    Route("/staff/councils/{council}/consultations/new", consultation_new, methods=["GET"]),
    Route("/staff/councils/{council}/consultations", consultation_create, methods=["POST"]),
    Route(
        "/staff/councils/{council}/consultations/{consultation}",
        consultation_page,
        methods=["GET"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/options",
        option_add,
        methods=["POST"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/state",
        consultation_state,
        methods=["POST"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/options/{id}",
        option_edit_page,
        methods=["GET"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/options/{id}",
        option_update,
        methods=["POST"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/options/{id}/remove",
        option_remove,
        methods=["POST"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/close",
        close_page,
        methods=["GET"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/statements/{id}",
        statement_moderate,
        methods=["POST"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/paper",
        paper_page,
        methods=["GET"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/paper",
        paper_post,
        methods=["POST"],
    ),
]
