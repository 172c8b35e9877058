"""Residents' pages: the survey, one section per page, working without JavaScript."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from survey.domain import forms
from survey.domain.definitions import SurveyDef, get_definition
from survey.domain.responses import parse_key, submit_response
from survey.domain.surveys import list_open_surveys
from survey.enums import SurveyStatus
from survey.errors import Forbidden, SurveyError, Unavailable
from survey.i18n import LANGUAGES
from survey.web.common import PUBLIC, access, language, read_form, redirect, render

_CONTROL_FIELDS = {"csrf", "key", "step", "action", "lang", "switch_lang"}


@access(PUBLIC)
async def home(request: Request) -> Response:
    return render(request, "respondent/home.html", surveys=await list_open_surveys())


def _unavailable_page(request: Request, definition: SurveyDef) -> Response | None:
    if definition.status == SurveyStatus.OPEN:
        return None
    template = "respondent/closed.html"
    status = 410 if definition.status == SurveyStatus.CLOSED else 404
    return render(request, template, status_code=status, survey=definition)


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
) -> Response:
    section = definition.sections[step]
    own = {name for q in section.questions for name in forms.field_names(q)}
    carried = [(name, value) for name, values in raw.items() if name not in own for value in values]
    return render(
        request,
        "respondent/section.html",
        status_code=status,
        lang=lang,
        survey=definition,
        section=section,
        step=step,
        steps=len(definition.sections),
        raw=raw,
        errors=errors or {},
        key=key,
        carried=carried,
        notice=notice,
        other=forms.OTHER,
    )


@access(PUBLIC)
async def survey_start(request: Request) -> Response:
    definition = await get_definition(request.path_params["slug"])
    closed = _unavailable_page(request, definition)
    if closed:
        return closed
    return _page(request, definition, 0, {}, key=str(uuid.uuid4()), lang=language(request))


def _raw(form: Any) -> forms.RawForm:
    return {k: [str(v) for v in form.getlist(k)] for k in form.keys() if k.startswith("q_")}


@access(PUBLIC)
async def survey_post(request: Request) -> Response:
    definition = await get_definition(request.path_params["slug"])
    closed = _unavailable_page(request, definition)
    if closed:
        return closed
    try:
        form = await read_form(request)
    except Forbidden:
        # Expired session or blocked cookie: show the page again with what was typed.
        form = getattr(request.state, "form", None)
        if form is None:
            raise
        return _redisplay(request, definition, form, notice="error.csrf", status=403)
    raw = _raw(form)
    lang = str(form.get("lang") or "")
    lang = lang if lang in LANGUAGES else language(request)
    unknown = set(raw) - forms.known_fields(definition.sections)
    if unknown or any(k not in _CONTROL_FIELDS and not k.startswith("q_") for k in form.keys()):
        raise SurveyError("error.unknown_fields")
    key = str(parse_key(str(form.get("key", ""))))
    step = _step(form, definition)
    switch = str(form.get("switch_lang") or "")
    if switch in LANGUAGES:
        response = _page(request, definition, step, raw, key=key, lang=switch)
        response.set_cookie("lang", switch, max_age=365 * 86400, httponly=True, samesite="lax")
        return response
    if form.get("action") == "back":
        return _page(request, definition, max(step - 1, 0), raw, key=key, lang=lang)
    _, errors = forms.clean_section(definition.sections[step], raw)
    if errors:
        return _page(request, definition, step, raw, key=key, lang=lang, errors=errors, status=422)
    if step + 1 < len(definition.sections):
        return _page(request, definition, step + 1, raw, key=key, lang=lang)
    answers: dict[str, Any] = {}
    for index, section in enumerate(definition.sections):
        values, errors = forms.clean_section(section, raw)
        if errors:  # An earlier page was tampered with or the survey changed meanwhile.
            return _page(
                request, definition, index, raw, key=key, lang=lang, errors=errors, status=422
            )
        answers.update(values)
    try:
        receipt = await submit_response(definition, answers, key=uuid.UUID(key), language=lang)
    except Unavailable:
        return _page(
            request,
            definition,
            step,
            raw,
            key=key,
            lang=lang,
            status=503,
            notice="error.database_unavailable",
        )
    return redirect(f"/s/{definition.slug}/merci/{receipt}?lang={lang}")


def _step(form: Any, definition: SurveyDef) -> int:
    text = str(form.get("step", "0"))
    if not text.isdigit() or int(text) >= len(definition.sections):
        raise SurveyError("error.bad_form")
    return int(text)


def _redisplay(
    request: Request, definition: SurveyDef, form: Any, *, notice: str, status: int
) -> Response:
    raw = _raw(form)
    try:
        step = _step(form, definition)
        key = str(parse_key(str(form.get("key", ""))))
    except SurveyError:
        step, key = 0, str(uuid.uuid4())
    return _page(
        request,
        definition,
        step,
        raw,
        key=key,
        lang=language(request),
        status=status,
        notice=notice,
    )


@access(PUBLIC)
async def thanks(request: Request) -> Response:
    definition = await get_definition(request.path_params["slug"])
    return render(
        request, "respondent/thanks.html", survey=definition, receipt=request.path_params["receipt"]
    )
