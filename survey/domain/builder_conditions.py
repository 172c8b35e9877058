"""Display conditions as the builder's forms type them and its pages describe them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from survey.domain import conditions
from survey.domain.builder import EditorQuestion, clean
from survey.domain.definitions import SurveyDef
from survey.domain.forms import FieldError, describe_condition
from survey.enums import CHOICE_KINDS, QuestionKind


def condition_from(
    data: Mapping[str, Any],
    earlier: list[EditorQuestion],
    errors: dict[str, FieldError],
) -> dict[str, Any] | None:
    """A ``show_if`` condition from the form fields ``cond_*`` (empty: none)."""
    target = clean(data, "cond_question", 64)
    if not target:
        return None
    op = clean(data, "cond_op", 16)
    kinds = {q.code: q.kind for q in earlier}
    if target not in kinds:
        errors["cond_question"] = FieldError("builder.condition_pick", {})
        return None
    target_question = next(q for q in earlier if q.code == target)
    if target_question.kind in CHOICE_KINDS:
        return _choice_condition(data, target_question, errors)
    if op not in conditions.operators_for(kinds[target]):
        errors["cond_op"] = FieldError("builder.condition_op_pick", {})
        return None
    if op == conditions.BETWEEN:
        bounds: dict[str, Any] = {}
        for name in ("min", "max"):
            text = clean(data, f"cond_{name}", 20).replace(",", ".")
            if text:
                try:
                    bounds[name] = float(text) if "." in text else int(text)
                except ValueError:
                    errors[f"cond_{name}"] = FieldError("error.number", {})
        if not bounds and "cond_min" not in errors and "cond_max" not in errors:
            errors["cond_min"] = FieldError("builder.condition_bounds", {})
        return {"question": target, "op": op, **bounds}
    # A number typed for "equals": checked here, next to its field.
    text = clean(data, "cond_value", 20).replace(",", ".")
    if not text:
        errors["cond_value"] = FieldError("builder.condition_value_missing", {})
        return None
    try:
        number = float(text)
    except ValueError:
        errors["cond_value"] = FieldError("error.number", {})
        return None
    value = int(number) if number == int(number) else number
    return {"question": target, "op": conditions.EQUALS, "value": value}


def choices_of(question: EditorQuestion) -> list[dict[str, str]]:
    """The choices a condition on ``question`` may expect (yes and no for a yes/no one)."""
    if question.kind == QuestionKind.YES_NO:
        return [{"code": "yes", "fr": "Oui", "en": "Yes"}, {"code": "no", "fr": "Non", "en": "No"}]
    return list(question.settings.get("choices") or [])


def _choice_condition(
    data: Mapping[str, Any], question: EditorQuestion, errors: dict[str, FieldError]
) -> dict[str, Any] | None:
    """The answers ticked among the question's choices (``cond_value__CODE``); a label or
    code typed in ``cond_value`` is still understood. One of several for a single choice,
    "has ticked" for a multiple one."""
    codes = [c["code"] for c in choices_of(question)]
    values = [c for c in codes if data.get(f"cond_value__{c}")]
    if not values:
        typed = clean(data, "cond_value", 500)
        values = [_choice_code(question, v.strip()) for v in re.split(r"[,;\n]", typed)]
        values = [v for v in values if v]
    if not values:
        errors["cond_value"] = FieldError("builder.condition_value_missing", {})
        return None
    if any(v not in codes for v in values):
        errors["cond_value"] = FieldError("builder.condition_value_unknown", {})
        return None
    if question.kind == QuestionKind.MULTIPLE:
        if len(values) > 1:
            errors["cond_value"] = FieldError("builder.condition_one_choice", {})
            return None
        return {"question": question.code, "op": conditions.INCLUDES, "value": values[0]}
    if len(values) == 1:
        return {"question": question.code, "op": conditions.EQUALS, "value": values[0]}
    return {"question": question.code, "op": conditions.ONE_OF, "values": values}


def target_changed(data: Mapping[str, Any]) -> bool:
    """Whether the question a condition depends on was just picked or changed: the form is
    shown again with that question's answers to choose from, before anything is saved."""
    if "shown_cond_question" not in data:  # not sent by the builder's page: saved as it is
        return False
    picked = clean(data, "cond_question", 64)
    return bool(picked) and picked != clean(data, "shown_cond_question", 64)


def _choice_code(question: EditorQuestion, typed: str) -> str:
    """Staff may type a choice's label instead of its code (``Oui`` for ``yes``)."""
    wanted = typed.casefold()
    for choice in choices_of(question):
        names = {str(choice.get(k, "")).casefold() for k in ("code", "fr", "en")}
        if wanted in names:
            return str(choice["code"])
    return typed


def condition_form(condition: Mapping[str, Any] | None) -> dict[str, str]:
    """The form values of a stored condition (each expected choice ticked)."""
    condition = condition or {}
    values = condition.get("values")
    expected = values or ([condition["value"]] if "value" in condition else [])
    return {
        **{f"cond_value__{v}": "1" for v in expected},
        "cond_question": str(condition.get("question", "")),
        "cond_op": str(condition.get("op", "")),
        "cond_value": ", ".join(map(str, values)) if values else str(condition.get("value", "")),
        "cond_min": "" if condition.get("min") is None else str(condition["min"]),
        "cond_max": "" if condition.get("max") is None else str(condition["max"]),
    }


def describer(definition: SurveyDef, language: str) -> Callable[[Any], dict[str, str] | None]:
    """A function giving the words of a condition (``None`` when there is none)."""

    def describe(settings: Any) -> dict[str, str] | None:
        if conditions.condition_of(settings) is None:
            return None
        return describe_condition(definition.questions, settings, language)

    return describe
