"""The ``actions`` table: what staff decided to do, set-based reads (single actions are
edited through the ORM)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

import asyncpg

from survey.domain.db import connection


class ChangedAction(NamedTuple):
    title: str
    status: str


async def changed_between(
    conn: asyncpg.Connection, survey_id: int, since: dt.datetime, until: dt.datetime
) -> list[ChangedAction]:
    """A survey's actions last changed after ``since`` and by ``until``."""
    rows = await conn.fetch(
        "SELECT title, status FROM actions WHERE survey_id = $1 AND updated_at > $2"
        " AND updated_at <= $3 ORDER BY id",
        survey_id,
        since,
        until,
    )
    return [ChangedAction(r["title"], str(r["status"])) for r in rows]


class Links(NamedTuple):
    """Whether the survey, need and consultation an action refers to exist."""

    survey: bool
    need: bool
    consultation: bool


async def links_exist(
    survey_id: int | None, need_id: int | None, consultation_id: int | None
) -> Links:
    """Which of an action's links point at an existing row (None points at nothing)."""
    async with connection() as conn:
        found = await conn.fetchrow(
            "SELECT EXISTS (SELECT 1 FROM surveys WHERE id = $1) AS survey,"
            " EXISTS (SELECT 1 FROM needs WHERE id = $2) AS need,"
            " EXISTS (SELECT 1 FROM consultations WHERE id = $3) AS consultation",
            survey_id,
            need_id,
            consultation_id,
        )
    # A SELECT without FROM always returns its one row.
    assert found is not None
    return Links(bool(found["survey"]), bool(found["need"]), bool(found["consultation"]))


class ListedAction(NamedTuple):
    """An action in the staff list, with its survey's titles and its consultation."""

    id: int
    title: str
    decision: str
    responsible: str
    status: str
    due_date: dt.date | None
    need_id: int | None
    consultation_id: int | None
    survey_id: int | None
    survey_fr: str | None
    survey_en: str | None
    consultation: str | None
    council_id: int | None
    in_status: int  # actions in the list with the same status


_LIST = """
SELECT a.id, a.title, a.decision, a.responsible, a.status, a.due_date, a.need_id,
       a.consultation_id, a.survey_id, s.title_fr AS survey_fr, s.title_en AS survey_en,
       k.title AS consultation, k.council_id,
       count(*) OVER (PARTITION BY a.status) AS in_status
FROM actions a
LEFT JOIN surveys s ON s.id = a.survey_id
LEFT JOIN consultations k ON k.id = a.consultation_id
WHERE ($1::int IS NULL OR a.survey_id = $1) AND ($2::text IS NULL OR a.status = $2)
ORDER BY array_position($3::text[], a.status::text), a.due_date NULLS LAST, a.id
"""


async def listing(
    survey_id: int | None, status: str | None, statuses: Sequence[str]
) -> list[ListedAction]:
    """Actions, of one survey and one status when given, in the order of ``statuses``,
    then by due date."""
    async with connection() as conn:
        rows = await conn.fetch(_LIST, survey_id, status, list(statuses))
    return [ListedAction(**dict(r)) for r in rows]


class SurveyActionRow(NamedTuple):
    title: str
    status: str
    due_date: dt.date | None
    responsible: str


async def for_survey(survey_id: int, statuses: Sequence[str]) -> list[SurveyActionRow]:
    """A survey's actions in the order of ``statuses``, then by due date."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT title, status, due_date, responsible FROM actions WHERE survey_id = $1"
            " ORDER BY array_position($2::text[], status::text), due_date NULLS LAST, id",
            survey_id,
            list(statuses),
        )
    return [SurveyActionRow(**dict(r)) for r in rows]


class CouncilAction(NamedTuple):
    id: int
    title: str
    responsible: str
    status: str
    due_date: dt.date | None
    consultation_id: int
    consultation: str


_COUNCIL_ACTIONS = """
SELECT a.id, a.title, a.responsible, a.status, a.due_date, a.consultation_id,
       k.title AS consultation
FROM actions a JOIN consultations k ON k.id = a.consultation_id
WHERE k.council_id = $1
ORDER BY array_position($2::text[], a.status::text), a.due_date NULLS LAST, a.id
"""


async def for_council(
    conn: asyncpg.Connection, council_id: int, statuses: Sequence[str]
) -> list[CouncilAction]:
    """The actions carrying out a council's decisions, in the order of ``statuses``."""
    rows = await conn.fetch(_COUNCIL_ACTIONS, council_id, list(statuses))
    return [CouncilAction(**dict(r)) for r in rows]


async def counts_for_council(conn: asyncpg.Connection, council_id: int) -> dict[str, int]:
    """How many of a council's actions are in each status (statuses without any absent)."""
    rows = await conn.fetch(
        "SELECT a.status, count(*) AS n FROM actions a"
        " JOIN consultations k ON k.id = a.consultation_id"
        " WHERE k.council_id = $1 GROUP BY a.status",
        council_id,
    )
    return {r["status"]: int(r["n"]) for r in rows}


class FollowedAction(NamedTuple):
    """An action as the public follow-up page tells it, with the need it answers."""

    title: str
    status: str
    responsible: str
    due_date: dt.date | None
    updated_at: dt.datetime
    need: str | None  # the need's reviewed name, else its found one
    need_id: int | None


_FOLLOWED = """
SELECT a.title, a.status, a.responsible, a.due_date, a.updated_at,
       coalesce(n.staff_label, n.label) AS need, a.need_id
FROM actions a LEFT JOIN needs n ON n.id = a.need_id
WHERE a.survey_id = $1
ORDER BY array_position(ARRAY['doing', 'todo', 'done', 'dropped'], a.status::text),
         a.due_date NULLS LAST, a.id
"""


async def for_followup(survey_id: int) -> list[FollowedAction]:
    """A survey's actions, those under way first, then by due date."""
    async with connection() as conn:
        rows = await conn.fetch(_FOLLOWED, survey_id)
    return [FollowedAction(**dict(r)) for r in rows]
