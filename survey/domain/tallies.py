"""Answer counts: how many respondents gave each answer value, and how many answered per day and
channel, under dashboard filters.

Counts come from ``dashboard_tallies``, a summary kept per day, channel, territory and age
band (see the ``4_..._dashboard`` migration): responses are queued by a trigger when stored
and folded into the tallies by the next dashboard view, so a page reads a few thousand
summary rows whatever the number of responses. A filter on another question aggregates the
``responses`` rows themselves (containment filters use the GIN index). Both paths share one
SQL expansion of answers into (question, value) slots.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from survey.domain.dashboard_filters import Filters, breakdown_codes, response_where
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.queries import dashboard_pending, dashboard_state, dashboard_tallies, responses
from survey.enums import QuestionKind

ALL = "*"
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


async def update_tallies(definition: SurveyDef, zone: ZoneInfo) -> None:
    """Fold newly stored responses into the tallies, counted by days of ``zone``; rebuild
    them after edits or deletions, or when they were counted in another zone."""
    every, scalar, arrays = _slot_codes(definition)
    territory, age = breakdown_codes(definition)
    args = (definition.id, every, scalar, arrays, territory, age, zone.key)
    async with connection() as conn, conn.transaction():
        await dashboard_tallies.lock(conn, definition.id)
        await dashboard_tallies.tune_for_folding(conn)
        state = await dashboard_state.of_survey(conn, definition.id)
        if (
            state is None
            or state.stale
            or (state.territory_code, state.age_code, state.time_zone) != (territory, age, zone.key)
        ):
            await dashboard_tallies.delete_for_survey(conn, definition.id)
            await dashboard_tallies.rebuild(conn, args)
            await dashboard_state.mark_built(conn, definition.id, territory, age, zone.key)
            return
        if await dashboard_pending.any_for_survey(conn, definition.id):
            await dashboard_tallies.fold(conn, args)


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
    rows, days = await dashboard_tallies.sums(
        definition.id,
        cell[0],
        cell[1],
        filters.date_from or dt.date.min,
        filters.date_to or dt.date.max,
        filters.channel,
    )
    return Counts(
        {(r.code, r.value): (r.n, r.total) for r in rows},
        [(d.day, d.channel, d.n) for d in days],
        "tallies",
    )


async def _count_from_responses(definition: SurveyDef, filters: Filters, zone: ZoneInfo) -> Counts:
    every, scalar, arrays = _slot_codes(definition)
    args: list[Any] = [definition.id, every, scalar, arrays, "", "", zone.key]
    where = response_where(definition, filters, args, zone)
    rows, counted = await responses.slot_counts(where, args)
    slots = {(r.code, r.value): (r.n, r.total) for r in rows}
    days = sorted((d.day, d.channel, d.n) for d in counted)
    return Counts(slots, days, "responses")
