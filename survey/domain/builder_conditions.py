"""Display conditions as staff give them (``ConditionForm``), checked against the earlier
questions, and described in words on the builder's pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from survey.domain import conditions
from survey.domain.builder import EditorQuestion, clip
from survey.domain.definitions import SurveyDef
from survey.domain.forms import FieldError, describe_condition
from survey.domain.staff_forms import Unread
from survey.enums import CHOICE_KINDS, QuestionKind

Number = int | float


@dataclass(frozen=True)
class ConditionForm:
    """A display condition as the builder's form gives it (no ``question``: none). Its
    errors are keyed ``condition.`` and the attribute they are about, ``condition.value``
    for the expected answer however it was given."""

    question: str = ""  # the code of an earlier question
    op: str = ""  # for a number question: ``equals`` or ``between``
    ticked: frozenset[str] = frozenset()  # the expected choices, by code
    answers: tuple[str, ...] = ()  # or typed, each a choice's label or code
    number: Number | Unread | None = None  # the number a number question must equal
    low: Number | Unread | None = None  # or the bounds it must lie between
    high: Number | Unread | None = None


def condition_from(
    form: ConditionForm,
    earlier: list[EditorQuestion],
    errors: dict[str, FieldError],
) -> dict[str, Any] | None:
    """A ``show_if`` condition on one of the ``earlier`` questions (none without one)."""
    target = clip(form.question, 64)
    if not target:
        return None
    op = clip(form.op, 16)
    kinds = {q.code: q.kind for q in earlier}
    if target not in kinds:
        errors["condition.question"] = FieldError("builder.condition_pick", {})
        return None
    target_question = next(q for q in earlier if q.code == target)
    if target_question.kind in CHOICE_KINDS:
        return _choice_condition(form, target_question, errors)
    if op not in conditions.operators_for(kinds[target]):
        errors["condition.op"] = FieldError("builder.condition_op_pick", {})
        return None
    if op == conditions.BETWEEN:
        bounds: dict[str, Any] = {}
        for name, field, bound in (("min", "low", form.low), ("max", "high", form.high)):
            if isinstance(bound, Unread):
                errors[f"condition.{field}"] = FieldError("error.number", {})
            elif bound is not None:
                bounds[name] = bound
        if not bounds and "condition.low" not in errors and "condition.high" not in errors:
            errors["condition.low"] = FieldError("builder.condition_bounds", {})
        return {"question": target, "op": op, **bounds}
    # A number typed for "equals": checked here, next to its field.
    if form.number is None:
        errors["condition.value"] = FieldError("builder.condition_value_missing", {})
        return None
    if isinstance(form.number, Unread):
        errors["condition.value"] = FieldError("error.number", {})
        return None
    return {"question": target, "op": conditions.EQUALS, "value": form.number}


def choices_of(question: EditorQuestion) -> list[dict[str, str]]:
    """The choices a condition on ``question`` may expect (yes and no for a yes/no one)."""
    if question.kind == QuestionKind.YES_NO:
        return [{"code": "yes", "fr": "Oui", "en": "Yes"}, {"code": "no", "fr": "Non", "en": "No"}]
    return list(question.settings.get("choices") or [])


def _choice_condition(
    form: ConditionForm, question: EditorQuestion, errors: dict[str, FieldError]
) -> dict[str, Any] | None:
    """The answers ticked among the question's choices; labels or codes typed instead are
    still understood. One of several for a single choice, "has ticked" for a multiple one."""
    codes = [c["code"] for c in choices_of(question)]
    values = [c for c in codes if c in form.ticked]
    if not values:
        typed = [_choice_code(question, clip(v, 500)) for v in form.answers]
        values = [v for v in typed if v]
    if not values:
        errors["condition.value"] = FieldError("builder.condition_value_missing", {})
        return None
    if any(v not in codes for v in values):
        errors["condition.value"] = FieldError("builder.condition_value_unknown", {})
        return None
    if question.kind == QuestionKind.MULTIPLE:
        if len(values) > 1:
            errors["condition.value"] = FieldError("builder.condition_one_choice", {})
            return None
        return {"question": question.code, "op": conditions.INCLUDES, "value": values[0]}
    if len(values) == 1:
        return {"question": question.code, "op": conditions.EQUALS, "value": values[0]}
    return {"question": question.code, "op": conditions.ONE_OF, "values": values}


def _choice_code(question: EditorQuestion, typed: str) -> str:
    """Staff may type a choice's label instead of its code (``Oui`` for ``yes``)."""
    wanted = typed.casefold()
    for choice in choices_of(question):
        names = {str(choice.get(k, "")).casefold() for k in ("code", "fr", "en")}
        if wanted in names:
            return str(choice["code"])
    return typed


def describer(definition: SurveyDef, language: str) -> Callable[[Any], dict[str, str] | None]:
    """A function giving the words of a condition (``None`` when there is none)."""

    def describe(settings: Any) -> dict[str, str] | None:
        if conditions.condition_of(settings) is None:
            return None
        return describe_condition(definition.questions, settings, language)

    return describe
