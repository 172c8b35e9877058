"""The draw page before a draw: the choices so far, checked, the pool and the quotas proposed
around each value's proportional share, and the council's earlier draws."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from analysis import sortition_lib
from analysis.sortition import proportional_quotas
from survey.domain.councils import get_council
from survey.domain.definitions import QuestionDef, SurveyDef
from survey.domain.sortition_form import (
    STRATA_KINDS,
    DrawCommand,
    DrawErrors,
    DrawField,
    algorithms,
    check_choices,
    default_algorithm,
)
from survey.domain.volunteer_pool import contact_question, pool_counts, pool_query
from survey.enums import QuestionKind
from survey.models import Survey
from survey.models.councils import Council
from survey.models.sortition import SortitionDraw


@dataclass(frozen=True)
class QuotaRow:
    """One value of a stratification question: its pool count and the min/max proposed."""

    category: str
    value: str
    pool: int
    low: int
    high: int


@dataclass(frozen=True)
class SortitionPlan:
    """What the draw page shows: choices, the pool, the proposed or typed quotas."""

    council: Council
    surveys: list[Survey]
    definition: SurveyDef | None
    volunteer_questions: list[QuestionDef]
    strata_questions: list[QuestionDef]
    question: str
    strata: list[str]
    # The command's seed when it has a valid one, else one proposed.
    seed: int
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
    # What is wrong with the choices (the seed aside: one is proposed).
    errors: DrawErrors = field(default_factory=dict)


def _ordered(definition: SurveyDef, category: str, values: dict[str, int]) -> list[str]:
    """Values in the question's choice order, then any others, "no answer" last."""
    order = [c.code for c in definition.question(category).choices]
    known = [v for v in order if v in values]
    return known + sorted(v for v in values if v not in order and v) + [""] * ("" in values)


async def plan_sortition(council_id: int, command: DrawCommand) -> SortitionPlan:
    """The draw page for the choices so far: the quotas proposed around the proportional
    shares, once the survey, its volunteer question and the panel size are valid."""
    council = await get_council(council_id)
    choices = await check_choices(command)
    definition = choices.definition
    pool_size, unreachable, quotas, ready = 0, 0, [], False
    if definition is not None and not {DrawField.QUESTION, DrawField.SIZE} & choices.errors.keys():
        ready = True
        pool = await pool_counts(
            pool_query(definition, choices.question, council.id, choices.strata)
        )
        pool_size, unreachable, counts = pool.size, pool.unreachable, pool.counts
        proposed = proportional_quotas(counts, pool_size, choices.size or 0)
        for category in choices.strata:
            for value in _ordered(definition, category, counts[category]):
                low, high = proposed[category][value]
                quotas.append(QuotaRow(category, value, counts[category][value], low, high))
    questions = list(definition.questions) if definition else []
    return SortitionPlan(
        council=council,
        surveys=await Survey.all().order_by("-created_at", "-id"),
        definition=definition,
        volunteer_questions=[q for q in questions if q.kind == QuestionKind.YES_NO],
        strata_questions=[q for q in questions if q.kind in STRATA_KINDS],
        question=choices.question,
        strata=choices.strata,
        seed=choices.seed if choices.seed is not None else secrets.randbelow(10**9),
        pool_size=pool_size,
        unreachable=unreachable,
        has_contact=bool(definition and contact_question(definition)),
        ready=ready,
        quotas=quotas,
        draws=await SortitionDraw.filter(council_id=council.id).order_by("-created_at", "-id"),
        algorithm=choices.algorithm or default_algorithm(pool_size),
        algorithms=algorithms(),
        library_available=sortition_lib.AVAILABLE,
        errors={p: e for p, e in choices.errors.items() if p != DrawField.SEED},
    )
