"""Validation of resident answers: raw form values in, clean answers or keyed errors out.

Pure functions over a definition, so the same rules serve the web form, paper entry and
imports. Raw values are kept as typed so a page with errors shows them again untouched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from survey.domain import conditions
from survey.domain.conditions import is_visible, references
from survey.domain.contacts import is_email, is_phone
from survey.domain.definitions import QuestionDef, SectionDef
from survey.enums import QuestionKind
from survey.i18n import pick

RawForm = dict[str, list[str]]
OTHER = "__other__"
SHORT_MAX = 200
LONG_MAX = 5000


@dataclass(frozen=True)
class FieldError:
    key: str
    params: dict[str, Any]


def field_names(question: QuestionDef) -> list[str]:
    """Every form field name a question may send."""
    names = [question.field]
    if question.kind == QuestionKind.MULTIPLE and question.settings.get("allow_other"):
        names.append(f"{question.field}__other")
    if question.kind == QuestionKind.RANKING:
        names = [f"{question.field}__{c.code}" for c in question.choices]
    return names


def _first(raw: RawForm, name: str) -> str:
    values = raw.get(name) or [""]
    return values[0].strip()


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", ".").replace(" ", ""))
    except ValueError:
        return None
    return value if value == value and abs(value) < 1e12 else None


def parse_day(text: str) -> dt.date | None:
    """A day typed as ``2026-12-31``, ``31/12/2026`` or ``31/12/26``."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


TODAY: Final = "today"


def date_bound(value: Any, today: dt.date) -> dt.date | None:
    """A date question's ``min`` or ``max`` setting: an ISO date or ``"today"``; anything
    else (a hand-edited import) sets no bound."""
    if value == TODAY:
        return today
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _date_error(day: dt.date, settings: Mapping[str, Any], today: dt.date) -> FieldError | None:
    for name in ("min", "max"):
        bound = date_bound(settings.get(name), today)
        if bound is not None and (day < bound if name == "min" else day > bound):
            if settings.get(name) == TODAY:
                return FieldError(f"error.date_{name}_today", {})
            shown = {"fr": bound.strftime("%d/%m/%Y"), "en": bound.isoformat()}
            return FieldError(f"error.date_{name}", {"date": shown})
    return None


def exclusive_codes(question: QuestionDef) -> frozenset[str]:
    """Choices of a multiple-choice question that exclude the others ("Aucun")."""
    marked = question.settings.get("exclusive") or []
    return frozenset(str(c) for c in marked if isinstance(c, str)) & question.choice_codes


def clean_answer(
    question: QuestionDef, raw: RawForm, *, today: dt.date | None = None
) -> tuple[dict[str, Any], FieldError | None]:
    """Validate one question's raw values; return the answers to store (maybe empty).

    ``today`` is the territory's date, for date questions bounded by "today" (default: the
    date in UTC, for callers that have no time zone at hand).
    """
    kind = question.kind
    code = question.code
    if kind == QuestionKind.RANKING:
        return _clean_ranking(question, raw)
    if kind == QuestionKind.MULTIPLE:
        return _clean_multiple(question, raw)
    text = _first(raw, question.field)
    if not text:
        return {}, FieldError("error.required", {}) if question.required else None
    if kind in (QuestionKind.SINGLE, QuestionKind.TERRITORY, QuestionKind.YES_NO):
        if text not in question.choice_codes:
            return {}, FieldError("error.choice", {})
        return {code: text}, None
    if kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
        limit = SHORT_MAX if kind == QuestionKind.SHORT_TEXT else LONG_MAX
        if len(text) > limit:
            return {}, FieldError("error.too_long", {"max": limit, "length": len(text)})
        return {code: text}, None
    if kind in (QuestionKind.SCALE, QuestionKind.NUMBER):
        value = _number(text)
        if value is None:
            return {}, FieldError("error.number", {})
        low = question.settings.get("min", 1 if kind == QuestionKind.SCALE else None)
        high = question.settings.get("max", 5 if kind == QuestionKind.SCALE else None)
        if (low is not None and value < low) or (high is not None and value > high):
            return {}, FieldError("error.range", {"min": low, "max": high})
        if kind == QuestionKind.SCALE and value != int(value):
            return {}, FieldError("error.number", {})
        return {code: int(value) if value == int(value) else value}, None
    if kind == QuestionKind.DATE:
        day = parse_day(text)
        if day is None or not dt.date(1900, 1, 1) <= day <= dt.date(2100, 12, 31):
            return {}, FieldError("error.date", {})
        bounded = _date_error(day, question.settings, today or dt.datetime.now(dt.UTC).date())
        if bounded:
            return {}, bounded
        return {code: day.isoformat()}, None
    if kind == QuestionKind.CONTACT:
        if len(text) > SHORT_MAX or not (is_email(text) or is_phone(text)):
            return {}, FieldError("error.contact", {})
        return {code: text}, None
    raise AssertionError(f"unhandled question kind {kind}")


