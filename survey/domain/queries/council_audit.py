"""The ``council_audit`` table: one entry for each change made to a council."""

from __future__ import annotations

import asyncpg

from survey.domain.db import connection


async def insert(
    conn: asyncpg.Connection,
    council_id: int,
    action: str,
    *,
    actor: str,
    consultation_id: int | None,
    details: str,
) -> None:
    """Write one entry (``details`` as JSON text)."""
    await conn.execute(
        "INSERT INTO council_audit (council_id, consultation_id, actor, action, details)"
        " VALUES ($1, $2, $3, $4, $5::jsonb)",
        council_id,
        consultation_id,
        actor,
        action,
        details,
    )


async def unreachable_of_draw(council_id: int, draw_id: int) -> int | None:
    """How many volunteers the council's draw left out for want of a contact, as its entry
    says (None for draws recorded before it was kept)."""
    async with connection() as conn:
        value = await conn.fetchval(
            "SELECT (details->>'unreachable')::int FROM council_audit WHERE council_id = $1"
            " AND action = 'sortition_drawn' AND details->>'draw' = $2 LIMIT 1",
            council_id,
            str(draw_id),
        )
    return None if value is None else int(value)


async def has_consultation_entry(
    conn: asyncpg.Connection, consultation_id: int, action: str, export: str
) -> bool:
    """Whether the consultation has an entry of ``action`` whose ``details.export`` is
    ``export``."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM council_audit WHERE consultation_id = $1 AND action = $2"
            " AND details->>'export' = $3)",
            consultation_id,
            action,
            export,
        )
    )
