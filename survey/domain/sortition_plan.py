"""The draw page before a draw: the choices as typed, the pool and the quotas proposed around
each value's proportional share (or those typed), and the council's earlier draws."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from analysis import sortition_lib
from analysis.sortition import proportional_quotas
from survey.domain.councils import get_council
from survey.domain.definitions import QuestionDef, SurveyDef
from survey.domain.forms import FieldError, RawForm
from survey.domain.sortition_form import (
    DEFAULT_PANEL,
    STRATA_KINDS,
    algorithms,
    default_algorithm,
    first_value,
    max_field,
    min_field,
    read_choices,
)
from survey.domain.volunteer_pool import contact_question, pool_counts, pool_query
from survey.enums import QuestionKind
from survey.models import Survey
from survey.models.councils import Council
from survey.models.sortition import SortitionDraw


@dataclass(frozen=True)
class QuotaRow:
    """One value of a stratification question: its pool count and the min/max as typed."""

    category: str
    value: str
    pool: int
    low: str
    high: str

    @property
    def min_name(self) -> str:
        return min_field(self.category, self.value)

    @property
    def max_name(self) -> str:
        return max_field(self.category, self.value)


@dataclass(frozen=True)
class SortitionPlan:
    """What the draw page shows: choices, the pool, the proposed or typed quotas."""

    council: Council
    surveys: list[Survey]
    definition: SurveyDef | None
    volunteer_questions: list[QuestionDef]
    strata_questions: list[QuestionDef]
    survey: str
    question: str
    size: str
    strata: list[str]
    seed: str
    pool_size: int
    # Volunteers left out of the pool for want of a usable contact, and whether the survey
    # asks for one at all.
    unreachable: int
    has_contact: bool
    # The survey and its volunteer question are known and the size is valid: quotas shown.
    ready: bool
    quotas: list[QuotaRow]
    draws: list[SortitionDraw]
    algorithm: str
    # The algorithms offered: the library's when it is installed, else Parlons's own.
    algorithms: tuple[str, ...]
    library_available: bool
    errors: dict[str, FieldError] = field(default_factory=dict)


def _typed(raw: RawForm, name: str, proposed: int) -> str:
    """What the staff typed (kept even when wrong), else the proposal."""
    return first_value(raw, name) if name in raw else str(proposed)


def _ordered(definition: SurveyDef, category: str, values: dict[str, int]) -> list[str]:
    """Values in the question's choice order, then any others, "no answer" last."""
    order = [c.code for c in definition.question(category).choices]
    known = [v for v in order if v in values]
    return known + sorted(v for v in values if v not in order and v) + [""] * ("" in values)


async def plan_sortition(
    council_id: int, raw: RawForm, errors: dict[str, FieldError] | None = None
) -> SortitionPlan:
    """The draw page: proposed quotas (one around the proportional share) or the typed ones."""
    council = await get_council(council_id)
    raw = dict(raw)
    raw.setdefault("size", [str(DEFAULT_PANEL)])
    if not first_value(raw, "seed"):
        raw["seed"] = [str(secrets.randbelow(10**9))]
    choices = await read_choices(raw)
    definition = choices.definition
    pool_size, unreachable, quotas, ready = 0, 0, [], False
    if definition is not None and not {"question", "size"} & choices.errors.keys():
        ready = True
        pool = await pool_counts(
            pool_query(definition, choices.question, council.id, choices.strata)
        )
        pool_size, unreachable, counts = pool.size, pool.unreachable, pool.counts
        proposed = proportional_quotas(counts, pool_size, choices.size or 0)
        for category in choices.strata:
            for value in _ordered(definition, category, counts[category]):
                low, high = proposed[category][value]
                quotas.append(
                    QuotaRow(
                        category=category,
                        value=value,
                        pool=counts[category][value],
                        low=_typed(raw, min_field(category, value), low),
                        high=_typed(raw, max_field(category, value), high),
                    )
                )
    questions = list(definition.questions) if definition else []
    return SortitionPlan(
        council=council,
        surveys=await Survey.all().order_by("-created_at", "-id"),
        definition=definition,
        volunteer_questions=[q for q in questions if q.kind == QuestionKind.YES_NO],
        strata_questions=[q for q in questions if q.kind in STRATA_KINDS],
        survey=first_value(raw, "survey"),
        question=choices.question,
        size=first_value(raw, "size"),
        strata=choices.strata,
        seed=first_value(raw, "seed"),
        pool_size=pool_size,
        unreachable=unreachable,
        has_contact=bool(definition and contact_question(definition)),
        ready=ready,
        quotas=quotas,
        draws=await SortitionDraw.filter(council_id=council.id).order_by("-created_at", "-id"),
        algorithm=choices.algorithm or default_algorithm(pool_size),
        algorithms=algorithms(),
        library_available=sortition_lib.AVAILABLE,
        # On the first visit nothing was typed yet: no error to show.
        errors=errors if errors is not None else (choices.errors if raw.get("survey") else {}),
    )
