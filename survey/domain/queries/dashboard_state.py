"""The ``dashboard_state`` table: per survey, how its tallies were built (territory and age
questions, time zone) and whether edits made them stale."""

from __future__ import annotations

from typing import NamedTuple

import asyncpg


class TalliesState(NamedTuple):
    territory_code: str
    age_code: str
    time_zone: str
    stale: bool


async def of_survey(conn: asyncpg.Connection, survey_id: int) -> TalliesState | None:
    row = await conn.fetchrow(
        "SELECT territory_code, age_code, time_zone, stale FROM dashboard_state"
        " WHERE survey_id = $1",
        survey_id,
    )
    if row is None:
        return None
    return TalliesState(row["territory_code"], row["age_code"], row["time_zone"], row["stale"])


async def mark_built(
    conn: asyncpg.Connection, survey_id: int, territory: str, age: str, zone: str
) -> None:
    """Record the tallies just rebuilt, with what they were built by, as fresh."""
    await conn.execute(
        "INSERT INTO dashboard_state (survey_id, territory_code, age_code, time_zone,"
        " stale, built_at) VALUES ($1, $2, $3, $4, false, now())"
        " ON CONFLICT (survey_id) DO UPDATE SET territory_code = $2, age_code = $3,"
        " time_zone = $4, stale = false, built_at = now()",
        survey_id,
        territory,
        age,
        zone,
    )
