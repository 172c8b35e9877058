"""The draw's command (survey, volunteer question, strata, panel size, seed, algorithm and
quotas) as typed values, and the rules it is checked against: each mistake a keyed error at
its place in the command, so that the page can show it next to what was typed."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from analysis import sortition_lib
from analysis.sortition import InfeasibleQuotas
from survey.domain.definitions import SurveyDef, get_definition
from survey.domain.forms import FieldError
from survey.enums import QuestionKind
from survey.errors import SurveyError
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


@dataclass(frozen=True)
class Quota:
    """A value's bounds as typed: ``None`` where what was typed is not a whole number."""

    minimum: int | None
    maximum: int | None


@dataclass(frozen=True)
class DrawCommand:
    """A draw as the staff ask for it (or, on the page before, the choices so far).

    Numbers are ``None`` where what was typed is not a whole number: the rules then say so
    at that place. ``quotas`` maps a stratification question to each of its values' bounds;
    a value of the pool without bounds is an error, like one typed wrong.
    """

    survey: str
    size: int | None
    seed: int | None = None
    # "": the default volunteer question; an empty algorithm is the default for the pool.
    question: str = ""
    strata: tuple[str, ...] = ()
    algorithm: str = ""
    quotas: Mapping[str, Mapping[str, Quota]] = field(default_factory=dict)
    # A form sent twice with the same key draws once.
    key: uuid.UUID | None = None


class DrawField(StrEnum):
    """The places of a draw command that hold one value."""

    SURVEY = "survey"
    QUESTION = "question"
    STRATA = "strata"
    SIZE = "size"
    SEED = "seed"
    ALGORITHM = "algorithm"


@dataclass(frozen=True)
class QuotaPlace:
    """Where a quota error belongs: one value's minimum or maximum, or (without a value) the
    whole stratification question."""

    category: str
    value: str | None = None
    bound: Literal["min", "max"] = "min"


ErrorPlace = DrawField | QuotaPlace
DrawErrors = dict[ErrorPlace, FieldError]


class InvalidDraw(SurveyError):
    """Some places of a draw command break the rules; ``errors`` maps place → error, in the
    order the page lists them."""

    status = 422

    def __init__(self, errors: DrawErrors) -> None:
        super().__init__("council.form_errors", n=len(errors))
        self.errors = errors


@dataclass(frozen=True)
class DrawChoices:
    definition: SurveyDef | None
    question: str
    size: int | None
    strata: list[str]
    seed: int | None
    # As asked; empty when the command did not say (the default then depends on the pool).
    algorithm: str
    errors: DrawErrors


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


async def check_choices(command: DrawCommand) -> DrawChoices:
    """The survey, volunteer question, panel size, strata and seed of a command, checked."""
    errors: DrawErrors = {}
    definition = None
    if not command.survey:
        errors[DrawField.SURVEY] = field_error("sortition.required")
    elif await Survey.exists(slug=command.survey):
        definition = await get_definition(command.survey)
    else:
        errors[DrawField.SURVEY] = field_error("sortition.survey_unknown")
    question = command.question or DEFAULT_VOLUNTEER_QUESTION
    strata = [s for s in dict.fromkeys(command.strata) if s and s != question]
    if definition is not None:
        kinds = {q.code: q.kind for q in definition.questions}
        if kinds.get(question) != QuestionKind.YES_NO:
            errors[DrawField.QUESTION] = field_error("sortition.not_yes_no")
        if any(kinds.get(s) not in STRATA_KINDS for s in strata):
            errors[DrawField.STRATA] = field_error("sortition.not_choice")
            strata = [s for s in strata if kinds.get(s) in STRATA_KINDS]
    size = command.size
    if size is None or not 1 <= size <= MAX_PANEL:
        errors[DrawField.SIZE] = field_error("sortition.size_invalid", max=MAX_PANEL)
        size = None
    seed = command.seed
    if seed is None or not 0 <= seed < MAX_SEED:
        errors[DrawField.SEED] = field_error("sortition.seed_invalid")
        seed = None
    return DrawChoices(definition, question, size, strata, seed, command.algorithm, errors)


def check_quotas(
    quotas: Mapping[str, Mapping[str, Quota]],
    counts: dict[str, dict[str, int]],
    errors: DrawErrors,
) -> dict[str, dict[str, tuple[int, int]]]:
    """The bounds of every value in the pool, each mistake added to ``errors``."""
    checked: dict[str, dict[str, tuple[int, int]]] = {}
    for category, values in counts.items():
        checked[category] = {}
        typed = quotas.get(category, {})
        for value in values:
            quota = typed.get(value, Quota(None, None))
            low, high = quota.minimum, quota.maximum
            bounds: tuple[tuple[Literal["min", "max"], int | None], ...] = (
                ("min", low),
                ("max", high),
            )
            for bound, number in bounds:
                if number is None or not 0 <= number <= MAX_PANEL:
                    place = QuotaPlace(category, value, bound)
                    errors[place] = field_error("sortition.quota_invalid", max=MAX_PANEL)
            low, high = low or 0, high or 0
            at_min = QuotaPlace(category, value, "min")
            if low > high and at_min not in errors:
                errors[at_min] = field_error("sortition.min_above_max")
            checked[category][value] = (low, high)
    return checked


def infeasible_error(exc: InfeasibleQuotas, size: int) -> DrawErrors:
    if exc.category is None:
        return {DrawField.SIZE: field_error("sortition.pool_too_small", size=size)}
    if exc.value is None:
        return {
            QuotaPlace(exc.category): field_error(f"sortition.{exc.reason}", category=exc.category)
        }
    params: dict[str, Any] = {"category": exc.category, "value": exc.value or "–"}
    if exc.reason in {"lower_minimum", "raise_maximum"}:
        # The library suggests the bound that would let a panel exist.
        bound: Literal["min", "max"] = "max" if exc.reason == "raise_maximum" else "min"
        return {
            QuotaPlace(exc.category, exc.value, bound): field_error(
                f"sortition.{exc.reason}", suggested=exc.suggested, **params
            )
        }
    return {QuotaPlace(exc.category, exc.value): field_error(f"sortition.{exc.reason}", **params)}
