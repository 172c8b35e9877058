"""The draw form: survey, volunteer question, panel size, strata, seed, algorithm and quotas
read from what the staff typed, each mistake kept as a keyed field error."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from analysis import sortition_lib
from analysis.sortition import InfeasibleQuotas
from survey.domain.definitions import SurveyDef, get_definition
from survey.domain.forms import FieldError, RawForm
from survey.enums import QuestionKind
from survey.models import Survey

DEFAULT_VOLUNTEER_QUESTION = "conseil"
MAX_PANEL = 500
DEFAULT_PANEL = 12
MAX_SEED = 2**53
STRATA_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.TERRITORY, QuestionKind.YES_NO})
SIMPLE_ALGORITHM = "simple"
# maximin solves hundreds of integer programs, more as the pool grows (measured on two busy
# cores: 4 s for 50 volunteers, 9 s for 100, 11 to 45 s for 200, 46 s for 400): it is
# proposed up to the first pool size and refused beyond the second.
MAXIMIN_PROPOSED_POOL = 100
MAXIMIN_MAX_POOL = 300


def field_error(key: str, **params: Any) -> FieldError:
    return FieldError(key, params)


def first_value(raw: RawForm, name: str) -> str:
    """The first value typed in field ``name``, stripped ("" when there is none)."""
    values = raw.get(name) or [""]
    return values[0].strip()


def min_field(category: str, value: str) -> str:
    return f"min:{category}:{value}"


def max_field(category: str, value: str) -> str:
    return f"max:{category}:{value}"


@dataclass(frozen=True)
class DrawChoices:
    definition: SurveyDef | None
    question: str
    size: int | None
    strata: list[str]
    seed: int | None
    # As typed; empty when the form did not say (the default then depends on the pool).
    algorithm: str
    errors: dict[str, FieldError]


def algorithms() -> tuple[str, ...]:
    """The draw algorithms this installation offers."""
    return sortition_lib.ALGORITHMS if sortition_lib.AVAILABLE else (SIMPLE_ALGORITHM,)


def default_algorithm(pool_size: int) -> str:
    if not sortition_lib.AVAILABLE:
        return SIMPLE_ALGORITHM
    return "maximin" if pool_size <= MAXIMIN_PROPOSED_POOL else "legacy"


def check_algorithm(algorithm: str, pool_size: int) -> FieldError | None:
    if algorithm in sortition_lib.ALGORITHMS and not sortition_lib.AVAILABLE:
        return field_error("sortition.library_missing")
    if algorithm not in algorithms():
        return field_error("sortition.algorithm_unknown")
    if algorithm == "maximin" and pool_size > MAXIMIN_MAX_POOL:
        return field_error("sortition.maximin_too_large", max=MAXIMIN_MAX_POOL)
    return None


async def read_choices(raw: RawForm) -> DrawChoices:
    """The survey, volunteer question, panel size, strata and seed read from a form."""
    errors: dict[str, FieldError] = {}
    slug = first_value(raw, "survey")
    definition = None
    if not slug:
        errors["survey"] = field_error("sortition.required")
    elif await Survey.exists(slug=slug):
        definition = await get_definition(slug)
    else:
        errors["survey"] = field_error("sortition.survey_unknown")
    question = first_value(raw, "question") or DEFAULT_VOLUNTEER_QUESTION
    strata = [s for s in dict.fromkeys(raw.get("strata", [])) if s and s != question]
    if definition is not None:
        kinds = {q.code: q.kind for q in definition.questions}
        if kinds.get(question) != QuestionKind.YES_NO:
            errors["question"] = field_error("sortition.not_yes_no")
        if any(kinds.get(s) not in STRATA_KINDS for s in strata):
            errors["strata"] = field_error("sortition.not_choice")
            strata = [s for s in strata if kinds.get(s) in STRATA_KINDS]
    size_text = first_value(raw, "size")
    size = int(size_text) if size_text.isdigit() and len(size_text) < 6 else None
    if size is None or not 1 <= size <= MAX_PANEL:
        errors["size"] = field_error("sortition.size_invalid", max=MAX_PANEL)
        size = None
    seed_text = first_value(raw, "seed")
    seed = int(seed_text) if seed_text.isdigit() and len(seed_text) < 17 else None
    if seed is None or seed >= MAX_SEED:
        errors["seed"] = field_error("sortition.seed_invalid")
        seed = None
    return DrawChoices(
        definition, question, size, strata, seed, first_value(raw, "algorithm"), errors
    )


def typed_quotas(
    raw: RawForm, counts: dict[str, dict[str, int]], errors: dict[str, FieldError]
) -> dict[str, dict[str, tuple[int, int]]]:
    quotas: dict[str, dict[str, tuple[int, int]]] = {}
    for category, values in counts.items():
        quotas[category] = {}
        for value in values:
            bounds = []
            for name in (min_field(category, value), max_field(category, value)):
                text = first_value(raw, name)
                if not text.isdigit() or int(text) > MAX_PANEL:
                    errors[name] = field_error("sortition.quota_invalid", max=MAX_PANEL)
                bounds.append(int(text) if text.isdigit() else 0)
            if bounds[0] > bounds[1] and min_field(category, value) not in errors:
                errors[min_field(category, value)] = field_error("sortition.min_above_max")
            quotas[category][value] = (bounds[0], bounds[1])
    return quotas


def infeasible_error(exc: InfeasibleQuotas, size: int) -> dict[str, FieldError]:
    if exc.category is None:
        return {"size": field_error("sortition.pool_too_small", size=size)}
    if exc.value is None:
        return {
            f"quota:{exc.category}": field_error(f"sortition.{exc.reason}", category=exc.category)
        }
    names = (exc.category, exc.value)
    params: dict[str, Any] = {"category": exc.category, "value": exc.value or "–"}
    if exc.reason in {"lower_minimum", "raise_maximum"}:
        # The library suggests the bound that would let a panel exist.
        field_name = (max_field if exc.reason == "raise_maximum" else min_field)(*names)
        return {
            field_name: field_error(f"sortition.{exc.reason}", suggested=exc.suggested, **params)
        }
    return {min_field(*names): field_error(f"sortition.{exc.reason}", **params)}


def form_key(raw: RawForm) -> uuid.UUID | None:
    try:
        return uuid.UUID(first_value(raw, "key")[:36])
    except ValueError:
        return None
