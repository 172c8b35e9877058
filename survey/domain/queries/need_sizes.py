"""A need's size, the one way every page counts it: the residents who cite the need, main
need or another one of their answer (``need_answers`` and ``need_mentions``), once each."""

# The response conditions come from ``dashboard_filters.response_where``: constant fragments
# and numbered placeholders only, every value travels as a parameter.
# ruff: noqa: S608
from __future__ import annotations

from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import asyncpg

from survey.domain.dashboard_filters import Filters, response_where
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef

# Who cites which need of run ``${run}``: (need_id, response_id, main), a row per citation;
# an answer is the main citation of one need at most.
_CITING = """
SELECT need_id, response_id, true AS main FROM need_answers
WHERE run_id = ${run} AND need_id IS NOT NULL
UNION ALL
SELECT need_id, response_id, false FROM need_mentions WHERE run_id = ${run}
"""


def citing(run_param: int) -> str:
    """The citations of the run given as parameter ``$run_param``, as a sub-query."""
    return "(" + _CITING.replace("${run}", f"${int(run_param)}") + ")"


class NeedResidents(NamedTuple):
    """Residents of a need: all of them, and those for whom it is not their main need."""

    residents: int
    also: int


async def residents_by_need(run_id: int) -> dict[int, NeedResidents]:
    """Residents of each need of a run (one grouped query)."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT need_id, count(DISTINCT response_id) AS residents,"
            " count(DISTINCT response_id) FILTER (WHERE NOT main) AS also"
            f" FROM {citing(1)} c GROUP BY need_id",
            run_id,
        )
    return {int(r["need_id"]): NeedResidents(int(r["residents"]), int(r["also"])) for r in rows}


class NeedSize(NamedTuple):
    id: int
    label: str  # the reviewed name, else the found one
    quote_response_ids: Any  # as stored (JSON)
    size: int


async def sizes_under_filters(
    conn: asyncpg.Connection,
    definition: SurveyDef,
    filters: Filters,
    zone: ZoneInfo,
    run_id: int,
    limit: int,
) -> list[NeedSize]:
    """A run's needs (not those set aside) with their residents among the responses that
    ``filters`` keep, largest first, at most ``limit``."""
    args: list[Any] = [definition.id, run_id]
    where = response_where(definition, filters, args, zone)
    rows = await conn.fetch(
        "SELECT n.id, coalesce(n.staff_label, n.label) AS label, n.quote_response_ids,"
        " count(DISTINCT c.response_id) AS size FROM needs n"
        f" LEFT JOIN {citing(2)} c ON c.need_id = n.id"
        f" AND c.response_id IN (SELECT r.id FROM responses r WHERE {where})"
        " WHERE n.run_id = $2 AND n.is_need GROUP BY n.id"
        " ORDER BY size DESC, n.position LIMIT " + str(int(limit)),
        *args,
    )
    return [
        NeedSize(int(r["id"]), r["label"], r["quote_response_ids"], int(r["size"])) for r in rows
    ]
