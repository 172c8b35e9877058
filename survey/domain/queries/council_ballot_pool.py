"""The ``council_ballot_pool`` table: secret ballots accepted while voting is open, with no
member, channel or time (see ``survey.domain.council_ballots``).

Writes run on the ballot verb's connection and open no transaction or savepoint of their
own: a savepoint would give its rows an ``xmin`` of their own, telling the newest apart."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import asyncpg


class PendingBallot(NamedTuple):
    receipt: str
    salt: str
    # The marks as stored, JSON text ({"option id": value}).
    marks: str
    change_key: str | None


class PooledContent(NamedTuple):
    """What closing counts of a pending ballot."""

    receipt: str
    salt: str
    marks: str


async def insert(
    conn: asyncpg.Connection,
    consultation_id: int,
    *,
    receipt: str,
    salt: str,
    marks: str,
    change_key: str | None,
) -> None:
    """Add one pending ballot (``marks`` as JSON text)."""
    await conn.execute(
        "INSERT INTO council_ballot_pool (consultation_id, receipt, salt, marks, change_key)"
        " VALUES ($1, $2, $3, $4::jsonb, $5)",
        consultation_id,
        receipt,
        salt,
        marks,
        change_key,
    )


async def take_all(conn: asyncpg.Connection, consultation_id: int) -> list[PendingBallot]:
    """Delete the consultation's pending ballots and return them, to be written back."""
    rows = await conn.fetch(
        "DELETE FROM council_ballot_pool WHERE consultation_id = $1"
        " RETURNING receipt, salt, marks::text AS marks, change_key",
        consultation_id,
    )
    return [PendingBallot(r["receipt"], r["salt"], r["marks"], r["change_key"]) for r in rows]


async def insert_in_order(
    conn: asyncpg.Connection, consultation_id: int, ballots: Sequence[PendingBallot]
) -> None:
    """Write pending ballots back in one statement, physically in the order given, each
    with a new key."""
    await conn.execute(
        "INSERT INTO council_ballot_pool (consultation_id, receipt, salt, marks, change_key)"
        " SELECT $1, t.receipt, t.salt, t.marks::jsonb, t.change_key"
        " FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY"
        "   AS t(receipt, salt, marks, change_key, n)"
        " ORDER BY t.n",
        consultation_id,
        [b.receipt for b in ballots],
        [b.salt for b in ballots],
        [b.marks for b in ballots],
        [b.change_key for b in ballots],
    )


async def delete_own(
    conn: asyncpg.Connection, consultation_id: int, receipt: str, change_key: str
) -> bool:
    """Delete the pending ballot with this receipt and change key; False when none has both."""
    done = await conn.execute(
        "DELETE FROM council_ballot_pool WHERE consultation_id = $1 AND receipt = $2"
        " AND change_key = $3",
        consultation_id,
        receipt,
        change_key,
    )
    return not done.endswith(" 0")


async def take_contents(conn: asyncpg.Connection, consultation_id: int) -> list[PooledContent]:
    """Delete the consultation's pending ballots and return what is counted of them."""
    rows = await conn.fetch(
        "DELETE FROM council_ballot_pool WHERE consultation_id = $1"
        " RETURNING receipt, salt, marks::text AS marks",
        consultation_id,
    )
    return [PooledContent(r["receipt"], r["salt"], r["marks"]) for r in rows]
