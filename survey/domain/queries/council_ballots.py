"""The ``council_ballots`` table and its ``council_marks``: counted ballots (named ones with
their member, secret ones moved from the pool at closing, imported ones) and their marks."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import asyncpg

from survey.domain.db import connection


class BallotCounts(NamedTuple):
    """What the results say of a consultation's ballots and its council's members."""

    ballots: int
    # Paper ballots, as the participations say (a secret ballot does not say how it came).
    paper: int
    imported: int
    # The members' ballots' receipts, sorted (imported ballots' are left out).
    receipts: list[str]
    members: int


async def insert_named(
    conn: asyncpg.Connection,
    consultation_id: int,
    member_id: int,
    *,
    receipt: str,
    salt: str,
    channel: str,
) -> uuid.UUID:
    """Store a named ballot, cast now; its id."""
    ballot_id = await conn.fetchval(
        "INSERT INTO council_ballots (consultation_id, member_id, receipt, salt, channel,"
        " cast_at) VALUES ($1, $2, $3, $4, $5, now()) RETURNING id",
        consultation_id,
        member_id,
        receipt,
        salt,
        channel,
    )
    assert isinstance(ballot_id, uuid.UUID)
    return ballot_id


async def insert_marks(
    conn: asyncpg.Connection, marks: Iterable[tuple[uuid.UUID, int, int]]
) -> None:
    """Store marks (ballot id, option id, value), one statement run for each."""
    await conn.executemany(
        "INSERT INTO council_marks (ballot_id, option_id, value) VALUES ($1, $2, $3)", marks
    )


async def copy_marks(conn: asyncpg.Connection, marks: Iterable[tuple[uuid.UUID, int, int]]) -> None:
    """Store many marks (ballot id, option id, value) at once, by COPY."""
    await conn.copy_records_to_table(
        "council_marks", records=marks, columns=("ballot_id", "option_id", "value")
    )


async def insert_counted(
    conn: asyncpg.Connection,
    consultation_id: int,
    ids: Sequence[uuid.UUID],
    receipts: Sequence[str],
    salts: Sequence[str],
) -> None:
    """Store secret ballots (no member, channel or time), physically in the order given."""
    await conn.execute(
        "INSERT INTO council_ballots (id, consultation_id, receipt, salt)"
        " SELECT t.id, $1, t.receipt, t.salt"
        " FROM unnest($2::uuid[], $3::text[], $4::text[]) WITH ORDINALITY"
        "   AS t(id, receipt, salt, n) ORDER BY t.n",
        consultation_id,
        list(ids),
        list(receipts),
        list(salts),
    )


async def delete_named(conn: asyncpg.Connection, consultation_id: int, member_id: int) -> None:
    """Delete a member's named ballot (its marks go with it)."""
    await conn.execute(
        "DELETE FROM council_ballots WHERE consultation_id = $1 AND member_id = $2",
        consultation_id,
        member_id,
    )


async def named_marks(member_id: int, consultation_id: int) -> dict[int, int]:
    """A member's named ballot's marks, option id → value."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT m.option_id, m.value FROM council_marks m"
            " JOIN council_ballots b ON b.id = m.ballot_id"
            " WHERE b.consultation_id = $1 AND b.member_id = $2",
            consultation_id,
            member_id,
        )
    return {int(r["option_id"]): int(r["value"]) for r in rows}


async def counts(conn: asyncpg.Connection, consultation_id: int, council_id: int) -> BallotCounts:
    """The consultation's ballots counted (all, paper, imported), their receipts, and the
    council's active members."""
    row = await conn.fetchrow(
        # A secret ballot does not say how it came: participations count the paper ones.
        "SELECT count(*) AS ballots, (SELECT count(*) FROM council_participations"
        "  WHERE consultation_id = $1 AND channel = 'paper') AS paper,"
        " count(*) FILTER (WHERE channel = 'import') AS imported,"
        " coalesce(array_agg(receipt ORDER BY receipt) FILTER (WHERE receipt IS NOT NULL"
        " AND channel IS DISTINCT FROM 'import'), '{}') AS receipts,"
        " (SELECT count(*) FROM council_members WHERE council_id = $2 AND active) AS members"
        " FROM council_ballots WHERE consultation_id = $1",
        consultation_id,
        council_id,
    )
    # An aggregate without GROUP BY always returns one row, even over no ballots.
    assert row is not None
    return BallotCounts(
        int(row["ballots"]),
        int(row["paper"]),
        int(row["imported"]),
        list(row["receipts"]),
        int(row["members"]),
    )


# Imported Pol.is participants come first, by their id as ``parlons opinion-groups`` orders them
# (k-means depends on the order of rows); every other ballot follows by receipt.
_MATRIX = """
SELECT array_agg(coalesce(m.value, $2::int) ORDER BY o.position, o.id) AS marks
FROM council_ballots b
CROSS JOIN consultation_options o
LEFT JOIN council_marks m ON m.ballot_id = b.id AND m.option_id = o.id
WHERE b.consultation_id = $1 AND o.consultation_id = $1 AND o.status = 'approved'
GROUP BY b.id ORDER BY b.polis_voter_id, b.receipt
"""


async def mark_matrix(
    conn: asyncpg.Connection, consultation_id: int, missing: int
) -> list[list[int]]:
    """One row per ballot, one mark per approved option in ballot order (``missing`` where
    the ballot left it blank)."""
    rows = await conn.fetch(_MATRIX, consultation_id, missing)
    return [list(r["marks"]) for r in rows]


async def insert_imported(
    conn: asyncpg.Connection,
    consultation_id: int,
    *,
    channel: str,
    receipts: Sequence[str],
    salts: Sequence[str],
    voter_ids: Sequence[int],
) -> dict[int, uuid.UUID]:
    """Store imported ballots (no member, no time), each with its Pol.is voter id; voter id
    → ballot id."""
    rows = await conn.fetch(
        "INSERT INTO council_ballots (consultation_id, receipt, salt, channel, polis_voter_id)"
        " SELECT $1, t.receipt, t.salt, $2, t.voter"
        " FROM unnest($3::text[], $4::text[], $5::int[]) AS t(receipt, salt, voter)"
        " RETURNING id, polis_voter_id",
        consultation_id,
        channel,
        list(receipts),
        list(salts),
        list(voter_ids),
    )
    return {int(r["polis_voter_id"]): r["id"] for r in rows}


async def any_for(consultation_id: int, *, conn: asyncpg.Connection | None = None) -> bool:
    """Whether the consultation has any counted ballot; with ``conn``, as the caller's
    transaction sees it."""
    if conn is None:
        async with connection() as own:
            return await any_for(consultation_id, conn=own)
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM council_ballots WHERE consultation_id = $1)",
            consultation_id,
        )
    )
