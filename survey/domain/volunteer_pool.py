"""The volunteer pool of a draw: responses that said "yes" to a survey's volunteer question,
have a usable contact and were not drawn before for the council, counted per
stratification value by PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from survey.domain.definitions import SurveyDef
from survey.enums import QuestionKind

# Responses that volunteered and were not drawn before for this council ($1 survey,
# $2 volunteer question, $3 council, $4 contact question), each marked reachable when its
# contact answer is an e-mail address or a phone number as the survey form accepts them;
# the pool is the reachable ones, and every query below starts from it.
_POOL = (
    "WITH volunteers AS (SELECT r.id, r.answers,"
    " (length(c.text) <= 254"
    "  AND c.text ~ '^[^@[:space:]<>]+@[^@[:space:]<>]+[.][^@[:space:]<>]{2,}$')"
    " OR c.text ~ '^[+]?[0-9][0-9 .()-]{7,18}[0-9]$' AS reachable"
    " FROM responses r CROSS JOIN LATERAL (SELECT btrim(coalesce(r.answers->>$4, '')) AS text) c"
    " WHERE r.survey_id = $1 AND r.answers->>$2 = 'yes' AND NOT EXISTS (SELECT 1"
    " FROM sortition_draws d WHERE d.council_id = $3 AND d.selected @> to_jsonb(r.id))),"
    " pool AS (SELECT id, answers FROM volunteers WHERE reachable) "
)
# The pool's size and the volunteers left out for want of a usable contact.
POOL_SIZE = (
    _POOL  # noqa: S608 - constants, no input
    + "SELECT count(*) FILTER (WHERE reachable) AS pool,"
    " count(*) FILTER (WHERE NOT reachable) AS unreachable FROM volunteers"
)
POOL_COUNTS = (
    _POOL  # noqa: S608 - constants only; every value is a placeholder
    + "SELECT k AS category, coalesce(p.answers->>k, '') AS value, count(*) AS n"
    " FROM pool p CROSS JOIN unnest($5::text[]) k GROUP BY 1, 2 ORDER BY 1, 2"
)
POOL_ROWS = (
    _POOL  # noqa: S608 - constants only; every value is a placeholder
    + "SELECT p.id, coalesce(p.answers->>$4, '') AS contact,"
    " ARRAY(SELECT coalesce(p.answers->>k, '') FROM unnest($5::text[])"
    " WITH ORDINALITY u(k, n) ORDER BY n) AS strata FROM pool p"
)


def contact_question(definition: SurveyDef) -> str:
    """The code of the survey's contact question ("" when it has none: nobody is reachable)."""
    return next((q.code for q in definition.questions if q.kind == QuestionKind.CONTACT), "")


@dataclass(frozen=True)
class VolunteerPool:
    size: int
    # Volunteers left out because their contact answer is neither an e-mail nor a phone.
    unreachable: int
    counts: dict[str, dict[str, int]]


async def pool_counts(
    conn: asyncpg.Connection,
    definition: SurveyDef,
    question: str,
    council_id: int,
    strata: list[str],
) -> VolunteerPool:
    """The pool's size and its count per stratification value (grouped in PostgreSQL)."""
    contact = contact_question(definition)
    sizes = await conn.fetchrow(POOL_SIZE, definition.id, question, council_id, contact)
    rows = await conn.fetch(POOL_COUNTS, definition.id, question, council_id, contact, strata)
    assert sizes is not None  # an aggregate always returns its one row
    counts: dict[str, dict[str, int]] = {s: {} for s in strata}
    for r in rows:
        counts[r["category"]][r["value"]] = r["n"]
    return VolunteerPool(sizes["pool"], sizes["unreachable"], counts)
