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


async def next_position(conn: asyncpg.Connection, consultation_id: int) -> int:
    """The position after a consultation's last option (0 for the first)."""
    return int(
        await conn.fetchval(
            "SELECT coalesce(max(position) + 1, 0) FROM consultation_options"
            " WHERE consultation_id = $1",
            consultation_id,
        )
    )


async def insert(
    conn: asyncpg.Connection,
    consultation_id: int,
    position: int,
    title: str,
    description: str,
    cost: float | None,
    need_id: int | None,
    quotes: Sequence[str],
) -> int:
    """Add an approved option (one made from a need follows the need's name); its id."""
    return int(
        await conn.fetchval(
            "INSERT INTO consultation_options (consultation_id, position, title,"
            " description, cost, need_id, quotes, follows_need) VALUES ($1, $2, $3, $4,"
            " $5, $6, $7::jsonb, $6::int IS NOT NULL) RETURNING id",
            consultation_id,
            position,
            title,
            description,
            cost,
            need_id,
            json.dumps(list(quotes), ensure_ascii=False),
        )
    )


async def update(
    conn: asyncpg.Connection,
    option_id: int,
    title: str,
    description: str,
    cost: float | None,
    quotes: Sequence[str],
    *,
    follows_need: bool,
) -> None:
    await conn.execute(
        "UPDATE consultation_options SET title = $2, description = $3, cost = $4,"
        " quotes = $5::jsonb, follows_need = $6 WHERE id = $1",
        option_id,
        title,
        description,
        cost,
        json.dumps(list(quotes), ensure_ascii=False),
        follows_need,
    )


async def delete(conn: asyncpg.Connection, option_id: int) -> None:
    await conn.execute("DELETE FROM consultation_options WHERE id = $1", option_id)


async def insert_pending(
    conn: asyncpg.Connection, consultation_id: int, title: str, member_id: int
) -> None:
    """Add a member's statement after the consultation's last option, waiting for
    moderation."""
    await conn.execute(
        "INSERT INTO consultation_options (consultation_id, position, title, status,"
        " proposed_by_id) SELECT $1, coalesce(max(position) + 1, 0), $2, 'pending', $3"
        " FROM consultation_options WHERE consultation_id = $1",
        consultation_id,
        title,
        member_id,
    )


async def moderate(
    conn: asyncpg.Connection, option_id: int, consultation_id: int, status: str
) -> bool:
    """Give a pending option of this consultation its ``status``; False when there was no
    such pending option."""
    done = await conn.execute(
        "UPDATE consultation_options SET status = $3 WHERE id = $1 AND consultation_id = $2"
        " AND status = 'pending'",
        option_id,
        consultation_id,
        status,
    )
    return not done.endswith(" 0")


async def remove_quotes(
    conn: asyncpg.Connection, by_need: Sequence[tuple[int, Sequence[str]]]
) -> None:
    """Take these texts out of the quotes of the options made from each need."""
    await conn.executemany(
        "UPDATE consultation_options SET quotes = coalesce((SELECT jsonb_agg(q.value)"
        " FROM jsonb_array_elements_text(quotes) AS q(value)"
        " WHERE NOT q.value = ANY($2::text[])), '[]'::jsonb)"
        " WHERE need_id = $1 AND jsonb_typeof(quotes) = 'array'",
        [(need, list(texts)) for need, texts in by_need],
    )
