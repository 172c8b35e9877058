"""Survey definitions as plain data, loaded once and cached per survey version.

The resident pages and the submit path read definitions on every request; keeping them as
frozen dataclasses lets validation stay pure and costs no query on the hot path.

A question taken out of a published survey is *retired*, not deleted (see
``survey.domain.builder``): ``sections`` hold what new residents are shown, while
``questions`` also lists the retired ones after them, so every export, the responses page
and the dashboards keep the answers those questions received. A page whose questions are
all retired is no longer shown.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import time
from dataclasses import dataclass, field
from typing import Any

from survey.db import CONNECTION_ERRORS
from survey.domain.conditions import check_conditions
from survey.domain.db import connection
from survey.domain.queries import questions, sections, surveys
from survey.enums import CHOICE_KINDS, QuestionKind, SurveyStatus
from survey.errors import NotFound, SurveyError
from survey.i18n import pick
from survey.models import Survey

FORMAT = "parlons-survey"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
CODE_RE = re.compile(r"^[a-z0-9_][a-z0-9_-]{0,62}$")
_CACHE_SECONDS = 2.0
# Open link, one-time invitation codes, or codes that cannot be traced to the response.
ACCESS_MODES = ("open", "invitation", "anonymous")
DEFAULT_RESUME_DAYS = 30

Texts = dict[str, str]


@dataclass(frozen=True)
class Choice:
    code: str
    label: Texts

    def text(self, language: str) -> str:
        return pick(self.label, language)


@dataclass(frozen=True)
class QuestionDef:
    code: str
    kind: QuestionKind
    text: Texts
    help: Texts = field(default_factory=dict)
    required: bool = False
    personal_data: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    # Taken out of the survey: shown to no new resident, its stored answers kept.
    retired: bool = False

    # Cached: definitions are immutable and read on every request of the submit path.
    @functools.cached_property
    def choices(self) -> tuple[Choice, ...]:
        if self.kind == QuestionKind.YES_NO:
            return (
                Choice("yes", {"fr": "Oui", "en": "Yes"}),
                Choice("no", {"fr": "Non", "en": "No"}),
            )
        return tuple(
            Choice(c["code"], {k: v for k, v in c.items() if k != "code"})
            for c in self.settings.get("choices", [])
        )

    @functools.cached_property
    def choice_codes(self) -> frozenset[str]:
        return frozenset(c.code for c in self.choices)

    @property
    def field(self) -> str:
        """Name of the form field carrying this question's answer."""
        return f"q_{self.code}"

    def choice_label(self, code: str, language: str) -> str:
        for choice in self.choices:
            if choice.code == code:
                return choice.text(language)
        return code


@dataclass(frozen=True)
class SectionDef:
    title: Texts
    description: Texts
    questions: tuple[QuestionDef, ...]
    # Section-level settings: the display condition ``show_if``.
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SurveyDef:
    id: int
    slug: str
    status: SurveyStatus
    version: int
    title: Texts
    description: Texts
    consent: Texts
    sections: tuple[SectionDef, ...]
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None
    access_mode: str = "open"
    resume_days: int = DEFAULT_RESUME_DAYS
    retention_days: int | None = None
    # Questions taken out of the survey, whose stored answers are still read and exported.
    retired: tuple[QuestionDef, ...] = ()
    # Pages no longer shown because all their questions are retired: a page rendered before
    # may name a page number up to this many past the last one.
    hidden_pages: int = 0

    @functools.cached_property
    def questions(self) -> tuple[QuestionDef, ...]:
        """Every question that may hold answers: those shown, then the retired ones."""
        return tuple(q for s in self.sections for q in s.questions) + self.retired

    def accepting(self, now: dt.datetime) -> bool:
        """Open, and inside the scheduled opening window if there is one."""
        return (
            self.status == SurveyStatus.OPEN
            and (self.opens_at is None or now >= self.opens_at)
            and (self.closes_at is None or now < self.closes_at)
        )

    @property
    def needs_code(self) -> bool:
        return self.access_mode != "open"

    def question(self, code: str) -> QuestionDef:
        for q in self.questions:
            if q.code == code:
                return q
        raise NotFound("error.question_not_found", code=code)


_cache: dict[str, tuple[float, SurveyDef]] = {}


def forget(slug: str) -> None:
    """Drop a cached definition (after an edit in this process)."""
    _cache.pop(slug, None)


async def get_definition(slug: str) -> SurveyDef:
    """The definition of survey ``slug``; cached a couple of seconds per process."""
    now = time.monotonic()
    hit = _cache.get(slug)
    if hit and now - hit[0] < _CACHE_SECONDS:
        return hit[1]
    try:
        survey = await Survey.get_or_none(slug=slug)
    except CONNECTION_ERRORS:
        if hit:
            # PostgreSQL is restarting: the last known definition still shows the page,
            # so a resident's answers can be redisplayed with a "try again" message.
            return hit[1]
        raise
    if survey is None:
        raise NotFound("error.survey_not_found")
    if hit and hit[1].version == survey.version:
        _cache[slug] = (now, hit[1])
        return hit[1]
    definition = await _load(survey)
    _cache[slug] = (now, definition)
    return definition


