"""Building surveys: the editor's view of a survey, the transaction every edit runs in, and
the survey's own settings. Pages and questions are edited in ``builder_sections`` and
``builder_questions``, display conditions checked in ``builder_conditions``, publication in
``publication``. Each verb takes a typed command (``SurveySettings``, ``QuestionForm``...)
that ``survey.web.builder_forms`` reads from the form, and reports what it refuses as
field errors keyed by the command's attribute names.

Every edit runs in one transaction that ends by checking the whole survey again (codes,
choices, conditions pointing backwards) and bumping its version, so the resident pages never
see a broken survey. Once answers exist, changes that would orphan or corrupt them (deleting
an answered choice, changing a question's kind or code) are refused.

An accepted answer is never lost, even while residents have the survey open:

- once a survey is live (published, closed, or holding any response), "delete" *retires* a
  question (``questions.retired_at``) or every question of a page: new residents no longer
  see it, its code stays taken, and its stored answers stay in every export, the responses
  page and the dashboards; "restore" brings it back. Only a draft with no response at all
  loses questions for good. A question's code no longer changes once published;
- the edit locks the survey row (``FOR UPDATE``) before counting answers, and storing a
  response locks it ``FOR SHARE`` in the same statement while checking the version its
  answers were validated against (``survey.domain.responses``): the "already answered?"
  check and submissions are serialised, and a page rendered before the edit is mapped onto
  the new version when it is sent.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from survey.domain import conditions
from survey.domain.db import connection
from survey.domain.definitions import (
    ACCESS_MODES,
    RETENTION_MAX_DAYS,
    SLUG_RE,
    check_definition,
    create_survey_from_definition,
    forget,
)
from survey.domain.forms import FieldError
from survey.domain.queries import questions, responses, sections, surveys
from survey.domain.staff_forms import Unread
from survey.enums import CHOICE_KINDS, QuestionKind
from survey.errors import NotFound, SurveyError

# Still read by pages not yet given the instance's zone; the builder uses ``localtime``.
LOCAL_TZ = ZoneInfo("Europe/Paris")
# Kinds whose settings hold a list of choices typed by staff.
LISTED_KINDS = (CHOICE_KINDS - {QuestionKind.YES_NO}) | {QuestionKind.RANKING}
MAX_CHOICES = 100


class Invalid(SurveyError):
    """A builder form with errors: field name -> error, shown next to each field."""

    status = 422

    def __init__(self, errors: dict[str, FieldError]) -> None:
        super().__init__("builder.form_errors", n=len(errors))
        self.errors = errors


@dataclass
class EditorQuestion:
    id: int
    section_id: int
    code: str
    kind: str
    text: dict[str, str]
    help: dict[str, str]
    required: bool
    personal_data: bool
    settings: dict[str, Any]
    answered: int = 0
    retired: bool = False

    @property
    def condition(self) -> dict[str, Any] | None:
        return conditions.condition_of(self.settings)


@dataclass
class EditorSection:
    id: int
    title: dict[str, str]
    description: dict[str, str]
    settings: dict[str, Any]
    questions: list[EditorQuestion] = field(default_factory=list)

    @property
    def condition(self) -> dict[str, Any] | None:
        return conditions.condition_of(self.settings)


@dataclass
class Editor:
    """A survey as the builder shows it: ids, positions and answer counts included."""

    id: int
    slug: str
    status: str
    version: int
    title: dict[str, str]
    description: dict[str, str]
    consent: dict[str, str]
    access_mode: str
    resume_days: int
    retention_days: int | None
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    responses: int
    sections: list[EditorSection]

    @property
    def questions(self) -> list[EditorQuestion]:
        """Every question, retired ones included (their codes stay taken)."""
        return [q for s in self.sections for q in s.questions]

    @property
    def live(self) -> bool:
        """Residents may have it open, or answers depend on it: questions are retired."""
        return self.status != "draft" or self.responses > 0

    def question(self, question_id: int) -> EditorQuestion:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise NotFound("builder.question_unknown")

    def section(self, section_id: int) -> EditorSection:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise NotFound("builder.section_unknown")

    def earlier_questions(
        self, *, question_id: int | None = None, section_id: int | None = None
    ) -> list[EditorQuestion]:
        """Questions a condition may point at: before the question, or before the page."""
        found: list[EditorQuestion] = []
        for s in self.sections:
            if s.id == section_id:
                return found
            for q in s.questions:
                if q.id == question_id:
                    return found
                if not q.retired:
                    found.append(q)
        return found


def _pair(fr: str, en: str) -> dict[str, str]:
    return {"fr": fr, "en": en}


async def _fetch(conn: asyncpg.Connection, slug: str, *, lock: bool = False) -> Editor:
    head = await surveys.editor_head(conn, slug, lock=lock)
    if head is None:
        raise NotFound("error.survey_not_found")
    section_rows = await sections.by_survey(conn, head.id)
    question_rows = await questions.in_page_order(conn, head.id)
    counts = await responses.answer_counts_by_code(conn, head.id)
    total = await responses.count_for_survey(conn, head.id)
    by_id = {
        s.id: EditorSection(
            s.id,
            _pair(s.title_fr, s.title_en),
            _pair(s.description_fr, s.description_en),
            s.settings,
        )
        for s in section_rows
    }
    for q in question_rows:
        by_id[q.section_id].questions.append(
            EditorQuestion(
                id=q.id,
                section_id=q.section_id,
                code=q.code,
                kind=q.kind,
                text=_pair(q.text_fr, q.text_en),
                help=_pair(q.help_fr, q.help_en),
                required=q.required,
                personal_data=q.personal_data,
                settings=q.settings,
                answered=counts.get(q.code, 0),
                retired=q.retired,
            )
        )
    return Editor(
        id=head.id,
        slug=head.slug,
        status=head.status,
        version=head.version,
        title=_pair(head.title_fr, head.title_en),
        description=_pair(head.description_fr, head.description_en),
        consent=_pair(head.consent_fr, head.consent_en),
        access_mode=head.access_mode,
        resume_days=head.resume_days,
        retention_days=head.retention_days,
        opens_at=head.opens_at,
        closes_at=head.closes_at,
        responses=total,
        sections=list(by_id.values()),
    )


async def get_editor(slug: str) -> Editor:
    """The survey with everything the builder pages show."""
    async with connection() as conn:
        return await _fetch(conn, slug)


def _as_definition(editor: Editor) -> dict[str, Any]:
    """The survey as checked after an edit: retired questions last, with no condition, so
    their codes stay taken and no shown question or page may depend on them."""
    retired = [
        {"code": q.code, "kind": q.kind, "settings": with_condition(q.settings, None)}
        for q in editor.questions
        if q.retired
    ]
    pages = [
        {
            "title": s.title,
            "settings": s.settings,
            "questions": [
                {"code": q.code, "kind": q.kind, "settings": q.settings}
                for q in s.questions
                if not q.retired
            ],
        }
        for s in editor.sections
    ]
    if retired:
        pages.append({"title": {"fr": "retired"}, "settings": {}, "questions": retired})
    return {
        "slug": editor.slug,
        "title": editor.title,
        "sections": pages,
        "access": {"mode": editor.access_mode, "resume_days": editor.resume_days},
    }


async def _finish(conn: asyncpg.Connection, slug: str) -> Editor:
    """Renumber positions, check the whole survey, bump its version."""
    await sections.renumber(conn, slug)
    await questions.renumber(conn, slug)
    editor = await _fetch(conn, slug)
    data = _as_definition(editor)
    if any(s["questions"] for s in data["sections"]):
        check_definition(data)
    else:
        conditions.check_conditions(data["sections"])
    await surveys.bump_version(conn, editor.id)
    editor.version += 1
    return editor


async def edit(slug: str, change: Any, *, condition_field: str | None = None) -> Editor:
    """Run ``change(conn, editor)`` in a transaction, then check and version the survey.

    With ``condition_field``, a condition refused by the final check is reported next to
    that form field instead of as a page error.
    """
    try:
        async with connection() as conn, conn.transaction():
            editor = await _fetch(conn, slug, lock=True)
            await change(conn, editor)
            result = await _finish(conn, slug)
    except Invalid:
        raise
    except SurveyError as error:
        if condition_field and error.key.startswith("builder.condition_"):
            raise Invalid({condition_field: FieldError(error.key, error.params)}) from error
        raise
    forget(slug)
    return result


# --- surveys --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Texts:
    """A text in each language the builder edits; French is the one a survey must have."""

    fr: str = ""
    en: str = ""

    def cut(self, limit: int) -> Texts:
        """Both texts without surrounding spaces, at most ``limit`` characters."""
        return Texts(clip(self.fr, limit), clip(self.en, limit))


def clip(text: str, limit: int) -> str:
    return text.strip()[:limit]


@dataclass(frozen=True)
class NewSurvey:
    """A new survey: its address and title, copied from a ready-made survey (``template``,
    see ``templates_lib``) or blank. Errors are keyed ``slug``, ``title.fr``, ``template``."""

    slug: str
    title: Texts
    template: str = ""


@dataclass(frozen=True)
class SurveySettings:
    """The survey's own settings form. Errors are keyed by these attribute names, a text's
    by its language too (``title.fr``)."""

    title: Texts
    description: Texts = Texts()
    consent: Texts = Texts()
    access_mode: str = "open"
    resume_days: int | Unread = 30
    retention_days: int | Unread | None = None  # none: kept until staff erase them


async def create_blank_survey(command: NewSurvey) -> str:
    """A new draft survey with one empty page; returns its slug."""
    slug = clip(command.slug, 80).lower()
    title = command.title.cut(200)
    errors: dict[str, FieldError] = {}
    if not SLUG_RE.match(slug):
        errors["slug"] = FieldError("builder.slug_invalid", {})
    if not title.fr:
        errors["title.fr"] = FieldError("builder.title_missing", {})
    if errors:
        raise Invalid(errors)
    definition = {
        "slug": slug,
        "status": "draft",
        "title": {"fr": title.fr, "en": title.en},
        "sections": [{"title": {"fr": "Page 1", "en": "Page 1"}, "questions": []}],
    }
    try:
        await create_survey_from_definition(definition)
    except SurveyError as exc:
        if exc.key == "error.slug_taken":
            raise Invalid({"slug": FieldError("builder.slug_taken", {"slug": slug})}) from exc
        raise
    return slug


async def update_survey(slug: str, command: SurveySettings) -> Editor:
    """Titles, introduction, consent text and distribution settings."""
    errors: dict[str, FieldError] = {}
    title = command.title.cut(200)
    if not title.fr:
        errors["title.fr"] = FieldError("builder.title_missing", {})
    mode = clip(command.access_mode, 16)
    if mode not in ACCESS_MODES:
        errors["access_mode"] = FieldError("builder.access_invalid", {})
    days = 0 if isinstance(command.resume_days, Unread) else command.resume_days
    if not 1 <= days <= 365:
        errors["resume_days"] = FieldError("builder.resume_days_invalid", {})
    typed = command.retention_days
    retention = None if isinstance(typed, Unread) else typed
    if isinstance(typed, Unread) or not (retention is None or 0 < retention <= RETENTION_MAX_DAYS):
        errors["retention_days"] = FieldError(
            "error.retention_invalid", {"max": RETENTION_MAX_DAYS}
        )
    if errors:
        raise Invalid(errors)

    async def change(conn: asyncpg.Connection, editor: Editor) -> None:
        if mode != editor.access_mode and editor.responses:
            # Switching after answers arrived would mix traced and untraced responses.
            raise Invalid({"access_mode": FieldError("builder.access_locked", {})})
        description = command.description.cut(5000)
        consent = command.consent.cut(5000)
        await surveys.update_settings(
            conn,
            editor.id,
            title=(title.fr, title.en),
            description=(description.fr, description.en),
            consent=(consent.fr, consent.en),
            access_mode=mode,
            resume_days=days,
            retention_days=retention,
        )

    return await edit(slug, change)


def with_condition(settings: dict[str, Any], condition: dict[str, Any] | None) -> dict[str, Any]:
    result = {k: v for k, v in settings.items() if k != conditions.KEY}
    if condition:
        result[conditions.KEY] = condition
    return result


def refuse_if_referenced(
    editor: Editor, codes: set[str], *, ignore_section: int | None = None
) -> None:
    for s in editor.sections:
        if s.id != ignore_section and conditions.references(s.settings) in codes:
            raise SurveyError("builder.delete_referenced", code=conditions.references(s.settings))
        for q in s.questions:
            if s.id == ignore_section or q.retired:
                continue
            if conditions.references(q.settings) in codes:
                raise SurveyError(
                    "builder.delete_referenced", code=conditions.references(q.settings)
                )


def free_code(base: str, taken: set[str]) -> str:
    stem = base[:56]
    for n in range(2, 1000):
        code = f"{stem}_{n}"
        if code not in taken:
            taken.add(code)
            return code
    raise SurveyError("error.try_again")


async def insert_question(
    conn: asyncpg.Connection,
    section_id: int,
    position: int,
    code: str,
    q: EditorQuestion,
    settings: dict[str, Any],
) -> int:
    """A copy of ``q`` (or a new question) under ``code`` with ``settings``; its id."""
    return await questions.insert(
        conn,
        questions.NewQuestion(
            section_id,
            position,
            code,
            q.kind,
            q.text["fr"],
            q.text["en"],
            q.help["fr"],
            q.help["en"],
            q.required,
            q.personal_data,
            settings,
        ),
    )


def slugify(text: str, limit: int = 40) -> str:
    """A question or choice code from a label: ``Transport à la demande`` → ``transport_a_la``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", plain)
    code = ""
    for word in words:
        if len(code) + len(word) + 1 > limit:
            break
        code = f"{code}_{word}" if code else word
    return code or "q"


def kinds() -> list[str]:
    """Question kinds in the order the builder lists them."""
    return [str(k) for k in QuestionKind]
