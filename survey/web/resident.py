"""Residents' pages: the survey, one section per page, working without JavaScript.

Conditions are evaluated here on the server, page by page: a hidden page is skipped, a
hidden question is never required and what was typed for it is dropped. The same flow
serves the staff preview, which stores nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any, TypedDict

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from survey import localtime
from survey.domain import answering, forms
from survey.domain.access_codes import display_code, normalise_code
from survey.domain.conditions import references
from survey.domain.definitions import SurveyDef, get_definition
from survey.domain.drafts import load_draft
from survey.domain.invitations import check_invitation
from survey.domain.responses import known_answers, parse_key, random_uuid
from survey.domain.surveys import list_open_surveys
from survey.enums import SurveyStatus
from survey.errors import Forbidden, SurveyError, Unavailable
from survey.i18n import LANGUAGES
from survey.web.common import (
    PUBLIC,
    STAFF,
    access,
    csrf_token,
    language,
    public_survey,
    read_form,
    redirect,
    render,
    time_zone,
)

_ACTIONS = {a.value: a for a in answering.Action}
_CONTROL_FIELDS = {"csrf", "key", "step", "action", "lang", "switch_lang", "invite", "resume"}


@access(PUBLIC)
async def home(request: Request) -> Response:
    return render(request, "respondent/home.html", surveys=await list_open_surveys())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _unavailable_page(request: Request, definition: SurveyDef) -> Response | None:
    if definition.accepting(_now()):
        return None
    template = "respondent/closed.html"
    if definition.status == SurveyStatus.OPEN:
        # Published with a schedule: before the opening or after the closing time.
        early = definition.opens_at is not None and _now() < definition.opens_at
        return render(
            request,
            template,
            status_code=404 if early else 410,
            survey=definition,
            opens_at=definition.opens_at if early else None,
            scheduled_close=not early,
        )
    status = 410 if definition.status == SurveyStatus.CLOSED else 404
    return render(request, template, status_code=status, survey=definition)


def _today(request: Request) -> dt.date:
    """The territory's date, for date questions bounded by "today"."""
    return localtime.today(time_zone(request))


class _Carried(TypedDict):
    """What every page of one answering carries from POST to POST."""

    key: str
    invite: str
    resume: str
    preview: bool


def _page(
    request: Request,
    definition: SurveyDef,
    step: int,
    raw: forms.RawForm,
    *,
    key: str,
    lang: str,
    errors: dict[str, forms.FieldError] | None = None,
    status: int = 200,
    notice: str | None = None,
    invite: str = "",
    resume: str = "",
    preview: bool = False,
    csrf: str | None = None,
    before: forms.Walk | None = None,
) -> Response:
    """Page ``step``; ``before``, when the caller walked the earlier pages already, saves
    walking them again."""
    sections = definition.sections
    section = sections[step]
    if before is None:
        before = forms.walk_sections(sections, raw, stop=step, today=_today(request))
    shown = forms.shown_questions(section, before.answers)
    own_codes = {q.code for q in section.questions}
    own = {name for q in section.questions for name in forms.field_names(q)}
    carried = [(name, value) for name, values in raw.items() if name not in own for value in values]
    current, _ = forms.clean_section(section, raw, before.answers, today=_today(request))
    known = {**before.answers, **current}
    later = 0
    following = forms.next_visible(sections, step, known)
    while following is not None:
        later += 1
        following = forms.next_visible(sections, following, known)
    position = len([i for i in before.visible if i < step]) + 1
    hints = {
        q.code: forms.describe_condition(definition.questions, q.settings, lang)
        for q in shown
        if references(q.settings) in own_codes
    }
    return render(
        request,
        "respondent/section.html",
        status_code=status,
        lang=lang,
        survey=definition,
        section=section,
        shown=shown,
        hints=hints,
        step=step,
        position=position,
        steps=position + later,
        last=later == 0,
        raw=raw,
        errors=errors or {},
        key=key,
        carried=carried,
        notice=notice,
        other=forms.OTHER,
        invite=invite,
        resume=resume,
        preview=preview,
        action=f"/staff/surveys/{definition.slug}/preview" if preview else f"/s/{definition.slug}",
        **({"csrf": csrf} if csrf is not None else {}),
    )


