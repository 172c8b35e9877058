"""The ``council_members`` table: members' rows written in bulk or inside a transaction (a
single member is read through its model)."""

from __future__ import annotations

import asyncpg


async def insert(
    conn: asyncpg.Connection,
    council_id: int,
    name: str,
    *,
    email: str,
    phone: str,
    territory: str,
    strata: str,
    token: str,
    code: str,
) -> int:
    """Add an active member (``strata`` as JSON text); its id. A token or code already
    taken raises ``asyncpg.UniqueViolationError``."""
    return int(
        await conn.fetchval(
            "INSERT INTO council_members (council_id, name, email, phone, territory,"
            " strata, token, code) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)"
            " RETURNING id",
            council_id,
            name,
            email,
            phone,
            territory,
            strata,
            token,
            code,
        )
    )


async def deactivate(conn: asyncpg.Connection, member_id: int, council_id: int) -> bool:
    """Make the council's member inactive; False when it is no active member of it."""
    done = await conn.execute(
        "UPDATE council_members SET active = false WHERE id = $1 AND council_id = $2 AND active",
        member_id,
        council_id,
    )
    return not done.endswith(" 0")
