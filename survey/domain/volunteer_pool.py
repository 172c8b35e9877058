"""The volunteer pool of a draw: responses that said "yes" to a survey's volunteer question,
have a usable contact and were not drawn before for the council, counted per
stratification value by PostgreSQL (``queries.responses``, where its statements are)."""

from __future__ import annotations

import asyncpg

from survey.domain.definitions import SurveyDef
from survey.domain.queries import responses
from survey.domain.queries.responses import PoolQuery, VolunteerPool
from survey.enums import QuestionKind


def contact_question(definition: SurveyDef) -> str:
    """The code of the survey's contact question ("" when it has none: nobody is reachable)."""
    return next((q.code for q in definition.questions if q.kind == QuestionKind.CONTACT), "")


def pool_query(
    definition: SurveyDef, question: str, council_id: int, strata: list[str]
) -> PoolQuery:
    """The pool of a draw among the volunteers of ``question`` for a council, read by
    ``strata``."""
    return PoolQuery(definition.id, question, council_id, contact_question(definition), strata)


async def pool_counts(pool: PoolQuery, *, conn: asyncpg.Connection | None = None) -> VolunteerPool:
    """The pool's size and its count per stratification value; with ``conn``, as the
    caller's transaction sees it."""
    return await responses.volunteer_pool(pool, conn=conn)