def _clean_multiple(
    question: QuestionDef, raw: RawForm
) -> tuple[dict[str, Any], FieldError | None]:
    allowed = {c.code for c in question.choices}
    allow_other = bool(question.settings.get("allow_other"))
    if allow_other:
        allowed.add(OTHER)
    chosen = [v for v in dict.fromkeys(raw.get(question.field) or []) if v]
    other = _first(raw, f"{question.field}__other")
    if other and allow_other and OTHER not in chosen:
        chosen.append(OTHER)  # Typing in "Other" is choosing it.
    if not chosen:
        return {}, FieldError("error.required", {}) if question.required else None
    if any(v not in allowed for v in chosen):
        return {}, FieldError("error.choice", {})
    alone = [v for v in chosen if v in exclusive_codes(question)]
    if alone and len(chosen) > 1:
        label = {lang: question.choice_label(alone[0], lang) for lang in ("fr", "en")}
        return {}, FieldError("error.exclusive_choice", {"choice": label})
    result: dict[str, Any] = {question.code: chosen}
    if OTHER in chosen:
        if not other:
            return {}, FieldError("error.other_required", {})
        if len(other) > SHORT_MAX:
            return {}, FieldError("error.too_long", {"max": SHORT_MAX, "length": len(other)})
        result[f"{question.code}__other"] = other
    return result, None


def _clean_ranking(question: QuestionDef, raw: RawForm) -> tuple[dict[str, Any], FieldError | None]:
    codes = [c.code for c in question.choices]
    ranks: dict[str, int] = {}
    for code in codes:
        text = _first(raw, f"{question.field}__{code}")
        if not text:
            continue
        if not text.isdigit() or not 1 <= int(text) <= len(codes):
            return {}, FieldError("error.ranking", {"n": len(codes)})
        ranks[code] = int(text)
    if not ranks:
        return {}, FieldError("error.required", {}) if question.required else None
    if len(ranks) != len(codes) or sorted(ranks.values()) != list(range(1, len(codes) + 1)):
        return {}, FieldError("error.ranking", {"n": len(codes)})
    return {question.code: sorted(codes, key=ranks.__getitem__)}, None


def clean_section(
    section: SectionDef,
    raw: RawForm,
    earlier: Mapping[str, Any] | None = None,
    *,
    today: dt.date | None = None,
) -> tuple[dict[str, Any], dict[str, FieldError]]:
    """Validate every shown question of a section.

    ``earlier`` holds the answers of the pages before; a question whose condition is not met
    is never required and whatever was typed for it is dropped.
    """
    answers: dict[str, Any] = {}
    errors: dict[str, FieldError] = {}
    known = dict(earlier or {})
    for question in section.questions:
        if not is_visible(question.settings, known):
            continue
        values, error = clean_answer(question, raw, today=today)
        if error:
            errors[question.code] = error
        else:
            answers.update(values)
            known.update(values)
    return answers, errors


