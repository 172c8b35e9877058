"""Answer counts: how many respondents gave each answer value, and how many answered per day and
channel, under dashboard filters.

Counts come from ``dashboard_tallies``, a summary kept per day, channel, territory and age
band (see the ``4_..._dashboard`` migration): responses are queued by a trigger when stored
and folded into the tallies by the next dashboard view, so a page reads a few thousand
summary rows whatever the number of responses. A filter on another question aggregates the
``responses`` rows themselves (containment filters use the GIN index). Both paths share one
SQL expansion of answers into (question, value) slots.
"""

# SQL below is assembled from constant fragments and numbered placeholders only; every value
# travels as a query parameter.
# ruff: noqa: S608
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from survey.domain.dashboard_filters import Filters, breakdown_codes, response_where
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.enums import QuestionKind

ALL = "*"
_LOCK_SPACE = 7_301_442  # advisory lock namespace of the tallies (per survey)
SCALAR_KINDS = frozenset(
    {
        QuestionKind.SINGLE,
        QuestionKind.TERRITORY,
        QuestionKind.YES_NO,
        QuestionKind.SCALE,
        QuestionKind.NUMBER,
    }
)
ARRAY_KINDS = frozenset({QuestionKind.MULTIPLE, QuestionKind.RANKING})


def _slot_codes(definition: SurveyDef) -> tuple[list[str], list[str], list[str]]:
    """Codes counted as answered, codes tallied by value, codes tallied by array element."""
    every = [q.code for q in definition.questions]
    tallied = [q for q in definition.questions if not q.personal_data]
    scalar = [q.code for q in tallied if q.kind in SCALAR_KINDS]
    arrays = [q.code for q in tallied if q.kind in ARRAY_KINDS]
    return every, scalar, arrays


# Expects a CTE ``base(answers, day, channel, ta, ag)`` and the code arrays as $2, $3, $4.
# The day is the response's day in the zone named by $7.
_SLOTS = """
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

_BASE_COLUMNS = """
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
    f" base AS (SELECT {_BASE_COLUMNS} FROM responses r"
    " WHERE r.id IN (SELECT response_id FROM taken) AND r.survey_id = $1),"
    + _SLOTS
    + _INSERT_TALLIES
)
_REBUILD = (
    "WITH taken AS (DELETE FROM dashboard_pending WHERE survey_id = $1),"
    f" base AS (SELECT {_BASE_COLUMNS} FROM responses r WHERE r.survey_id = $1),"
    + _SLOTS
    + _INSERT_TALLIES
)


async def update_tallies(definition: SurveyDef, zone: ZoneInfo) -> None:
    """Fold newly stored responses into the tallies, counted by days of ``zone``; rebuild
    them after edits or deletions, or when they were counted in another zone."""
    every, scalar, arrays = _slot_codes(definition)
    territory, age = breakdown_codes(definition)
    args = (definition.id, every, scalar, arrays, territory, age, zone.key)
    async with connection() as conn, conn.transaction():
        # Serialises folds of one survey; each later statement sees what the previous fold wrote.
        await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", _LOCK_SPACE, definition.id)
        # The planner overestimates the rows of jsonb_array_elements_text a hundredfold and
        # would sort millions of slots on disk; hashing them in memory is several times faster.
        await conn.execute("SET LOCAL work_mem = '64MB'")
        await conn.execute("SET LOCAL enable_sort = off")
        state = await conn.fetchrow(
            "SELECT territory_code, age_code, time_zone, stale FROM dashboard_state"
            " WHERE survey_id = $1",
            definition.id,
        )
        if (
            state is None
            or state["stale"]
            or (state["territory_code"], state["age_code"], state["time_zone"])
            != (territory, age, zone.key)
        ):
            await conn.execute("DELETE FROM dashboard_tallies WHERE survey_id = $1", definition.id)
            await conn.execute(_REBUILD, *args)
            await conn.execute(
                "INSERT INTO dashboard_state (survey_id, territory_code, age_code, time_zone,"
                " stale, built_at) VALUES ($1, $2, $3, $4, false, now())"
                " ON CONFLICT (survey_id) DO UPDATE SET territory_code = $2, age_code = $3,"
                " time_zone = $4, stale = false, built_at = now()",
                definition.id,
                territory,
                age,
                zone.key,
            )
            return
        pending = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM dashboard_pending WHERE survey_id = $1)", definition.id
        )
        if pending:
            await conn.execute(_FOLD, *args)


