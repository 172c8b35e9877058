"""The ``response_imports`` table: the fingerprint of each responses file imported."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import asyncpg

from survey.domain.db import connection


class Imported(NamedTuple):
    imported_at: dt.datetime
    responses: int


async def of_digest(survey_id: int, digest: str) -> Imported | None:
    """When the file with this fingerprint was imported into the survey, and how many
    responses it stored; None if never."""
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT imported_at, responses FROM response_imports"
            " WHERE survey_id = $1 AND digest = $2",
            survey_id,
            digest,
        )
    return None if row is None else Imported(row["imported_at"], int(row["responses"]))


async def record(conn: asyncpg.Connection, survey_id: int, digest: str, stored: int) -> None:
    """In the transaction that stores the file's rows: its fingerprint (kept once)."""
    await conn.execute(
        "INSERT INTO response_imports (survey_id, digest, responses, imported_at)"
        " VALUES ($1, $2, $3, now()) ON CONFLICT (survey_id, digest) DO NOTHING",
        survey_id,
        digest,
        stored,
    )
