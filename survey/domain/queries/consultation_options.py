"""The ``consultation_options`` table: what a ballot may mark and what the results list."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NamedTuple

import asyncpg


class ApprovedOption(NamedTuple):
    id: int
    title: str
    description: str
    cost: float | None
    need_id: int | None
    quotes: list[str]


async def count_approved(
    conn: asyncpg.Connection, consultation_id: int, option_ids: Sequence[int]
) -> int:
    """How many of ``option_ids`` are approved options of the consultation."""
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM consultation_options WHERE consultation_id = $1"
            " AND status = 'approved' AND id = ANY($2::int[])",
            consultation_id,
            list(option_ids),
        )
    )


async def approved(conn: asyncpg.Connection, consultation_id: int) -> list[ApprovedOption]:
    """The consultation's approved options, in ballot order."""
    rows = await conn.fetch(
        "SELECT id, title, description, cost, need_id, quotes FROM consultation_options"
        " WHERE consultation_id = $1 AND status = 'approved' ORDER BY position, id",
        consultation_id,
    )
    return [
        ApprovedOption(
            int(o["id"]),
            o["title"],
            o["description"],
            o["cost"],
            o["need_id"],
            json.loads(o["quotes"]),
        )
        for o in rows
    ]