async def _load(survey: Survey) -> SurveyDef:
    # Plain SQL: columns added by later migrations are read whether or not the ORM knows them.
    async with connection() as conn:
        head = await surveys.schedule(conn, survey.id)
        assert head is not None  # the survey row was read just before
        pages = await sections.by_survey(conn, survey.id)
        rows = await questions.in_page_order(conn, survey.id)
    by_section: dict[int, list[QuestionDef]] = {s.id: [] for s in pages}
    retired: list[QuestionDef] = []
    emptied: set[int] = set()
    for q in rows:
        question = QuestionDef(
            code=q.code,
            kind=QuestionKind(q.kind),
            text={"fr": q.text_fr, "en": q.text_en},
            help={"fr": q.help_fr, "en": q.help_en},
            required=q.required,
            personal_data=q.personal_data,
            settings=q.settings,
            retired=q.retired,
        )
        if question.retired:
            retired.append(question)
            emptied.add(q.section_id)
        else:
            by_section[q.section_id].append(question)
    # A page left with retired questions only is no longer shown.
    shown = [s for s in pages if by_section[s.id] or s.id not in emptied]
    return SurveyDef(
        id=survey.id,
        slug=survey.slug,
        status=SurveyStatus(survey.status),
        version=survey.version,
        title={"fr": survey.title_fr, "en": survey.title_en},
        description={"fr": survey.description_fr, "en": survey.description_en},
        consent={"fr": survey.consent_fr, "en": survey.consent_en},
        sections=tuple(
            SectionDef(
                title={"fr": s.title_fr, "en": s.title_en},
                description={"fr": s.description_fr, "en": s.description_en},
                questions=tuple(by_section[s.id]),
                settings=s.settings,
            )
            for s in shown
        ),
        opens_at=head.opens_at,
        closes_at=head.closes_at,
        access_mode=head.access_mode,
        resume_days=head.resume_days,
        retention_days=survey.retention_days,
        retired=tuple(retired),
        hidden_pages=len(pages) - len(shown),
    )


def _texts(data: dict[str, Any], key: str) -> Texts:
    value = data.get(key) or {}
    if isinstance(value, str):
        return {"fr": value, "en": ""}
    if not isinstance(value, dict):
        return {"fr": "", "en": ""}
    return {"fr": str(value.get("fr", "")), "en": str(value.get("en", ""))}


TITLE_MAX = 200  # surveys.title_* and sections.title_* columns
RETENTION_MAX_DAYS = 36_500


