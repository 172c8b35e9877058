"""The database server itself, no table: whether it runs a query."""

from __future__ import annotations

from survey.domain.db import connection


async def runs_a_query() -> bool:
    """True when a connection is had and ``SELECT 1`` answers 1."""
    async with connection() as conn:
        return bool(await conn.fetchval("SELECT 1") == 1)