# The first page of a fresh visit depends only on the definition and the language, but for
# the CSRF token and the idempotency key: it is rendered once with two markers in their
# place, which each request replaces (both values are URL-safe, so escaping is the same).
_MARK = secrets.token_hex(8)
_CSRF_MARK, _KEY_MARK = f"csrf{_MARK}", f"key{_MARK}"
# Per survey and language: the definition it was rendered from, and the page's bytes split
# at the markers (text, marker, text, ...), so that a request only joins a few pieces.
_FIRST_PAGES: dict[tuple[str, str], tuple[SurveyDef, tuple[bytes, ...]]] = {}
_FIRST_PAGES_MAX = 512
_CSRF_BYTES, _KEY_BYTES = _CSRF_MARK.encode(), _KEY_MARK.encode()
_MARKS = re.compile(b"(" + re.escape(_CSRF_BYTES) + b"|" + re.escape(_KEY_BYTES) + b")")


def _first_page(request: Request, definition: SurveyDef, lang: str) -> Response:
    cached = _FIRST_PAGES.get((definition.slug, lang))
    if cached is None or cached[0] is not definition:
        page = _page(request, definition, 0, {}, key=_KEY_MARK, lang=lang, csrf=_CSRF_MARK)
        if len(_FIRST_PAGES) >= _FIRST_PAGES_MAX:
            _FIRST_PAGES.clear()
        cached = (definition, tuple(_MARKS.split(bytes(page.body))))
        _FIRST_PAGES[(definition.slug, lang)] = cached
    values = {_CSRF_BYTES: csrf_token(request).encode(), _KEY_BYTES: random_uuid().encode()}
    parts = cached[1]
    return HTMLResponse(b"".join(values[p] if i % 2 else p for i, p in enumerate(parts)))


def _invitation_page(
    request: Request, definition: SurveyDef, *, code: str = "", error: SurveyError | None = None
) -> Response:
    return render(
        request,
        "respondent/invitation.html",
        status_code=error.status if error else 200,
        survey=definition,
        code=code,
        error=error,
    )


@access(PUBLIC)
async def survey_start(request: Request) -> Response:
    definition = await public_survey(request)
    closed = _unavailable_page(request, definition)
    if closed:
        return closed
    if not definition.needs_code and not request.scope.get("query_string"):
        return _first_page(request, definition, language(request))
    invite = ""
    if definition.needs_code:
        typed = request.query_params.get("invitation", "")[:40]
        if not typed:
            return _invitation_page(request, definition)
        try:
            invite = await check_invitation(definition, typed)
        except SurveyError as error:
            return _invitation_page(request, definition, code=typed, error=error)
    return _page(
        request, definition, 0, {}, key=random_uuid(), lang=language(request), invite=invite
    )


def raw_answers(form: Any) -> forms.RawForm:
    """The answer fields of a posted form, every value kept as typed (one pass: hot path)."""
    raw: forms.RawForm = {}
    for key, value in form.multi_items():
        if key.startswith("q_"):
            raw.setdefault(key, []).append(str(value))
    return raw


@access(PUBLIC)
async def survey_post(request: Request) -> Response:
    definition = await public_survey(request)
    closed = _unavailable_page(request, definition)
    if closed:
        return closed
    return await _flow(request, definition, preview=False)


async def _flow(request: Request, definition: SurveyDef, *, preview: bool) -> Response:
    """One POST of the survey: change language, or parse the page and let the domain go
    back, save for later, go on or store (``answering.answer_page``)."""
    try:
        form = await read_form(request)
    except Forbidden:
        # Expired session or blocked cookie: show the page again with what was typed.
        kept: FormData | None = getattr(request.state, "form", None)
        if kept is None:
            raise
        return _redisplay(request, definition, kept, notice="error.csrf", status=403)
    # A page rendered before an edit may name questions since retired (kept) or renamed
    # (ignored): what the survey still knows goes on.
    raw = known_answers(definition, raw_answers(form))
    lang = str(form.get("lang") or "")
    lang = lang if lang in LANGUAGES else language(request)
    if any(k not in _CONTROL_FIELDS and not k.startswith("q_") for k in form.keys()):
        raise SurveyError("error.unknown_fields")
    key = parse_key(str(form.get("key", "")))
    step = _step(form, definition)
    invite = normalise_code(str(form.get("invite") or ""))
    resume = normalise_code(str(form.get("resume") or ""))
    page: _Carried = {"key": str(key), "invite": invite, "resume": resume, "preview": preview}
    switch = str(form.get("switch_lang") or "")
    if switch in LANGUAGES:
        if definition.needs_code and not preview:
            try:
                await check_invitation(definition, invite)
            except SurveyError as wrong_code:
                return _invitation_page(request, definition, error=wrong_code)
        response = _page(request, definition, step, raw, lang=switch, **page)
        response.set_cookie("lang", switch, max_age=365 * 86400, httponly=True, samesite="lax")
        return response
    action = str(form.get("action") or "")
    command = answering.Page(
        raw,
        step,
        _ACTIONS.get(action, answering.Action.NEXT),
        key=key,
        language=lang,
        today=_today(request),
        invitation=invite,
        resume=resume,
        preview=preview,
    )
    try:
        outcome = await answering.answer_page(definition, command)
    except Unavailable:
        return _page(
            request,
            definition,
            step,
            raw,
            lang=lang,
            status=503,
            notice="error.database_unavailable",
            **page,
        )
    match outcome:
        case answering.Refused(error=refused):
            return _invitation_page(request, definition, error=refused)
        case answering.Next(step=shown, before=before):
            return _page(request, definition, shown, raw, lang=lang, before=before, **page)
        case answering.Invalid(step=shown, errors=errors, before=before):
            return _page(
                request,
                definition,
                shown,
                raw,
                lang=lang,
                errors=errors,
                status=422,
                before=before,
                **page,
            )
        case answering.Saved(draft=draft):
            return render(
                request,
                "respondent/saved.html",
                lang=lang,
                survey=definition,
                code=display_code(draft.code),
                link=f"{base_url(request)}/s/{definition.slug}/reprendre/{draft.code}",
                expires_at=draft.expires_at,
            )
        case answering.Complete():
            return render(request, "staff/builder_preview_end.html", lang=lang, survey=definition)
        case answering.Submitted(receipt=receipt):
            return redirect(f"/s/{definition.slug}/merci/{receipt}?lang={lang}")


