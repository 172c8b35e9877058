"""Survey definitions as plain data, loaded once and cached per survey version.

The resident pages and the submit path read definitions on every request; keeping them as
frozen dataclasses lets validation stay pure and costs no query on the hot path.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from tortoise.transactions import in_transaction

from survey.enums import CHOICE_KINDS, QuestionKind, SurveyStatus
from survey.errors import NotFound, SurveyError
from survey.i18n import pick
from survey.models import Question, Section, Survey

FORMAT = "parlons-survey"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
CODE_RE = re.compile(r"^[a-z0-9_][a-z0-9_-]{0,62}$")
_CACHE_SECONDS = 2.0

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

    @property
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

    @property
    def questions(self) -> tuple[QuestionDef, ...]:
        return tuple(q for s in self.sections for q in s.questions)

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
    survey = await Survey.get_or_none(slug=slug)
    if survey is None:
        raise NotFound("error.survey_not_found")
    if hit and hit[1].version == survey.version:
        _cache[slug] = (now, hit[1])
        return hit[1]
    definition = await _load(survey)
    _cache[slug] = (now, definition)
    return definition


async def _load(survey: Survey) -> SurveyDef:
    sections = await Section.filter(survey_id=survey.id).order_by("position")
    questions = await Question.filter(section__survey_id=survey.id).order_by("position")
    by_section: dict[int, list[QuestionDef]] = {s.id: [] for s in sections}
    for q in questions:
        by_section[q.section_id].append(  # type: ignore[attr-defined]
            QuestionDef(
                code=q.code,
                kind=QuestionKind(q.kind),
                text={"fr": q.text_fr, "en": q.text_en},
                help={"fr": q.help_fr, "en": q.help_en},
                required=q.required,
                personal_data=q.personal_data,
                settings=q.settings or {},
            )
        )
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
            )
            for s in sections
        ),
    )


def _texts(data: dict[str, Any], key: str) -> Texts:
    value = data.get(key) or {}
    if isinstance(value, str):
        return {"fr": value, "en": ""}
    return {"fr": str(value.get("fr", "")), "en": str(value.get("en", ""))}


def check_definition(data: dict[str, Any]) -> None:
    """Refuse a definition that would break the resident pages; errors carry message keys."""
    if data.get("format", FORMAT) != FORMAT:
        raise SurveyError("error.definition_format")
    slug = str(data.get("slug", ""))
    if not SLUG_RE.match(slug):
        raise SurveyError("error.slug_invalid", slug=slug)
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
                raise SurveyError("error.code_invalid", code=code)
            seen.add(code)
            try:
                kind = QuestionKind(q.get("kind"))
            except ValueError as exc:
                raise SurveyError("error.kind_invalid", kind=str(q.get("kind"))) from exc
            if kind in CHOICE_KINDS and kind != QuestionKind.YES_NO or kind == QuestionKind.RANKING:
                choices = (q.get("settings") or {}).get("choices") or []
                codes = [c.get("code") for c in choices]
                if not choices or len(set(codes)) != len(codes):
                    raise SurveyError("error.choices_invalid", code=code)


async def create_survey_from_definition(data: dict[str, Any]) -> Survey:
    """Create a survey, its sections and questions from a Parlons JSON definition."""
    check_definition(data)
    if await Survey.exists(slug=data["slug"]):
        raise SurveyError("error.slug_taken", slug=data["slug"])
    title, description, consent = (_texts(data, k) for k in ("title", "description", "consent"))
    async with in_transaction():
        survey = await Survey.create(
            slug=data["slug"],
            title_fr=title["fr"],
            title_en=title["en"],
            description_fr=description["fr"],
            description_en=description["en"],
            consent_fr=consent["fr"],
            consent_en=consent["en"],
            status=SurveyStatus(data.get("status", SurveyStatus.DRAFT)),
            retention_days=data.get("retention_days"),
        )
        for s_pos, s in enumerate(data["sections"]):
            s_title, s_desc = _texts(s, "title"), _texts(s, "description")
            section = await Section.create(
                survey=survey,
                position=s_pos,
                title_fr=s_title["fr"],
                title_en=s_title["en"],
                description_fr=s_desc["fr"],
                description_en=s_desc["en"],
            )
            for q_pos, q in enumerate(s.get("questions") or []):
                text, help_ = _texts(q, "text"), _texts(q, "help")
                await Question.create(
                    section=section,
                    position=q_pos,
                    code=q["code"],
                    kind=QuestionKind(q["kind"]),
                    text_fr=text["fr"],
                    text_en=text["en"],
                    help_fr=help_["fr"],
                    help_en=help_["en"],
                    required=bool(q.get("required")),
                    personal_data=bool(q.get("personal_data") or q["kind"] == QuestionKind.CONTACT),
                    settings=q.get("settings") or {},
                )
    return survey


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
        "sections": [
            {
                "title": s.title,
                "description": s.description,
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
