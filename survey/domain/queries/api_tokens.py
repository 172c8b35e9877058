"""The ``api_tokens`` table: read-only API tokens, kept as their SHA-256 only."""

from __future__ import annotations

import asyncpg


async def revoke_for_user(conn: asyncpg.Connection, user_id: int) -> None:
    """Revoke every token of ``user_id`` not revoked yet."""
    await conn.execute(
        "UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
        user_id,
    )
