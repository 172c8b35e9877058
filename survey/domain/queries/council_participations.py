"""The ``council_participations`` table: who voted in a consultation, and how (no time, a
random key); its unique constraint is the single-ballot guarantee.

Writes run on the ballot verb's connection and open no transaction or savepoint of their
own (as ``council_ballot_pool``): every participation shares the ballot's ``xmin``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import asyncpg

from survey.domain.db import connection


class Participation(NamedTuple):
    member_id: int
    channel: str


class PaperCheck(NamedTuple):
    """What a paper ballot is checked against."""

    members: int  # the council's active members
    ballots: int  # participations so far
    is_member: bool  # the member is an active member of the council
    voted: bool  # the member already took part


async def channel_of(conn: asyncpg.Connection, consultation_id: int, member_id: int) -> str | None:
    """How the member took part in the consultation; None if they did not."""
    channel = await conn.fetchval(
        "SELECT channel FROM council_participations WHERE consultation_id = $1 AND member_id = $2",
        consultation_id,
        member_id,
    )
    return None if channel is None else str(channel)


async def add_web(conn: asyncpg.Connection, consultation_id: int, member_id: int) -> None:
    await conn.execute(
        "INSERT INTO council_participations (consultation_id, member_id, channel)"
        " VALUES ($1, $2, 'web')",
        consultation_id,
        member_id,
    )


async def add_paper(conn: asyncpg.Connection, consultation_id: int, member_id: int) -> None:
    await conn.execute(
        "INSERT INTO council_participations (consultation_id, member_id, channel)"
        " VALUES ($1, $2, 'paper')",
        consultation_id,
        member_id,
    )


async def take_all(conn: asyncpg.Connection, consultation_id: int) -> list[Participation]:
    """Delete the consultation's participations and return them, to be written back."""
    rows = await conn.fetch(
        "DELETE FROM council_participations WHERE consultation_id = $1"
        " RETURNING member_id, channel",
        consultation_id,
    )
    return [Participation(int(r["member_id"]), str(r["channel"])) for r in rows]


async def insert_in_order(
    conn: asyncpg.Connection, consultation_id: int, people: Sequence[Participation]
) -> None:
    """Write participations back in one statement, physically in the order given, each with
    a new key."""
    await conn.execute(
        "INSERT INTO council_participations (consultation_id, member_id, channel)"
        " SELECT $1, t.member_id, t.channel"
        " FROM unnest($2::int[], $3::text[]) WITH ORDINALITY AS t(member_id, channel, n)"
        " ORDER BY t.n",
        consultation_id,
        [p.member_id for p in people],
        [p.channel for p in people],
    )


async def paper_check(
    conn: asyncpg.Connection, council_id: int, consultation_id: int, member_id: int
) -> PaperCheck:
    """The counts and facts a paper ballot for ``member_id`` is checked against."""
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM council_members WHERE council_id = $1 AND active)"
        "   AS members,"
        " (SELECT count(*) FROM council_participations WHERE consultation_id = $2) AS ballots,"
        " EXISTS (SELECT 1 FROM council_members WHERE id = $3 AND council_id = $1"
        "         AND active) AS is_member,"
        " EXISTS (SELECT 1 FROM council_participations WHERE consultation_id = $2"
        "         AND member_id = $3) AS voted",
        council_id,
        consultation_id,
        member_id,
    )
    # A SELECT without FROM always returns its one row.
    assert row is not None
    return PaperCheck(
        int(row["members"]), int(row["ballots"]), bool(row["is_member"]), bool(row["voted"])
    )


async def has_voted(member_id: int, consultation_id: int) -> bool:
    async with connection() as conn:
        return bool(
            await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM council_participations WHERE member_id = $1"
                " AND consultation_id = $2)",
                member_id,
                consultation_id,
            )
        )


class Turnout(NamedTuple):
    ballots: int
    paper: int  # of the ballots, those typed in from paper
    members: int  # the council's active members


async def turnout(consultation_id: int, council_id: int) -> Turnout:
    """Ballots of a consultation so far, against its council's active members."""
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT count(*) AS ballots, count(*) FILTER (WHERE channel = 'paper') AS paper,"
            " (SELECT count(*) FROM council_members WHERE council_id = $2 AND active) AS members"
            " FROM council_participations WHERE consultation_id = $1",
            consultation_id,
            council_id,
        )
    assert row is not None  # an aggregate query always returns its one row
    return Turnout(int(row["ballots"]), int(row["paper"]), int(row["members"]))
