"""The ``council_audit`` table: one entry for each change made to a council."""

from __future__ import annotations

import asyncpg


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