def _strings(value: Any) -> Any:
    """Every string of a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _check_shape(data: dict[str, Any]) -> None:
    """Refuse what PostgreSQL or the pages could not take: wrong types, NUL characters or
    lone surrogates, titles longer than their columns, a retention out of range."""
    for text in _strings(data):
        if "\x00" in text:
            raise SurveyError("error.definition_bad_character")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise SurveyError("error.definition_bad_character") from exc
    sections = data.get("sections")
    if not isinstance(sections, list) or not all(isinstance(s, dict) for s in sections):
        raise SurveyError("error.definition_format")
    for name in ("title", "description", "consent"):
        if not isinstance(data.get(name) or {}, dict | str):
            raise SurveyError("error.definition_format")
    if not isinstance(data.get("access") or {}, dict):
        raise SurveyError("error.definition_format")
    if any(len(t) > TITLE_MAX for t in _texts(data, "title").values()):
        raise SurveyError("error.title_too_long", max=TITLE_MAX)
    for section in sections:
        questions = section.get("questions") or []
        if not isinstance(section.get("settings") or {}, dict) or not isinstance(questions, list):
            raise SurveyError("error.definition_format")
        if any(len(t) > TITLE_MAX for t in _texts(section, "title").values()):
            raise SurveyError("error.section_title_too_long", max=TITLE_MAX)
        for q in questions:
            settings = q.get("settings") if isinstance(q, dict) else None
            if not isinstance(q, dict) or not isinstance(settings or {}, dict):
                raise SurveyError("error.definition_format")
            choices = (settings or {}).get("choices") or []
            if not isinstance(choices, list) or not all(
                isinstance(c, dict) and isinstance(c.get("code"), str) for c in choices
            ):
                raise SurveyError("error.choices_invalid", code=str(q.get("code", ""))[:64])
    days = data.get("retention_days")
    if days is not None and (
        not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= RETENTION_MAX_DAYS
    ):
        raise SurveyError("error.retention_invalid", max=RETENTION_MAX_DAYS)


def check_definition(data: dict[str, Any]) -> None:
    """Refuse a definition that would break the resident pages; errors carry message keys."""
    if data.get("format", FORMAT) != FORMAT:
        raise SurveyError("error.definition_format")
    _check_shape(data)
    slug = str(data.get("slug", ""))
    if not SLUG_RE.match(slug):
        raise SurveyError("error.slug_invalid", slug=slug[:64])
    if not _texts(data, "title")["fr"]:
        raise SurveyError("error.title_missing")
    seen: set[str] = set()
    sections = data.get("sections") or []
    if not sections:
        raise SurveyError("error.no_sections")
    for section in sections:
        for q in section.get("questions") or []:
            code = str(q.get("code", ""))
            if not CODE_RE.match(code) or code in seen:
                raise SurveyError("error.code_invalid", code=code[:64])
            seen.add(code)
            try:
                kind = QuestionKind(q.get("kind"))
            except ValueError as exc:
                raise SurveyError("error.kind_invalid", kind=str(q.get("kind"))[:64]) from exc
            if kind in CHOICE_KINDS and kind != QuestionKind.YES_NO or kind == QuestionKind.RANKING:
                choices = (q.get("settings") or {}).get("choices") or []
                codes = [c.get("code") for c in choices]
                if not choices or len(set(codes)) != len(codes):
                    raise SurveyError("error.choices_invalid", code=code)
    access = _access(data)
    if access["mode"] not in ACCESS_MODES:
        raise SurveyError("builder.access_invalid")
    if not 1 <= access["resume_days"] <= 365:
        raise SurveyError("builder.resume_days_invalid")
    try:
        check_conditions(sections)
    except (TypeError, AttributeError, ValueError) as exc:  # a condition of the wrong shape
        raise SurveyError("error.definition_format") from exc


def _access(data: dict[str, Any]) -> dict[str, Any]:
    """The distribution settings of a definition, defaults filled in."""
    access = data.get("access") or {}
    days = access.get("resume_days", DEFAULT_RESUME_DAYS)
    return {
        "mode": str(access.get("mode") or "open"),
        "resume_days": days if isinstance(days, int) and not isinstance(days, bool) else 0,
        "opens_at": _moment(access.get("opens_at")),
        "closes_at": _moment(access.get("closes_at")),
    }


def _moment(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise SurveyError("builder.date_invalid") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _new_question(section_id: int, position: int, q: dict[str, Any]) -> questions.NewQuestion:
    text, help_ = _texts(q, "text"), _texts(q, "help")
    return questions.NewQuestion(
        section_id,
        position,
        q["code"],
        str(QuestionKind(q["kind"])),
        text["fr"],
        text["en"],
        help_["fr"],
        help_["en"],
        bool(q.get("required")),
        bool(q.get("personal_data") or q["kind"] == QuestionKind.CONTACT),
        q.get("settings") or {},
    )


async def create_survey_from_definition(data: dict[str, Any]) -> Survey:
    """Create a survey, its sections and questions from a Parlons JSON definition."""
    check_definition(data)
    title, description, consent = (_texts(data, k) for k in ("title", "description", "consent"))
    access = _access(data)
    status = SurveyStatus(data.get("status", SurveyStatus.DRAFT))
    async with connection() as conn, conn.transaction():
        if await surveys.slug_taken(conn, data["slug"]):
            raise SurveyError("error.slug_taken", slug=data["slug"])
        survey_id = await surveys.insert(
            conn,
            surveys.NewSurvey(
                data["slug"],
                title["fr"],
                title["en"],
                description["fr"],
                description["en"],
                consent["fr"],
                consent["en"],
                str(status),
                data.get("retention_days"),
                access["mode"],
                access["resume_days"],
                access["opens_at"],
                access["closes_at"],
            ),
        )
        for s_pos, s in enumerate(data["sections"]):
            s_title, s_desc = _texts(s, "title"), _texts(s, "description")
            section_id = await sections.insert(
                conn,
                survey_id,
                s_pos,
                (s_title["fr"], s_title["en"]),
                (s_desc["fr"], s_desc["en"]),
                s.get("settings") or {},
            )
            await questions.insert_many(
                conn,
                [
                    _new_question(section_id, q_pos, q)
                    for q_pos, q in enumerate(s.get("questions") or [])
                ],
            )
    return await Survey.get(id=survey_id)


def definition_to_json(definition: SurveyDef) -> dict[str, Any]:
    """The Parlons JSON form of a definition (the inverse of the import)."""
    return {
        "format": FORMAT,
        "version": 1,
        "slug": definition.slug,
        "status": str(definition.status),
        "title": definition.title,
        "description": definition.description,
        "consent": definition.consent,
        "retention_days": definition.retention_days,
        "access": {
            "mode": definition.access_mode,
            "resume_days": definition.resume_days,
            "opens_at": definition.opens_at.isoformat() if definition.opens_at else None,
            "closes_at": definition.closes_at.isoformat() if definition.closes_at else None,
        },
        "sections": [
            {
                "title": s.title,
                "description": s.description,
                "settings": s.settings,
                "questions": [
                    {
                        "code": q.code,
                        "kind": str(q.kind),
                        "text": q.text,
                        "help": q.help,
                        "required": q.required,
                        "personal_data": q.personal_data,
                        "settings": q.settings,
                    }
                    for q in s.questions
                ],
            }
            for s in definition.sections
        ],
    }
