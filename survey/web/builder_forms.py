"""The builder's forms: the values they show for a survey, a page or a question, those
values read into the domain's commands, and the domain's field errors put back under the
names of the fields they are about, so the page shows each one next to its field with
what was typed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from survey import localtime
from survey.domain.builder import (
    Editor,
    EditorQuestion,
    EditorSection,
    NewSurvey,
    SurveySettings,
    Texts,
)
from survey.domain.builder_conditions import ConditionForm, Number
from survey.domain.builder_questions import (
    OFFER_MARKS,
    DayBound,
    NewQuestion,
    QuestionForm,
    TypedChoice,
    choices_from,
)
from survey.domain.builder_sections import SectionForm
from survey.domain.forms import TODAY, FieldError, parse_day
from survey.domain.staff_forms import Unread
from survey.enums import QuestionKind

# A command's attribute (``title.fr``) is the field ``title_fr`` unless named here.
_FIELDS = {
    "condition.question": "cond_question",
    "condition.op": "cond_op",
    "condition.value": "cond_value",
    "condition.low": "cond_min",
    "condition.high": "cond_max",
    "minimum": "min",
    "maximum": "max",
    "earliest": "min",
    "latest": "max",
}
# One checkbox a choice: ``cond_value__CODE`` ticks the choice ``CODE``.
_TICKED = "cond_value__"
# And ``exclusive__CODE`` makes it a choice only ticked alone.
_EXCLUSIVE = "exclusive__"
TODAY_WORDS = ("today", "aujourd'hui", "aujourd’hui", "aujourdhui")


def field_errors(errors: Mapping[str, FieldError]) -> dict[str, FieldError]:
    """The domain's errors keyed by the form fields they belong next to."""
    return {_FIELDS.get(name, name.replace(".", "_")): error for name, error in errors.items()}


def texts(values: Mapping[str, str], name: str) -> Texts:
    """The French and English fields ``NAME_fr`` and ``NAME_en``."""
    return Texts(values.get(f"{name}_fr", ""), values.get(f"{name}_en", ""))


def _whole(text: str) -> int | Unread | None:
    """A whole number of days typed (empty: none)."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        return Unread(text)
    try:
        return int(text)
    except ValueError:  # more digits than Python converts
        return Unread(text)


def new_survey(values: Mapping[str, str]) -> NewSurvey:
    return NewSurvey(
        slug=values.get("slug", ""),
        title=texts(values, "title"),
        template=values.get("template", ""),
    )


def survey_settings(values: Mapping[str, str]) -> SurveySettings:
    resume_days = _whole(values.get("resume_days", ""))
    return SurveySettings(
        title=texts(values, "title"),
        description=texts(values, "description"),
        consent=texts(values, "consent"),
        access_mode=values.get("access_mode", "").strip() or "open",
        resume_days=30 if resume_days is None else resume_days,
        retention_days=_whole(values.get("retention_days", "")),
    )


def _decimal(text: str) -> str:
    """A number as typed, with a French decimal comma read as a point."""
    return text.strip()[:20].replace(",", ".")


def _number(text: str) -> Number | Unread | None:
    """A number typed (empty: none), whole when it is."""
    typed = _decimal(text)
    if not typed:
        return None
    try:
        value = float(typed)
        return int(value) if value == int(value) else value
    except (ValueError, OverflowError):  # not a number, or infinite
        return Unread(text)


def _bound(text: str) -> Number | Unread | None:
    """A condition's bound: a decimal when typed with a point, else a whole number."""
    typed = _decimal(text)
    if not typed:
        return None
    try:
        return float(typed) if "." in typed else int(typed)
    except ValueError:
        return Unread(text)


def _ticked(values: Mapping[str, str], prefix: str) -> frozenset[str]:
    """The codes of the checkboxes ``PREFIXCODE`` ticked."""
    return frozenset(
        name.removeprefix(prefix)
        for name, value in values.items()
        if name.startswith(prefix) and value
    )


def condition(values: Mapping[str, str]) -> ConditionForm:
    """The ``cond_*`` fields: the expected choices are ticked, or typed in ``cond_value``
    separated by commas, semicolons or lines, where a number question's number is typed."""
    typed = values.get("cond_value", "")
    return ConditionForm(
        question=values.get("cond_question", ""),
        op=values.get("cond_op", ""),
        ticked=_ticked(values, _TICKED),
        answers=tuple(re.split(r"[,;\n]", typed.strip())),
        number=_number(typed),
        low=_bound(values.get("cond_min", "")),
        high=_bound(values.get("cond_max", "")),
    )


def target_changed(values: Mapping[str, str]) -> bool:
    """Whether the question a condition depends on was just picked or changed: the form is
    shown again with that question's answers to choose from, before anything is saved."""
    if "shown_cond_question" not in values:  # not sent by the builder's page: saved as it is
        return False
    picked = values.get("cond_question", "").strip()[:64]
    return bool(picked) and picked != values.get("shown_cond_question", "").strip()[:64]


def section(values: Mapping[str, str]) -> SectionForm:
    return SectionForm(
        title=texts(values, "title"),
        description=texts(values, "description"),
        condition=condition(values),
    )


def _kind(values: Mapping[str, str]) -> QuestionKind | None:
    try:
        return QuestionKind(values.get("kind", "").strip())
    except ValueError:
        return None


def _day(text: str) -> DayBound | Unread | None:
    """A date question's bound: a day, or "aujourd'hui" / "today" (empty: none)."""
    typed = text.strip()[:20]
    if not typed:
        return None
    if typed.casefold() in TODAY_WORDS:
        return TODAY
    return parse_day(typed) or Unread(text)


