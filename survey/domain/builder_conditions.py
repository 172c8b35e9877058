"""Display conditions as the builder's forms type them and its pages describe them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from survey.domain import conditions
from survey.domain.builder import EditorQuestion, clean
from survey.domain.definitions import SurveyDef
from survey.domain.forms import FieldError, describe_condition
from survey.enums import QuestionKind


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
    raw_value = clean(data, "cond_value", 500)
    values = [v.strip() for v in re.split(r"[,;\n]", raw_value) if v.strip()]
    if not values:
        errors["cond_value"] = FieldError("builder.condition_value_missing", {})
        return None
    target_question = next(q for q in earlier if q.code == target)
    values = [_choice_code(target_question, v) for v in values]
    if op == conditions.ONE_OF:
        return {"question": target, "op": op, "values": values}
    return {"question": target, "op": op, "value": values[0]}


def _choice_code(question: EditorQuestion, typed: str) -> str:
    """Staff may type a choice's label instead of its code (``Oui`` for ``yes``)."""
    if question.kind == QuestionKind.YES_NO:
        choices = [
            {"code": "yes", "fr": "Oui", "en": "Yes"},
            {"code": "no", "fr": "Non", "en": "No"},
        ]
    else:
        choices = question.settings.get("choices") or []
    wanted = typed.casefold()
    for choice in choices:
        names = {str(choice.get(k, "")).casefold() for k in ("code", "fr", "en")}
        if wanted in names:
            return str(choice["code"])
    return typed


def condition_form(condition: Mapping[str, Any] | None) -> dict[str, str]:
    condition = condition or {}
    values = condition.get("values")
    return {
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
