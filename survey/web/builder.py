"""Staff pages to build and spread surveys: editor, preview, poster, codes, imports and
exports. Every page works without JavaScript."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from survey.domain import (
    builder,
    builder_conditions,
    builder_questions,
    builder_sections,
    mail,
    templates_lib,
)
from survey.domain.access_codes import display_code
from survey.domain.definitions import get_definition
from survey.domain.forms import FieldError
from survey.domain.invitations import (
    create_invitations,
    invitation_counts,
    list_invitations,
    qr_svg,
)
from survey.errors import Forbidden, NotFound, SurveyError
from survey.web import builder_forms, resident
from survey.web.common import (
    STAFF,
    Endpoint,
    access,
    current_user,
    env,
    language,
    path_id,
    read_form,
    redirect,
    render,
    time_zone,
)
from survey.web.limits import takes_files
from survey.web.uploads import read_upload as _read_upload

env.globals["local_tz"] = builder.LOCAL_TZ
env.globals["display_code"] = display_code


def _slug(request: Request) -> str:
    return str(request.path_params["slug"])


def _values(form: FormData) -> dict[str, str]:
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


# --- creating -------------------------------------------------------------------------------


def new_survey_page(
    request: Request, *, values: dict[str, str], errors: Any, status: int = 200
) -> HTMLResponse:
    """The new-survey page (templates and file import), with what was typed and its errors."""
    return render(
        request,
        "staff/builder_new.html",
        status_code=status,
        values=values,
        errors=errors,
        templates=templates_lib.list_templates(),
    )


@access(STAFF)
async def new_page(request: Request) -> Response:
    await current_user(request)
    return new_survey_page(request, values={"template": ""}, errors={})


@access(STAFF)
async def new_post(request: Request) -> Response:
    await current_user(request)
    values = _values(await read_form(request))
    try:
        slug = await templates_lib.create_survey(builder_forms.new_survey(values))
    except builder.Invalid as invalid:
        errors = builder_forms.field_errors(invalid.errors)
        return new_survey_page(request, values=values, errors=errors, status=422)
    return redirect(f"/staff/surveys/{slug}/edit")


# --- editing --------------------------------------------------------------------------------


async def editor_page(
    request: Request,
    slug: str,
    *,
    notice: SurveyError | None = None,
    values: dict[str, str] | None = None,
    errors: Any = None,
    status: int = 200,
    added: dict[str, str] | None = None,
) -> Response:
    """The survey's editor page, with a notice, typed values and errors when given."""
    editor = await builder.get_editor(slug)
    definition = await get_definition(slug)
    return render(
        request,
        "staff/builder.html",
        status_code=status,
        editor=editor,
        survey=definition,
        notice=notice,
        values=values or builder_forms.survey_values(editor, time_zone(request)),
        errors=errors or {},
        added=added or {},
        kinds=builder.kinds(),
        describe=builder_conditions.describer(definition, language(request)),
    )


@access(STAFF)
async def edit_page(request: Request) -> Response:
    await current_user(request)
    saved = request.query_params.get("saved")
    notice = SurveyError("builder.saved") if saved else None
    return await editor_page(request, _slug(request), notice=notice)


@access(STAFF)
async def edit_post(request: Request) -> Response:
    values = _values(await read_form(request))
    try:
        await builder.update_survey(_slug(request), builder_forms.survey_settings(values))
    except builder.Invalid as invalid:
        errors = builder_forms.field_errors(invalid.errors)
        return await editor_page(request, _slug(request), values=values, errors=errors, status=422)
    return redirect(f"/staff/surveys/{_slug(request)}/edit?saved=1#settings")


async def _act(request: Request, action: Any, anchor: str) -> Response:
    """Run a one-button edit; a refusal comes back on the editor page with its reason."""
    slug = _slug(request)
    try:
        await action
    except (NotFound, Forbidden):
        raise
    except SurveyError as error:
        return await editor_page(request, slug, notice=error, status=409)
    return redirect(f"/staff/surveys/{slug}/edit#{anchor}")


@access(STAFF)
async def section_add(request: Request) -> Response:
    await read_form(request)
    section_id = await builder_sections.add_section(_slug(request))
    return redirect(f"/staff/surveys/{_slug(request)}/sections/{section_id}")


