"""The ``dashboard_tallies`` table: answer counts kept per day, channel, territory and age
band, folded from the responses queued in ``dashboard_pending`` (see the ``4_..._dashboard``
migration), and the expansion of answers into (question, value) slots that both the tallies
and the counts taken from ``responses`` themselves use."""

# SQL below is assembled from constant fragments and numbered placeholders only; every value
# travels as a query parameter.
# ruff: noqa: S608
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

import asyncpg

from survey.domain.db import connection

_LOCK_SPACE = 7_301_442  # advisory lock namespace of the tallies (per survey)


class SlotCount(NamedTuple):
    """Respondents who gave ``value`` to question ``code`` (``""``, ``""``: responses; a code
    and ``""``: responses that answered it) and the sum of the values' positions."""

    code: str
    value: str
    n: int
    total: float


class DayCount(NamedTuple):
    day: dt.date
    channel: str
    n: int


# Expects a CTE ``base(answers, day, channel, ta, ag)`` and the code arrays as $2, $3, $4.
# The day is the response's day in the zone named by $7.
SLOTS = """
slots AS (
    SELECT b.day, b.channel, b.ta, b.ag, ''::text AS code, ''::text AS value, 0::float8 AS pos
    FROM base b
    UNION ALL
    SELECT b.day, b.channel, b.ta, b.ag, k.code, '', 0
    FROM base b CROSS JOIN LATERAL unnest($2::text[]) AS k(code)
    WHERE b.answers ? k.code
    UNION ALL
    SELECT b.day, b.channel, b.ta, b.ag, k.code, b.answers ->> k.code, 0
    FROM base b CROSS JOIN LATERAL unnest($3::text[]) AS k(code)
    WHERE jsonb_typeof(b.answers -> k.code) IN ('string', 'number', 'boolean')
    UNION ALL
    SELECT b.day, b.channel, b.ta, b.ag, k.code, e.value, e.pos
    FROM base b CROSS JOIN LATERAL unnest($4::text[]) AS k(code)
    CROSS JOIN LATERAL jsonb_array_elements_text(
        CASE WHEN jsonb_typeof(b.answers -> k.code) = 'array' THEN b.answers -> k.code
             ELSE '[]'::jsonb END) WITH ORDINALITY AS e(value, pos)
)
"""

BASE_COLUMNS = """
    r.answers, (r.submitted_at AT TIME ZONE $7::text)::date AS day, r.channel,
    coalesce(r.answers ->> $5, '') AS ta, coalesce(r.answers ->> $6, '') AS ag
"""

# Counted at the finest grain first, then rolled up: the roll-up reads thousands of rows,
# not one per answer.
_INSERT_TALLIES = """,
fine AS (
    SELECT day, channel, ta, ag, code, value, count(*) AS n, coalesce(sum(pos), 0) AS total
    FROM slots GROUP BY day, channel, ta, ag, code, value
)
INSERT INTO dashboard_tallies (survey_id, territory, age, day, channel, code, value, n, total)
SELECT $1, CASE WHEN GROUPING(ta) = 1 THEN '*' ELSE ta END,
       CASE WHEN GROUPING(ag) = 1 THEN '*' ELSE ag END,
       day, channel, code, value, sum(n), sum(total)
FROM fine
GROUP BY GROUPING SETS ((day, channel, code, value, ta, ag), (day, channel, code, value, ta),
                        (day, channel, code, value, ag), (day, channel, code, value))
ON CONFLICT (survey_id, territory, age, day, channel, code, value) DO UPDATE
SET n = dashboard_tallies.n + EXCLUDED.n, total = dashboard_tallies.total + EXCLUDED.total
"""

# One statement, one snapshot: what is taken from the queue is exactly what is counted.
_FOLD = (
    "WITH taken AS (DELETE FROM dashboard_pending WHERE survey_id = $1 RETURNING response_id),"
    f" base AS (SELECT {BASE_COLUMNS} FROM responses r"
    " WHERE r.id IN (SELECT response_id FROM taken) AND r.survey_id = $1),"
    + SLOTS
    + _INSERT_TALLIES
)
_REBUILD = (
    "WITH taken AS (DELETE FROM dashboard_pending WHERE survey_id = $1),"
    f" base AS (SELECT {BASE_COLUMNS} FROM responses r WHERE r.survey_id = $1),"
    + SLOTS
    + _INSERT_TALLIES
)


async def lock(conn: asyncpg.Connection, survey_id: int) -> None:
    """Serialise the folds of one survey until the caller's transaction ends: each later
    statement sees what the previous fold wrote."""
    await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", _LOCK_SPACE, survey_id)


async def tune_for_folding(conn: asyncpg.Connection) -> None:
    """Settings of the caller's transaction under which a fold or rebuild runs fastest."""
    # The planner overestimates the rows of jsonb_array_elements_text a hundredfold and
    # would sort millions of slots on disk; hashing them in memory is several times faster.
    await conn.execute("SET LOCAL work_mem = '64MB'")
    await conn.execute("SET LOCAL enable_sort = off")


async def delete_for_survey(conn: asyncpg.Connection, survey_id: int) -> None:
    await conn.execute("DELETE FROM dashboard_tallies WHERE survey_id = $1", survey_id)


async def rebuild(conn: asyncpg.Connection, args: Sequence[Any]) -> None:
    """Count every response of the survey into the tallies, emptying its queue; ``args``:
    survey id, answered codes, value codes, array codes, territory and age codes, zone name."""
    await conn.execute(_REBUILD, *args)


async def fold(conn: asyncpg.Connection, args: Sequence[Any]) -> None:
    """Count the queued responses into the tallies (``args`` as for :func:`rebuild`)."""
    await conn.execute(_FOLD, *args)


async def sums(
    survey_id: int,
    territory: str,
    age: str,
    date_from: dt.date,
    date_to: dt.date,
    channel: str,
) -> tuple[list[SlotCount], list[DayCount]]:
    """The counts of one (territory, age) cell between two days (``channel`` ``""``: every
    channel): per (code, value), and responses per day and channel."""
    where = (
        "survey_id = $1 AND territory = $2 AND age = $3 AND day >= $4 AND day <= $5"
        " AND ($6 = '' OR channel = $6)"
    )
    args = (survey_id, territory, age, date_from, date_to, channel)
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT code, value, sum(n)::bigint AS n, sum(total) AS total"
            f" FROM dashboard_tallies WHERE {where} GROUP BY code, value",
            *args,
        )
        days = await conn.fetch(
            "SELECT day, channel, sum(n)::bigint AS n FROM dashboard_tallies"
            f" WHERE {where} AND code = '' AND value = '' GROUP BY day, channel ORDER BY day",
            *args,
        )
    return (
        [SlotCount(r["code"], r["value"], int(r["n"]), float(r["total"])) for r in rows],
        [DayCount(d["day"], d["channel"], int(d["n"])) for d in days],
    )
