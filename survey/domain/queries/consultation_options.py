"""The ``consultation_options`` table: what a ballot may mark and what the results list."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NamedTuple

import asyncpg

from survey.domain.db import connection


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


class ImportedCounts(NamedTuple):
    statements: int  # options imported from Pol.is comments
    voters: int  # ballots imported from Pol.is participants


async def insert_statements(
    conn: asyncpg.Connection,
    consultation_id: int,
    titles: Sequence[str],
    descriptions: Sequence[str],
    comment_ids: Sequence[int],
) -> dict[int, int]:
    """Add approved options after the consultation's last one, in the order given, each
    with its Pol.is comment id; comment id → option id."""
    rows = await conn.fetch(
        "INSERT INTO consultation_options (consultation_id, position, title, description,"
        " polis_comment_id)"
        " SELECT $1, start.n + t.ord - 1, t.title, t.description, t.comment_id"
        " FROM unnest($2::text[], $3::text[], $4::int[]) WITH ORDINALITY"
        "   AS t(title, description, comment_id, ord),"
        " (SELECT coalesce(max(position) + 1, 0) AS n FROM consultation_options"
        "  WHERE consultation_id = $1) AS start"
        " RETURNING id, polis_comment_id",
        consultation_id,
        list(titles),
        list(descriptions),
        list(comment_ids),
    )
    return {int(r["polis_comment_id"]): int(r["id"]) for r in rows}


async def imported_counts(consultation_id: int) -> ImportedCounts:
    """The consultation's statements and ballots that came from Pol.is (zeros when none)."""
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM consultation_options WHERE consultation_id = $1"
            "        AND polis_comment_id IS NOT NULL) AS statements,"
            " (SELECT count(*) FROM council_ballots WHERE consultation_id = $1"
            "        AND polis_voter_id IS NOT NULL) AS voters",
            consultation_id,
        )
    assert row is not None  # an aggregate always returns its one row
    return ImportedCounts(int(row["statements"]), int(row["voters"]))


_FOLLOW_NEEDS = """
UPDATE consultation_options o SET title = left(coalesce(n.staff_label, n.label), $2)
FROM needs n, consultations k
WHERE o.consultation_id = $1 AND o.follows_need AND n.id = o.need_id
  AND k.id = o.consultation_id AND k.state = 'draft'
  AND o.title IS DISTINCT FROM left(coalesce(n.staff_label, n.label), $2)
"""


async def follow_need_names(conn: asyncpg.Connection, consultation_id: int, limit: int) -> None:
    """Retitle a draft's options that follow their need with the need's current name (cut
    to ``limit`` characters); a consultation no longer a draft is left alone."""
    await conn.execute(_FOLLOW_NEEDS, consultation_id, limit)


async def approved_count(conn: asyncpg.Connection, consultation_id: int) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM consultation_options WHERE consultation_id = $1"
            " AND status = 'approved'",
            consultation_id,
        )
    )