@dataclass(frozen=True)
class _Part:
    """A part of the survey edited on a page of its own: a page (section) or a question."""

    name: str  # "section" or "question": the template's variable and the anchor's letter
    param: str  # the path parameter holding its id
    find: Callable[[builder.Editor, int], Any]
    form: Callable[[Any], dict[str, str]]
    update: Callable[[str, int, dict[str, str]], Awaitable[Any]]  # the form's values read
    act: Callable[[str, int, str], Awaitable[builder.Editor]]
    context: Callable[[], dict[str, Any]] = dict
    # A notice when the form must be shown again with other fields before saving.
    redisplay: Callable[[dict[str, str]], str | None] = lambda values: None


A = TypeVar("A")


def _by_button(
    verb: Callable[[str, int, A], Awaitable[builder.Editor]], buttons: Mapping[str, A]
) -> Callable[[str, int, str], Awaitable[builder.Editor]]:
    """``verb`` run with the action of the button pressed (its ``value``)."""

    async def act(slug: str, part_id: int, button: str) -> builder.Editor:
        if button not in buttons:
            raise SurveyError("error.bad_form")
        return await verb(slug, part_id, buttons[button])

    return act


_SECTION_BUTTONS = {
    "up": builder_sections.SectionAction.UP,
    "down": builder_sections.SectionAction.DOWN,
    "duplicate": builder_sections.SectionAction.DUPLICATE,
    "delete": builder_sections.SectionAction.DELETE,
}
_QUESTION_BUTTONS = {
    "up": builder_questions.QuestionAction.UP,
    "down": builder_questions.QuestionAction.DOWN,
    "duplicate": builder_questions.QuestionAction.DUPLICATE,
    "delete": builder_questions.QuestionAction.DELETE,
    "restore": builder_questions.QuestionAction.RESTORE,
}


def _question_redisplay(values: dict[str, str]) -> str | None:
    if builder_forms.fields_missing(values.get("shown_kind", ""), values.get("kind", "")):
        return "builder.kind_fields_shown"
    return _condition_redisplay(values)


def _condition_redisplay(values: dict[str, str]) -> str | None:
    return "builder.condition_answers_shown" if builder_forms.target_changed(values) else None


def _part_views(part: _Part) -> tuple[Endpoint, Endpoint, Endpoint]:
    """The page, its form's POST and its actions (move, duplicate, delete) for ``part``."""
    anchor = part.name[0]

    def page(request: Request, editor: builder.Editor, part_id: int, **context: Any) -> Response:
        return render(
            request,
            f"staff/builder_{part.name}.html",
            editor=editor,
            earlier=editor.earlier_questions(**{f"{part.name}_id": part_id}),
            **{part.name: part.find(editor, part_id)},
            **part.context(),
            **context,
        )

    @access(STAFF)
    async def show(request: Request) -> Response:
        await current_user(request)
        editor = await builder.get_editor(_slug(request))
        part_id = path_id(request, part.param)
        values = part.form(part.find(editor, part_id))
        return page(request, editor, part_id, values=values, errors={})

    @access(STAFF)
    async def post(request: Request) -> Response:
        values = _values(await read_form(request))
        part_id = path_id(request, part.param)
        notice = part.redisplay(values)
        if notice:
            editor = await builder.get_editor(_slug(request))
            return page(
                request, editor, part_id, values=values, errors={}, notice=SurveyError(notice)
            )
        try:
            await part.update(_slug(request), part_id, values)
        except builder.Invalid as invalid:
            editor = await builder.get_editor(_slug(request))
            errors = builder_forms.field_errors(invalid.errors)
            return page(request, editor, part_id, values=values, errors=errors, status_code=422)
        return redirect(f"/staff/surveys/{_slug(request)}/edit#{anchor}-{part_id}")

    @access(STAFF)
    async def act(request: Request) -> Response:
        form = await read_form(request)
        part_id = path_id(request, part.param)
        action = part.act(_slug(request), part_id, str(form.get("action", "")))
        return await _act(request, action, f"{anchor}-{part_id}")

    for view, role in ((show, "page"), (post, "post"), (act, "action")):
        view.__name__ = view.__qualname__ = f"{part.name}_{role}"
    return show, post, act