def base_url(request: Request) -> str:
    """The public address of the site: configured, else the one the request came to."""
    configured = getattr(request.app.state, "settings", None)
    base = getattr(configured, "base_url", "") if configured else ""
    return base or str(request.base_url).rstrip("/")


def _step(form: Any, definition: SurveyDef) -> int:
    text = str(form.get("step", "0"))
    # Pages hidden since the form was rendered moved the later ones up: the last one is
    # checked instead (what was typed travels with the form, nothing is lost).
    if not text.isdigit() or int(text) >= len(definition.sections) + definition.hidden_pages:
        raise SurveyError("error.bad_form")
    return min(int(text), len(definition.sections) - 1)


def _redisplay(
    request: Request, definition: SurveyDef, form: Any, *, notice: str, status: int
) -> Response:
    raw = raw_answers(form)
    try:
        step = _step(form, definition)
        key = str(parse_key(str(form.get("key", ""))))
    except SurveyError:
        step, key = 0, random_uuid()
    return _page(
        request,
        definition,
        step,
        raw,
        key=key,
        lang=language(request),
        status=status,
        notice=notice,
        invite=normalise_code(str(form.get("invite") or "")),
        resume=normalise_code(str(form.get("resume") or "")),
    )


@access(PUBLIC)
async def thanks(request: Request) -> Response:
    definition = await public_survey(request)
    return render(
        request, "respondent/thanks.html", survey=definition, receipt=request.path_params["receipt"]
    )


@access(PUBLIC)
async def resume_form(request: Request) -> Response:
    """Where a resident types the code received when saving."""
    definition = await public_survey(request)
    typed = normalise_code(request.query_params.get("code", ""))
    if typed:
        return redirect(f"/s/{definition.slug}/reprendre/{typed}")
    return render(request, "respondent/resume.html", survey=definition, code="", error=None)


@access(PUBLIC)
async def resume(request: Request) -> Response:
    """Open the survey again where it was left, with everything typed so far."""
    definition = await public_survey(request)
    closed = _unavailable_page(request, definition)
    if closed:
        return closed
    code = request.path_params["code"]
    try:
        draft = await load_draft(definition, code)
    except SurveyError as error:
        return render(
            request,
            "respondent/resume.html",
            status_code=error.status,
            survey=definition,
            code=code[:20],
            error=error,
        )
    step = min(draft.step, len(definition.sections) - 1)
    chosen = request.query_params.get("lang", "")
    return _page(
        request,
        definition,
        step,
        draft.raw,
        key=random_uuid(),
        lang=chosen if chosen in LANGUAGES else draft.language,
        notice="builder.resumed",
        invite=draft.invitation,
        resume=draft.code,
    )


@access(STAFF)
async def preview_start(request: Request) -> Response:
    """The survey exactly as residents see it, in a phone-sized frame; nothing is stored."""
    definition = await get_definition(request.path_params["slug"])
    return _page(
        request, definition, 0, {}, key=random_uuid(), lang=language(request), preview=True
    )


@access(STAFF)
async def preview_post(request: Request) -> Response:
    definition = await get_definition(request.path_params["slug"])
    return await _flow(request, definition, preview=True)
