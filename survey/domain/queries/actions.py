"""The ``actions`` table: what staff decided to do, set-based reads (single actions are
edited through the ORM)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import asyncpg


class ChangedAction(NamedTuple):
    title: str
    status: str


async def changed_between(
    conn: asyncpg.Connection, survey_id: int, since: dt.datetime, until: dt.datetime
) -> list[ChangedAction]:
    """A survey's actions last changed after ``since`` and by ``until``."""
    rows = await conn.fetch(
        "SELECT title, status FROM actions WHERE survey_id = $1 AND updated_at > $2"
        " AND updated_at <= $3 ORDER BY id",
        survey_id,
        since,
        until,
    )
    return [ChangedAction(r["title"], str(r["status"])) for r in rows]
