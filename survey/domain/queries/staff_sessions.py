"""The ``staff_sessions`` table: staff sessions open on the server, kept by a hash of their
id only."""

from __future__ import annotations

import asyncpg

from survey.domain.db import connection


async def insert(conn: asyncpg.Connection, id_hash: bytes, user_id: int) -> None:
    await conn.execute(
        "INSERT INTO staff_sessions (id_hash, user_id) VALUES ($1, $2)",
        id_hash,
        user_id,
    )


async def delete_started_before(conn: asyncpg.Connection, hours: int) -> None:
    """Delete the sessions started more than ``hours`` ago, ended or not."""
    await conn.execute(
        "DELETE FROM staff_sessions WHERE started_at < now() - make_interval(hours => $1)",
        hours,
    )


async def is_open(id_hash: bytes, user_id: int, hours: int) -> bool:
    """Whether this session of ``user_id`` is not ended and began less than ``hours`` ago."""
    async with connection() as conn:
        open_ = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM staff_sessions WHERE id_hash = $1 AND user_id = $2"
            " AND ended_at IS NULL AND started_at > now() - make_interval(hours => $3))",
            id_hash,
            user_id,
            hours,
        )
    return bool(open_)


async def end(id_hash: bytes) -> None:
    async with connection() as conn:
        await conn.execute(
            "UPDATE staff_sessions SET ended_at = now() WHERE id_hash = $1 AND ended_at IS NULL",
            id_hash,
        )


async def end_for_user(conn: asyncpg.Connection, user_id: int) -> None:
    """End every open session of ``user_id``."""
    await conn.execute(
        "UPDATE staff_sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL",
        user_id,
    )