section_page, section_post, section_action = _part_views(
    _Part(
        name="section",
        param="id",
        find=builder.Editor.section,
        form=builder_forms.section_values,
        update=lambda slug, part_id, values: builder_sections.update_section(
            slug, part_id, builder_forms.section(values)
        ),
        act=_by_button(builder_sections.act_on_section, _SECTION_BUTTONS),
        redisplay=_condition_redisplay,
    )
)
question_page, question_post, question_action = _part_views(
    _Part(
        name="question",
        param="question",
        find=builder.Editor.question,
        form=builder_forms.question_values,
        update=lambda slug, part_id, values: builder_questions.update_question(
            slug, part_id, builder_forms.question(values)
        ),
        act=_by_button(builder_questions.act_on_question, _QUESTION_BUTTONS),
        context=lambda: {
            "kinds": builder.kinds(),
            "parse_choices": builder_forms.listed_choices,
            "offer_marks": builder_questions.OFFER_MARKS,
        },
        redisplay=_question_redisplay,
    )
)


@access(STAFF)
async def question_add(request: Request) -> Response:
    values = _values(await read_form(request))
    section_text = values.get("section", "")
    if not section_text.isdigit():
        raise SurveyError("error.bad_form")
    try:
        question_id = await builder_questions.add_question(
            _slug(request), int(section_text), builder_forms.new_question(values)
        )
    except builder.Invalid as invalid:
        errors = builder_forms.field_errors(invalid.errors)
        return await editor_page(
            request,
            _slug(request),
            notice=invalid,
            errors={f"add_{section_text}_{k}": v for k, v in errors.items()},
            status=422,
            added=values,
        )
    return redirect(f"/staff/surveys/{_slug(request)}/questions/{question_id}")


# --- spreading ------------------------------------------------------------------------------


def _address(request: Request, slug: str) -> str:
    return f"{resident.base_url(request)}/s/{slug}"


@access(STAFF)
async def poster(request: Request) -> Response:
    """A printable A4 poster: title, QR code drawn here (no outside service), short address."""
    await current_user(request)
    definition = await get_definition(_slug(request))
    address = _address(request, definition.slug)
    # The SVG is drawn by segno from our own address: no user text goes into it.
    qr = Markup(qr_svg(address, scale=10))  # noqa: S704
    return render(request, "staff/poster.html", survey=definition, address=address, qr=qr)


def _smtp_ready(request: Request) -> bool:
    settings = getattr(request.app.state, "settings", None)
    return getattr(settings, "smtp", None) is not None


def _count_param(request: Request, name: str) -> int | None:
    text = request.query_params.get(name, "")
    return int(text) if text.isdigit() and len(text) < 7 else None


async def _codes_page(
    request: Request,
    *,
    error: SurveyError | None = None,
    mail_errors: dict[str, Any] | None = None,
    mail_values: dict[str, str] | None = None,
    resend: tuple[int, FieldError, str] | None = None,
    status: int = 200,
) -> Response:
    definition = await get_definition(_slug(request))
    address = _address(request, definition.slug)
    codes = await list_invitations(definition, unused_only=True)
    cards = [
        (code, Markup(qr_svg(f"{address}?invitation={code}", scale=3)))  # noqa: S704
        for code in codes[:500]
    ]
    return render(
        request,
        "staff/codes.html",
        status_code=status,
        survey=definition,
        address=address,
        cards=cards,
        counts=await invitation_counts(definition),
        error=error,
        smtp_ready=_smtp_ready(request),
        mails=await mail.list_invitation_mails(definition),
        mail_errors=mail_errors or {},
        mail_values=mail_values or {"language": language(request)},
        queued=_count_param(request, "queued"),
        skipped=_count_param(request, "skipped"),
        resent=request.query_params.get("resent") == "1",
        resend=resend,
    )


@access(STAFF)
async def codes_page(request: Request) -> Response:
    await current_user(request)
    return await _codes_page(request)


@access(STAFF)
async def codes_post(request: Request) -> Response:
    form = await read_form(request)
    definition = await get_definition(_slug(request))
    text = str(form.get("count", "")).strip()
    try:
        await create_invitations(definition, int(text) if text.isdigit() else 0)
    except SurveyError as error:
        return await _codes_page(request, error=error, status=422)
    return redirect(f"/staff/surveys/{definition.slug}/codes")


