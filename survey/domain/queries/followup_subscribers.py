"""The ``followup_subscribers`` table: addresses kept for a survey's news, apart from the
answers (random ids, only the day as date)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import NamedTuple

import asyncpg

from survey.domain.db import connection


class Subscriber(NamedTuple):
    """A row as stored, its columns in the table's order."""

    id: uuid.UUID
    survey_id: int
    email: str
    language: str
    token: str
    created_on: dt.date


class Recipient(NamedTuple):
    survey_id: int
    email: str
    language: str
    token: str


def _subscriber(row: asyncpg.Record) -> Subscriber:
    return Subscriber(
        row["id"],
        int(row["survey_id"]),
        row["email"],
        row["language"],
        row["token"],
        row["created_on"],
    )


async def insert(
    subscriber_id: uuid.UUID,
    survey_id: int,
    email: str,
    language: str,
    token: str,
    created_on: dt.date,
) -> None:
    """Keep an address for a survey; an address already kept for it is left as it is."""
    async with connection() as conn:
        await conn.execute(
            "INSERT INTO followup_subscribers (id, survey_id, email, language, token, created_on)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (survey_id, email) DO NOTHING",
            subscriber_id,
            survey_id,
            email,
            language,
            token,
            created_on,
        )


async def delete_by_token(token: str) -> bool:
    """Forget the address behind ``token``; False when there was none."""
    async with connection() as conn:
        result = await conn.execute("DELETE FROM followup_subscribers WHERE token = $1", token)
    return not result.endswith(" 0")


async def take_older_than(conn: asyncpg.Connection, day: dt.date) -> list[Subscriber]:
    """Delete the rows added before ``day`` and return them (the caller writes them back)."""
    rows = await conn.fetch(
        "DELETE FROM followup_subscribers WHERE created_on < $1"
        " RETURNING id, survey_id, email, language, token, created_on",
        day,
    )
    return [_subscriber(r) for r in rows]


async def insert_many(conn: asyncpg.Connection, subscribers: Sequence[Subscriber]) -> None:
    """Write these rows, in this order."""
    await conn.executemany(
        "INSERT INTO followup_subscribers (id, survey_id, email, language, token, created_on)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        [tuple(s) for s in subscribers],
    )


async def delete_for_survey(survey_id: int) -> int:
    """Erase every address of a survey; how many there were."""
    async with connection() as conn:
        result = await conn.execute(
            "DELETE FROM followup_subscribers WHERE survey_id = $1", survey_id
        )
    return int(result.split()[-1])


async def delete_expired(today: dt.date) -> int:
    """Erase the addresses kept longer than their survey's retention period; how many."""
    async with connection() as conn:
        result = await conn.execute(
            "DELETE FROM followup_subscribers f USING surveys s WHERE s.id = f.survey_id"
            " AND s.retention_days IS NOT NULL"
            " AND f.created_on + s.retention_days < $1",
            today,
        )
    return int(result.split()[-1])


async def count_for_survey(survey_id: int) -> int:
    async with connection() as conn:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM followup_subscribers WHERE survey_id = $1", survey_id
            )
        )


async def ids_for_survey(conn: asyncpg.Connection, survey_id: int) -> list[uuid.UUID]:
    rows = await conn.fetch("SELECT id FROM followup_subscribers WHERE survey_id = $1", survey_id)
    return [r["id"] for r in rows]


async def recipient(conn: asyncpg.Connection, subscriber_id: uuid.UUID) -> Recipient | None:
    """Where and in which language a subscriber's news goes, if the address is still kept."""
    row = await conn.fetchrow(
        "SELECT survey_id, email, language, token FROM followup_subscribers WHERE id = $1",
        subscriber_id,
    )
    if row is None:
        return None
    return Recipient(int(row["survey_id"]), row["email"], row["language"], row["token"])
