"""The ``login_failures`` table: recent failed logins, counted to refuse brute force."""

from __future__ import annotations

from typing import NamedTuple

import asyncpg

from survey.domain.db import connection


class RecentFailures(NamedTuple):
    by_email: int
    by_client: int


async def lock_email(conn: asyncpg.Connection, email: str) -> None:
    """Wait for other attempts on ``email`` until the caller's transaction ends."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('login_failures.email'), hashtext($1))",
        email,
    )


async def lock_client(conn: asyncpg.Connection, client: str) -> None:
    """Wait for other attempts from ``client`` until the caller's transaction ends."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('login_failures.client'), hashtext($1))",
        client,
    )


async def recent(
    conn: asyncpg.Connection, kind: str, email: str, client: str, minutes: int
) -> RecentFailures:
    """The failures of ``kind`` in the last ``minutes`` for this e-mail (none when empty) and
    for this client address."""
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE email = $1 AND $1 <> '') AS by_email,"
        " count(*) FILTER (WHERE client = $2) AS by_client FROM login_failures"
        " WHERE kind = $4 AND at > now() - make_interval(mins => $3)"
        " AND (email = $1 OR client = $2)",
        email,
        client,
        minutes,
        kind,
    )
    assert row is not None  # an aggregate always returns its one row
    return RecentFailures(int(row["by_email"]), int(row["by_client"]))


async def insert(conn: asyncpg.Connection, kind: str, email: str, client: str) -> int:
    """Record a failure; its id."""
    attempt: int = await conn.fetchval(
        "INSERT INTO login_failures (kind, email, client) VALUES ($1, $2, $3) RETURNING id",
        kind,
        email,
        client,
    )
    return attempt


async def delete(attempt: int) -> None:
    async with connection() as conn:
        await conn.execute("DELETE FROM login_failures WHERE id = $1", attempt)


async def delete_older_than(minutes: int) -> None:
    async with connection() as conn:
        await conn.execute(
            "DELETE FROM login_failures WHERE at < now() - make_interval(mins => $1)",
            minutes,
        )