@dataclass
class Walk:
    """Pages gone through in order, skipping hidden ones, up to the first with errors."""

    answers: dict[str, Any] = field(default_factory=dict)
    visible: list[int] = field(default_factory=list)
    failed: int | None = None
    errors: dict[str, FieldError] = field(default_factory=dict)
    # The answers known before each visible page: any earlier page can be shown again
    # without walking a second time.
    starts: dict[int, dict[str, Any]] = field(default_factory=dict, compare=False)

    def before(self, step: int) -> Walk:
        """What a walk up to ``step`` (a visible page of this one) would give."""
        return Walk(
            answers=self.starts.get(step, {}), visible=[i for i in self.visible if i < step]
        )


def walk_sections(
    sections: Sequence[SectionDef],
    raw: RawForm,
    stop: int | None = None,
    *,
    today: dt.date | None = None,
) -> Walk:
    """Validate the visible pages before ``stop`` (all pages by default)."""
    walk = Walk()
    for index, section in enumerate(sections[:stop]):
        if not is_visible(section.settings, walk.answers):
            continue
        walk.visible.append(index)
        walk.starts[index] = dict(walk.answers)
        values, errors = clean_section(section, raw, walk.answers, today=today)
        if errors:
            walk.failed, walk.errors = index, errors
            break
        walk.answers.update(values)
    return walk


def next_visible(
    sections: Sequence[SectionDef], after: int, answers: Mapping[str, Any]
) -> int | None:
    """The first page after ``after`` whose condition holds, if any."""
    for index in range(after + 1, len(sections)):
        if is_visible(sections[index].settings, answers):
            return index
    return None


def shown_questions(section: SectionDef, earlier: Mapping[str, Any]) -> list[QuestionDef]:
    """Questions to print on a page: those depending on an answer of the same page are shown
    (the server decides on sending), those depending on an earlier page only when met."""
    own = {q.code for q in section.questions}
    return [
        q
        for q in section.questions
        if references(q.settings) in own or is_visible(q.settings, earlier)
    ]


def clean_all(
    sections: Sequence[SectionDef], raw: RawForm, *, today: dt.date | None = None
) -> tuple[dict[str, Any], dict[str, FieldError]]:
    """Validate every visible page at once (paper entry): all errors, not just the first."""
    answers: dict[str, Any] = {}
    errors: dict[str, FieldError] = {}
    for section in sections:
        if not is_visible(section.settings, answers):
            continue
        values, section_errors = clean_section(section, raw, answers, today=today)
        answers.update(values)
        errors.update(section_errors)
    return answers, errors


def describe_condition(
    questions: Sequence[QuestionDef], settings: Mapping[str, Any] | None, language: str
) -> dict[str, str]:
    """The question and the expected answer of a condition, as words for a page."""
    condition = conditions.condition_of(settings) or {}
    code = str(condition.get("question", ""))
    target = next((q for q in questions if q.code == code), None)

    def label(value: Any) -> str:
        return target.choice_label(str(value), language) if target else str(value)

    op = condition.get("op")
    if op == conditions.BETWEEN:
        low, high = condition.get("min"), condition.get("max")
        if low is not None and high is not None:
            answer = f"{low} – {high}"
        else:
            answer = f"≥ {low}" if low is not None else f"≤ {high}"
    elif op == conditions.ONE_OF:
        answer = " / ".join(label(v) for v in condition.get("values") or [])
    else:
        answer = label(condition.get("value", ""))
    return {"question": pick(target.text, language) if target else code, "answer": answer}


def raw_from_answers(sections: Iterable[SectionDef], answers: dict[str, Any]) -> RawForm:
    """The raw form values that would produce ``answers`` (to refill a form)."""
    raw: RawForm = {}
    for section in sections:
        for q in section.questions:
            value = answers.get(q.code)
            if value is None:
                continue
            if q.kind == QuestionKind.RANKING:
                for position, code in enumerate(value, start=1):
                    raw[f"{q.field}__{code}"] = [str(position)]
            elif q.kind == QuestionKind.MULTIPLE:
                raw[q.field] = [str(v) for v in value]
                if f"{q.code}__other" in answers:
                    raw[f"{q.field}__other"] = [str(answers[f"{q.code}__other"])]
            else:
                raw[q.field] = [str(value)]
    return raw
