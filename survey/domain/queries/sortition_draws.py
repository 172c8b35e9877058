"""The ``sortition_draws`` table: a council's draws, as recorded for the audit."""

from __future__ import annotations

import uuid
from typing import NamedTuple

import asyncpg

from survey.domain.db import connection


async def survey_slugs(council_id: int) -> list[str]:
    """The slugs of the surveys the council was drawn from, latest draw first."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT s.slug FROM sortition_draws d JOIN surveys s ON s.id = d.survey_id"
            " WHERE d.council_id = $1 GROUP BY s.slug ORDER BY max(d.id) DESC",
            council_id,
        )
    return [str(r["slug"]) for r in rows]


async def lock_council(conn: asyncpg.Connection, council_id: int) -> None:
    """Take the council's draw lock until the caller's transaction ends: one draw at a time
    per council."""
    await conn.execute("SELECT pg_advisory_xact_lock(7301, $1)", council_id)


async def by_request_key(conn: asyncpg.Connection, key: uuid.UUID, council_id: int) -> int | None:
    """The id of the council's draw made from the form with this key, if any."""
    value = await conn.fetchval(
        "SELECT id FROM sortition_draws WHERE request_key = $1 AND council_id = $2",
        key,
        council_id,
    )
    return None if value is None else int(value)


async def drawn_count(conn: asyncpg.Connection, council_id: int) -> int:
    """How many volunteers the council's draws selected, all draws together."""
    return int(
        await conn.fetchval(
            "SELECT coalesce(sum(jsonb_array_length(selected)), 0) FROM sortition_draws"
            " WHERE council_id = $1",
            council_id,
        )
    )


class NewDraw(NamedTuple):
    """A draw's audit record; the JSON fields as JSON text."""

    council_id: int
    survey_id: int
    question_code: str
    strata: str
    panel_size: int
    pool_size: int
    quotas: str
    seed: int
    selected: str
    actor: str
    algorithm: str
    software: str
    probabilities: str
    request_key: uuid.UUID | None


async def insert(conn: asyncpg.Connection, draw: NewDraw) -> int:
    """Record a draw; its id."""
    return int(
        await conn.fetchval(
            "INSERT INTO sortition_draws (council_id, survey_id, question_code, strata,"
            " panel_size, pool_size, quotas, seed, selected, actor, algorithm, software,"
            " probabilities, request_key) VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7::jsonb, $8,"
            " $9::jsonb, $10, $11, $12, $13::jsonb, $14) RETURNING id",
            *draw,
        )
    )
