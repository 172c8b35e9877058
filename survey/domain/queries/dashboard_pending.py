"""The ``dashboard_pending`` table: responses stored (queued by a trigger) and not yet folded
into the dashboard's tallies."""

from __future__ import annotations

import asyncpg


async def any_for_survey(conn: asyncpg.Connection, survey_id: int) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM dashboard_pending WHERE survey_id = $1)", survey_id
        )
    )
