"""The ``uploads`` table: files staff sent, kept until they are imported."""

from __future__ import annotations

from typing import NamedTuple

import asyncpg

from survey.domain.db import connection


class UploadedFile(NamedTuple):
    data: bytes
    filename: str


async def insert_unattached(user_id: int, filename: str, data: bytes) -> int:
    """A file of no survey yet, kept for its uploader; its id."""
    async with connection() as conn:
        return int(
            await conn.fetchval(
                "INSERT INTO uploads (survey_id, user_id, filename, data, created_at)"
                " VALUES (NULL, $1, $2, $3, now()) RETURNING id",
                user_id,
                filename,
                data,
            )
        )


async def unattached(upload_id: int, user_id: int) -> UploadedFile | None:
    """The file ``upload_id`` if this user sent it and it belongs to no survey yet."""
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT data, filename FROM uploads"
            " WHERE id = $1 AND user_id = $2 AND survey_id IS NULL",
            upload_id,
            user_id,
        )
    return None if row is None else UploadedFile(bytes(row["data"]), str(row["filename"]))


async def attach(upload_id: int, survey_id: int) -> None:
    """Give a file of no survey to ``survey_id`` (a file already given keeps its survey)."""
    async with connection() as conn:
        await conn.execute(
            "UPDATE uploads SET survey_id = $1 WHERE id = $2 AND survey_id IS NULL",
            survey_id,
            upload_id,
        )


class Upload(NamedTuple):
    data: bytes
    filename: str


async def insert(survey_id: int, user_id: int | None, filename: str, data: bytes) -> int:
    """Keep a file sent for a survey; its id."""
    async with connection() as conn:
        return int(
            await conn.fetchval(
                "INSERT INTO uploads (survey_id, user_id, filename, data, created_at)"
                " VALUES ($1, $2, $3, $4, now()) RETURNING id",
                survey_id,
                user_id,
                filename,
                data,
            )
        )


async def of_survey(upload_id: int, survey_id: int) -> Upload | None:
    """A file kept for this survey, if it is still there."""
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT data, filename FROM uploads WHERE id = $1 AND survey_id = $2",
            upload_id,
            survey_id,
        )
    return None if row is None else Upload(bytes(row["data"]), str(row["filename"]))


async def delete(conn: asyncpg.Connection, upload_id: int) -> None:
    """In the caller's transaction: the file is no longer needed."""
    await conn.execute("DELETE FROM uploads WHERE id = $1", upload_id)


async def delete_older_than(hours: int) -> list[tuple[str, int]]:
    """Delete the files sent more than ``hours`` ago: how many per survey slug, by slug."""
    async with connection() as conn:
        rows = await conn.fetch(
            "WITH gone AS (DELETE FROM uploads"
            " WHERE created_at < now() - make_interval(hours => $1) RETURNING survey_id)"
            " SELECT s.slug, count(*) AS n FROM gone JOIN surveys s ON s.id = gone.survey_id"
            " GROUP BY s.slug ORDER BY s.slug",
            hours,
        )
    return [(r["slug"], int(r["n"])) for r in rows]
