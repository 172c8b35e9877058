"""The ``webhooks`` table: the addresses each survey's new responses are sent to."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import asyncpg

from survey.domain.db import connection


class Webhook(NamedTuple):
    """A webhook as staff see it listed: never its secret."""

    id: int
    url: str
    active: bool
    created_at: dt.datetime


class Target(NamedTuple):
    url: str
    secret: str
    slug: str


async def insert(survey_id: int, url: str, secret: str) -> None:
    async with connection() as conn:
        await conn.execute(
            "INSERT INTO webhooks (survey_id, url, secret, active, created_at)"
            " VALUES ($1, $2, $3, true, now())",
            survey_id,
            url,
            secret,
        )


async def by_survey(conn: asyncpg.Connection, survey_id: int) -> list[Webhook]:
    rows = await conn.fetch(
        "SELECT id, url, active, created_at FROM webhooks WHERE survey_id = $1 ORDER BY id",
        survey_id,
    )
    return [Webhook(int(r["id"]), r["url"], r["active"], r["created_at"]) for r in rows]


async def delete(webhook_id: int, survey_id: int) -> bool:
    """Delete the survey's webhook ``webhook_id``; False when the survey has no such hook."""
    async with connection() as conn:
        done = await conn.execute(
            "DELETE FROM webhooks WHERE id = $1 AND survey_id = $2", webhook_id, survey_id
        )
    return not done.endswith(" 0")


async def active_target(conn: asyncpg.Connection, webhook_id: int) -> Target | None:
    """Where and how an active webhook is sent, with its survey's slug."""
    row = await conn.fetchrow(
        "SELECT w.url, w.secret, s.slug FROM webhooks w JOIN surveys s ON s.id = w.survey_id"
        " WHERE w.id = $1 AND w.active",
        webhook_id,
    )
    return None if row is None else Target(row["url"], row["secret"], row["slug"])
