"""The ``webhook_deliveries`` table: the log of each attempt to send a response to a
webhook."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import asyncpg

from survey.domain.db import connection


class Delivery(NamedTuple):
    """One attempt as staff see it: the response's number, never its receipt (the receipt
    is the resident's alone)."""

    webhook_id: int
    attempt: int
    status_code: int | None
    error: str
    created_at: dt.datetime
    n: int
    response_number: int | None


async def recent_by_survey(conn: asyncpg.Connection, survey_id: int) -> list[Delivery]:
    """The last 20 attempts of each of the survey's webhooks, newest first (a window
    function per hook)."""
    rows = await conn.fetch(
        "SELECT recent.*, r.number AS response_number FROM (SELECT d.webhook_id, d.receipt,"
        " d.attempt, d.status_code, d.error, d.created_at, row_number() OVER (PARTITION BY"
        " d.webhook_id ORDER BY d.created_at DESC, d.id DESC) AS n FROM webhook_deliveries d"
        " JOIN webhooks w ON w.id = d.webhook_id WHERE w.survey_id = $1) recent"
        " LEFT JOIN responses r ON r.receipt = recent.receipt"
        " WHERE recent.n <= 20 ORDER BY recent.created_at DESC",
        survey_id,
    )
    return [
        Delivery(
            r["webhook_id"],
            r["attempt"],
            r["status_code"],
            r["error"],
            r["created_at"],
            r["n"],
            r["response_number"],
        )
        for r in rows
    ]


async def count_for(conn: asyncpg.Connection, webhook_id: int, receipt: str) -> int:
    """How many attempts were made to send this response to this webhook."""
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1 AND receipt = $2",
            webhook_id,
            receipt,
        )
    )


async def insert(
    webhook_id: int, receipt: str, attempt: int, status_code: int | None, error: str
) -> None:
    async with connection() as conn:
        await conn.execute(
            "INSERT INTO webhook_deliveries (webhook_id, receipt, attempt, status_code, error,"
            " created_at) VALUES ($1, $2, $3, $4, $5, now())",
            webhook_id,
            receipt,
            attempt,
            status_code,
            error,
        )
