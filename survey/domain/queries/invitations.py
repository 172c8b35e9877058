"""The ``invitations`` table and its ``invitation_uses``: codes handed to residents."""

from __future__ import annotations

import asyncpg


async def lock_code(conn: asyncpg.Connection, survey_id: int, code: str) -> int | None:
    """The id of this survey's invitation with ``code``, key-share locked until the caller's
    transaction ends (a resend replacing it waits)."""
    value = await conn.fetchval(
        "SELECT id FROM invitations WHERE survey_id = $1 AND code = $2 FOR KEY SHARE",
        survey_id,
        code,
    )
    return None if value is None else int(value)


async def claim(
    conn: asyncpg.Connection, invitation_id: int, *, anonymous: bool, receipt: str | None
) -> bool:
    """Record the code's use; False when it was already used."""
    claimed = await conn.fetchval(
        # In anonymous mode neither time nor receipt: nothing links the code to answers.
        "INSERT INTO invitation_uses (invitation_id, used_at, receipt)"
        " VALUES ($1, CASE WHEN $2 THEN NULL ELSE now() END, $3)"
        " ON CONFLICT DO NOTHING RETURNING invitation_id",
        invitation_id,
        anonymous,
        receipt,
    )
    return claimed is not None