@dataclass(frozen=True)
class Counts:
    """Aggregated counts: (code, value) -> (n, sum of positions), responses per day/channel."""

    slots: dict[tuple[str, str], tuple[int, float]]
    days: list[tuple[dt.date, str, int]]
    source: str

    @property
    def base(self) -> int:
        return self.slots.get(("", ""), (0, 0.0))[0]

    def n(self, code: str, value: str = "") -> int:
        return self.slots.get((code, value), (0, 0.0))[0]

    def values(self, code: str) -> dict[str, tuple[int, float]]:
        return {v: nt for (c, v), nt in self.slots.items() if c == code and v != ""}


def _tally_dimensions(definition: SurveyDef, filters: Filters) -> tuple[str, str] | None:
    """The (territory, age) cell of the tallies serving ``filters``, or None if they cannot."""
    territory_code, age_code = breakdown_codes(definition)
    territory = age = ALL
    for code, value in filters.choices:
        if code == territory_code and territory == ALL:
            territory = value
        elif code == age_code and age == ALL:
            age = value
        else:
            return None
    return territory, age


async def count_answers(definition: SurveyDef, filters: Filters, zone: ZoneInfo) -> Counts:
    """Counts of every answer value under ``filters`` (from the tallies when they can serve),
    responses per day counted by days of ``zone``."""
    cell = _tally_dimensions(definition, filters)
    if cell is None:
        return await _count_from_responses(definition, filters, zone)
    await update_tallies(definition, zone)
    where = (
        "survey_id = $1 AND territory = $2 AND age = $3 AND day >= $4 AND day <= $5"
        " AND ($6 = '' OR channel = $6)"
    )
    args = (
        definition.id,
        cell[0],
        cell[1],
        filters.date_from or dt.date.min,
        filters.date_to or dt.date.max,
        filters.channel,
    )
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
    return Counts(
        {(r["code"], r["value"]): (int(r["n"]), float(r["total"])) for r in rows},
        [(d["day"], d["channel"], int(d["n"])) for d in days],
        "tallies",
    )


async def _count_from_responses(definition: SurveyDef, filters: Filters, zone: ZoneInfo) -> Counts:
    every, scalar, arrays = _slot_codes(definition)
    args: list[Any] = [definition.id, every, scalar, arrays, "", "", zone.key]
    where = response_where(definition, filters, args, zone)
    sql = (
        f"WITH base AS MATERIALIZED (SELECT {_BASE_COLUMNS} FROM responses r WHERE {where}),"
        + _SLOTS
        + " SELECT code, value, NULL::date AS day, NULL::text AS channel, count(*) AS n,"
        " coalesce(sum(pos), 0) AS total FROM slots GROUP BY code, value"
        " UNION ALL SELECT '', '', day, channel, count(*), 0 FROM base GROUP BY day, channel"
    )
    async with connection() as conn:
        rows = await conn.fetch(sql, *args)
    slots: dict[tuple[str, str], tuple[int, float]] = {}
    days: list[tuple[dt.date, str, int]] = []
    for r in rows:
        if r["day"] is None:
            slots[(r["code"], r["value"])] = (int(r["n"]), float(r["total"]))
        else:
            days.append((r["day"], r["channel"], int(r["n"])))
    days.sort()
    return Counts(slots, days, "responses")
