"""Citizen councils, members' pages: login by link or printed code, ballots, receipts and
change codes, proposed statements (no JavaScript needed)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from analysis.voting import METHODS
from analysis.voting.base import format_amount
from analysis.voting.majority_judgment import GRADES_BEST_FIRST
from survey.domain import accounts
from survey.domain.access_codes import display_code
from survey.domain.consultation_options import propose_statement
from survey.domain.consultations import ballot_context, member_consultations
from survey.domain.council_ballots import cast_ballot as cast_member_ballot
from survey.domain.council_ballots import named_ballot_marks, parse_ballot
from survey.domain.councils import InvalidForm, get_member, member_by_code, member_by_token
from survey.domain.forms import FieldError, RawForm
from survey.errors import Conflict, Forbidden, NotFound
from survey.web.common import (
    MEMBER,
    MEMBER_LOGIN,
    PUBLIC,
    access,
    form_values,
    path_id,
    read_form,
    redirect,
    render,
)

# ------------------------------------------------------------------------ members' pages


@access(PUBLIC)
async def member_login_page(request: Request) -> Response:
    return render(request, "council/login.html", code="", error=None)


@access(PUBLIC)
async def member_login_post(request: Request) -> Response:
    # Wrong codes are counted per address in the database (``accounts``), not in the
    # cookie, so that replaying an older cookie or dropping it resets nothing.
    form = await read_form(request, rate_limited=False)
    code = str(form.get("code", ""))[:40]
    try:
        attempt = await accounts.reserve_code_attempt(request.client.host if request.client else "")
    except Forbidden:
        return render(
            request, "council/login.html", status_code=429, code=code, error="member.login_locked"
        )
    member = await member_by_code(code)
    await accounts.settle_code_attempt(attempt, succeeded=member is not None)
    if member is None:
        return render(
            request, "council/login.html", status_code=401, code=code, error="member.login_failed"
        )
    _start_member_session(request, member.id)
    return redirect("/c")


def _start_member_session(request: Request, member_id: int) -> None:
    # A fresh session at login (no fixation); the language choice is kept.
    lang = request.session.get("lang")
    request.session.clear()
    request.session["member_id"] = member_id
    if lang:
        request.session["lang"] = lang


@access(PUBLIC)
async def member_link(request: Request) -> Response:
    member = await member_by_token(str(request.path_params.get("token", "")))
    if member is None:
        return render(
            request, "council/login.html", status_code=404, code="", error="member.link_invalid"
        )
    _start_member_session(request, member.id)
    return redirect("/c")


@access(MEMBER)
async def member_logout(request: Request) -> Response:
    await read_form(request)
    request.session.clear()
    return redirect(MEMBER_LOGIN)


async def _member(request: Request) -> Any:
    member = await get_member(request.session.get("member_id"))
    if member is None:
        request.session.pop("member_id", None)
    return member


@access(MEMBER)
async def member_home(request: Request) -> Response:
    member = await _member(request)
    if member is None:
        return redirect(MEMBER_LOGIN)
    return render(
        request, "council/home.html", member=member, rows=await member_consultations(member)
    )


async def _ballot_context(member: Any, consultation_id: int) -> Any:
    """The consultation a member opens; another council's is answered exactly as an unknown
    one, so that numbering reveals nothing of other councils."""
    try:
        return await ballot_context(member, consultation_id)
    except Forbidden as exc:
        raise NotFound("council.consultation_not_found") from exc


def _held_receipt(request: Request, consultation_id: int) -> str | None:
    receipts = request.session.get("receipts", {})
    return receipts.get(str(consultation_id)) if isinstance(receipts, dict) else None


def _held_change_code(request: Request, consultation_id: int) -> str | None:
    codes = request.session.get("change_codes", {})
    return codes.get(str(consultation_id)) if isinstance(codes, dict) else None


def _keep_in_session(request: Request, name: str, consultation_id: int, value: str | None) -> None:
    held = request.session.get(name, {})
    held = dict(held) if isinstance(held, dict) else {}
    if value is None:
        held.pop(str(consultation_id), None)
    else:
        held[str(consultation_id)] = value
    request.session[name] = held


async def _ballot_page(
    request: Request,
    member: Any,
    consultation_id: int,
    *,
    raw: RawForm | None = None,
    errors: dict[str, FieldError] | None = None,
    notice: str | None = None,
    proposal: str = "",
    proposal_error: FieldError | None = None,
    status: int = 200,
) -> Response:
    context = await _ballot_context(member, consultation_id)
    c = context.consultation
    if raw is None:
        raw = {}
        if context.voted and not c.secret and c.allow_change:
            raw = METHODS[c.method].as_form(await named_ballot_marks(member.id, c.id))
    held = _held_receipt(request, c.id) and _held_change_code(request, c.id)
    return render(
        request,
        "council/ballot.html",
        status_code=status,
        c=c,
        member=member,
        options=context.options,
        voting=context.voting,
        voted=context.voted,
        raw=raw,
        errors=errors or {},
        notice=notice,
        grades=GRADES_BEST_FIRST,
        need_receipt=context.voted and c.secret and c.allow_change and not held,
        format_amount=format_amount,
        proposal=proposal,
        proposal_error=proposal_error,
        proposed=request.query_params.get("proposed") == "1",
    )


@access(MEMBER)
async def ballot_page(request: Request) -> Response:
    member = await _member(request)
    if member is None:
        return redirect(MEMBER_LOGIN)
    return await _ballot_page(request, member, path_id(request, "consultation"))


@access(MEMBER)
async def ballot_post(request: Request) -> Response:
    consultation_id = path_id(request, "consultation")
    try:
        form = await read_form(request)
    except Forbidden:
        # Expired session: show the ballot again with the choices made, if still logged in.
        saved = getattr(request.state, "form", None)
        member = await _member(request)
        if saved is None or member is None:
            raise
        return await _ballot_page(
            request,
            member,
            consultation_id,
            raw=form_values(saved),
            notice="error.csrf",
            status=403,
        )
    member = await _member(request)
    if member is None:
        return redirect(MEMBER_LOGIN)
    raw = form_values(form)
    context = await _ballot_context(member, consultation_id)
    c = context.consultation
    marks, errors = parse_ballot(c.method, context.options, raw, budget=c.budget)
    if errors:
        return await _ballot_page(
            request, member, consultation_id, raw=raw, errors=errors, status=422
        )
    # A change of secret ballot is proved by the receipt and code this session holds, or
    # else by those the voter typed (another device, a new session).
    receipt, code = (
        _held_receipt(request, consultation_id),
        _held_change_code(request, consultation_id),
    )
    if not (receipt and code):
        receipt, code = (raw.get("receipt") or [""])[0], (raw.get("change_code") or [""])[0]
    try:
        cast = await cast_member_ballot(
            member.id, member.council_id, consultation_id, marks, proof=(receipt, code)
        )
    except (Conflict, Forbidden) as exc:
        return await _ballot_page(
            request, member, consultation_id, raw=raw, notice=exc.key, status=exc.status
        )
    _keep_in_session(request, "receipts", consultation_id, cast.receipt)
    _keep_in_session(request, "change_codes", consultation_id, cast.change_code)
    return redirect(f"/c/v/{consultation_id}/merci")


@access(MEMBER)
async def ballot_thanks(request: Request) -> Response:
    member = await _member(request)
    if member is None:
        return redirect(MEMBER_LOGIN)
    context = await _ballot_context(member, path_id(request, "consultation"))
    return render(
        request,
        "council/thanks.html",
        c=context.consultation,
        receipt=_held_receipt(request, context.consultation.id),
        change_code=_held_change_code(request, context.consultation.id),
        display_change_code=display_code,
    )


@access(MEMBER)
async def statement_propose(request: Request) -> Response:
    form = await read_form(request)
    member = await _member(request)
    if member is None:
        return redirect(MEMBER_LOGIN)
    consultation_id = path_id(request, "consultation")
    text = str(form.get("statement", ""))
    try:
        await propose_statement(member, consultation_id, text)
    except InvalidForm as exc:
        return await _ballot_page(
            request,
            member,
            consultation_id,
            proposal=text,
            proposal_error=exc.errors["statement"],
            status=422,
        )
    return redirect(f"/c/v/{consultation_id}?proposed=1#propose")


routes: list[BaseRoute] = [
    Route("/c/login", member_login_page, methods=["GET"]),
    Route("/c/login", member_login_post, methods=["POST"]),
    Route("/c/k/{token}", member_link, methods=["GET"]),
    Route("/c/logout", member_logout, methods=["POST"]),
    Route("/c", member_home, methods=["GET"]),
    Route("/c/v/{consultation}", ballot_page, methods=["GET"]),
    Route("/c/v/{consultation}", ballot_post, methods=["POST"]),
    Route("/c/v/{consultation}/merci", ballot_thanks, methods=["GET"]),
    Route("/c/v/{consultation}/statements", statement_propose, methods=["POST"]),
]