def choice_lines(text: str) -> tuple[TypedChoice, ...]:
    """One choice a line: ``French label | English label | code``, the last two optional."""
    typed: list[TypedChoice] = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if parts[0]:
            en = parts[1] if len(parts) > 1 else ""
            code = parts[2] if len(parts) > 2 else ""
            typed.append(TypedChoice(Texts(parts[0], en), code))
    return tuple(typed)


def listed_choices(text: str) -> list[dict[str, str]]:
    """The choices typed so far, for the form's "exclusive" checkboxes (none when invalid)."""
    return choices_from(choice_lines(text))[0]


def new_question(values: Mapping[str, str]) -> NewQuestion:
    return NewQuestion(kind=_kind(values), text=texts(values, "text"))


def question(values: Mapping[str, str]) -> QuestionForm:
    return QuestionForm(
        kind=_kind(values),
        text=texts(values, "text"),
        help=texts(values, "help"),
        code=values.get("code", ""),
        required=bool(values.get("required")),
        personal_data=bool(values.get("personal_data")),
        choices=choice_lines(values.get("choices", "")),
        allow_other=bool(values.get("allow_other")),
        exclusive=_ticked(values, _EXCLUSIVE),
        minimum=_number(values.get("min", "")),
        maximum=_number(values.get("max", "")),
        earliest=_day(values.get("min", "")),
        latest=_day(values.get("max", "")),
        min_label=texts(values, "min_label"),
        max_label=texts(values, "max_label"),
        analyse=values.get("analyse") != "0",
        marks=frozenset(mark for mark in OFFER_MARKS if values.get(mark)),
        condition=condition(values),
    )


# The groups of fields each kind's form shows, besides those every question has.
_LISTED = frozenset({"choices"})
FORM_PARTS: dict[str, frozenset[str]] = {
    QuestionKind.SINGLE: _LISTED,
    QuestionKind.TERRITORY: _LISTED,
    QuestionKind.RANKING: _LISTED,
    QuestionKind.MULTIPLE: _LISTED | {"other", "exclusive"},
    QuestionKind.SCALE: frozenset({"range", "scale_labels"}),
    QuestionKind.NUMBER: frozenset({"range"}),
    QuestionKind.DATE: frozenset({"dates"}),
}


def fields_missing(shown_kind: str, kind: str) -> bool:
    """Whether a form shown for ``shown_kind`` lacks fields that ``kind`` needs: the page is
    then shown again with them, what was typed kept, before anything is saved."""
    if not shown_kind or shown_kind == kind:
        return False
    return bool(FORM_PARTS.get(kind, frozenset()) - FORM_PARTS.get(shown_kind, frozenset()))


# --- the values a form shows for what is stored ---------------------------------------------


def survey_values(editor: Editor, zone: ZoneInfo) -> dict[str, str]:
    values = {
        f"{name}_{lang}": getattr(editor, name)[lang]
        for name in ("title", "description", "consent")
        for lang in ("fr", "en")
    }
    values.update(
        access_mode=editor.access_mode,
        resume_days=str(editor.resume_days),
        retention_days="" if editor.retention_days is None else str(editor.retention_days),
        opens_at=localtime.input_value(editor.opens_at, zone),
        closes_at=localtime.input_value(editor.closes_at, zone),
    )
    return values


def condition_values(condition: Mapping[str, Any] | None) -> dict[str, str]:
    """The form values of a stored condition (each expected choice ticked)."""
    condition = condition or {}
    values = condition.get("values")
    expected = values or ([condition["value"]] if "value" in condition else [])
    return {
        **{f"{_TICKED}{v}": "1" for v in expected},
        "cond_question": str(condition.get("question", "")),
        "cond_op": str(condition.get("op", "")),
        "cond_value": ", ".join(map(str, values)) if values else str(condition.get("value", "")),
        "cond_min": "" if condition.get("min") is None else str(condition["min"]),
        "cond_max": "" if condition.get("max") is None else str(condition["max"]),
    }


def section_values(section: EditorSection) -> dict[str, str]:
    return {
        "title_fr": section.title["fr"],
        "title_en": section.title["en"],
        "description_fr": section.description["fr"],
        "description_en": section.description["en"],
        **condition_values(section.condition),
    }


def _choices_text(settings: Mapping[str, Any]) -> str:
    """The choices of a question as the text area shows them, one a line."""
    return "\n".join(
        f"{c.get('fr', '')} | {c.get('en', '')} | {c['code']}" for c in settings.get("choices", [])
    )


def _bound_text(value: Any) -> str:
    """A bound as the form shows it: "aujourd'hui" for a date question's "today"."""
    if value is None:
        return ""
    return "aujourd'hui" if value == TODAY else str(value)


def question_values(question: EditorQuestion) -> dict[str, str]:
    settings = question.settings
    values = {
        "code": question.code,
        "kind": question.kind,
        "text_fr": question.text["fr"],
        "text_en": question.text["en"],
        "help_fr": question.help["fr"],
        "help_en": question.help["en"],
        "required": "1" if question.required else "",
        "personal_data": "1" if question.personal_data else "",
        "choices": _choices_text(settings),
        "allow_other": "1" if settings.get("allow_other") else "",
        "min": _bound_text(settings.get("min")),
        "max": _bound_text(settings.get("max")),
        **condition_values(question.condition),
    }
    for mark in OFFER_MARKS:
        values[mark] = "1" if settings.get(mark) is True else ""
    for code in settings.get("exclusive") or []:
        values[f"{_EXCLUSIVE}{code}"] = "1"
    for end in ("min_label", "max_label"):
        for lang in ("fr", "en"):
            values[f"{end}_{lang}"] = str((settings.get(end) or {}).get(lang, ""))
    return values