@access(STAFF)
async def codes_mail(request: Request) -> Response:
    """Give each address a fresh code and queue its e-mail; the jobs do the sending."""
    values = _values(await read_form(request))
    definition = await get_definition(_slug(request))
    if not _smtp_ready(request):
        raise SurveyError("builder.mail_not_configured")
    try:
        done = await mail.queue_invitation_mails(
            definition,
            values.get("addresses", ""),
            sender=values.get("sender", ""),
            language=values.get("language", ""),
            link=_address(request, definition.slug),
            secret=request.app.state.settings.secret_key,
            smtp=request.app.state.settings.smtp,
        )
    except mail.MailInvalid as invalid:
        kept = {**values, "addresses": "\n".join(invalid.addresses)}
        return await _codes_page(request, mail_errors=invalid.errors, mail_values=kept, status=422)
    return redirect(
        f"/staff/surveys/{definition.slug}/codes?queued={done.queued}&skipped={done.skipped}"
        "#mail-status"
    )


# An address with a display name fits well within this.
MAX_ADDRESS_FIELD = 500


@access(STAFF)
async def codes_mail_resend(request: Request) -> Response:
    """Send a failed invitation again, to the same or a corrected address."""
    values = _values(await read_form(request))
    definition = await get_definition(_slug(request))
    if not _smtp_ready(request):
        raise SurveyError("builder.mail_not_configured")
    mail_id = path_id(request, "mail")
    typed = values.get("address", "")[:MAX_ADDRESS_FIELD]
    try:
        queued = await mail.resend_failed_mail(
            definition,
            mail_id,
            typed,
            link=_address(request, definition.slug),
            secret=request.app.state.settings.secret_key,
            smtp=request.app.state.settings.smtp,
        )
    except mail.MailInvalid as invalid:
        return await _codes_page(
            request, resend=(mail_id, invalid.errors["address"], typed), status=422
        )
    # Not queued: a first click did it already, or it was sent meanwhile; the list tells.
    notice = "?resent=1" if queued else ""
    return redirect(f"/staff/surveys/{definition.slug}/codes{notice}#mail-status")


@access(STAFF)
@takes_files(1)
async def codes_mail_file(request: Request) -> Response:
    """A CSV file of addresses fills the e-mail form, to check before sending."""
    await current_user(request)
    try:
        _, data, _ = await _read_upload(request)
        found = mail.addresses_from_csv(data)
    except Forbidden:
        raise
    except SurveyError as error:
        return await _codes_page(
            request,
            mail_errors={"file": error},
            mail_values={"language": language(request)},
            status=422,
        )
    errors: dict[str, Any] = {}
    if found.invalid:
        errors["addresses"] = FieldError(
            "builder.mail_invalid_dropped",
            {"n": len(found.invalid), "list": ", ".join(found.invalid[:20])},
        )
    return await _codes_page(
        request,
        mail_errors=errors,
        mail_values={"addresses": "\n".join(found.valid), "language": language(request)},
        status=200,
    )


routes: list[BaseRoute] = [
    Route("/staff/surveys/new", new_page, methods=["GET"]),
    Route("/staff/surveys/new", new_post, methods=["POST"]),
    Route("/staff/surveys/{slug}/edit", edit_page, methods=["GET"]),
    Route("/staff/surveys/{slug}/edit", edit_post, methods=["POST"]),
    Route("/staff/surveys/{slug}/sections", section_add, methods=["POST"]),
    Route("/staff/surveys/{slug}/sections/{id}", section_page, methods=["GET"]),
    Route("/staff/surveys/{slug}/sections/{id}", section_post, methods=["POST"]),
    Route("/staff/surveys/{slug}/sections/{id}/action", section_action, methods=["POST"]),
    Route("/staff/surveys/{slug}/questions", question_add, methods=["POST"]),
    Route("/staff/surveys/{slug}/questions/{question}", question_page, methods=["GET"]),
    Route("/staff/surveys/{slug}/questions/{question}", question_post, methods=["POST"]),
    Route("/staff/surveys/{slug}/questions/{question}/action", question_action, methods=["POST"]),
    Route("/staff/surveys/{slug}/preview", resident.preview_start, methods=["GET"]),
    Route("/staff/surveys/{slug}/preview", resident.preview_post, methods=["POST"]),
    Route("/staff/surveys/{slug}/poster", poster, methods=["GET"]),
    Route("/staff/surveys/{slug}/codes", codes_page, methods=["GET"]),
    Route("/staff/surveys/{slug}/codes", codes_post, methods=["POST"]),
    Route("/staff/surveys/{slug}/codes/mail", codes_mail, methods=["POST"]),
    Route("/staff/surveys/{slug}/codes/mail-file", codes_mail_file, methods=["POST"]),
    Route("/staff/surveys/{slug}/codes/mail/{mail}/resend", codes_mail_resend, methods=["POST"]),
]
