"""The ``consultations`` table: the row locks that order ballots, closing and imports."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, NamedTuple

import asyncpg


class VoteTarget(NamedTuple):
    council_id: int
    secret: bool
    allow_change: bool
    # Open, and within its opening and closing times if it has them.
    voting: bool


class PaperTarget(NamedTuple):
    council_id: int
    state: str
    secret: bool


_LOCK_FOR_VOTE = """
SELECT council_id, secret, allow_change,
       state = 'open' AND (opens_at IS NULL OR opens_at <= now())
       AND (closes_at IS NULL OR closes_at > now()) AS voting
FROM consultations WHERE id = $1 FOR UPDATE
"""


async def lock_for_vote(conn: asyncpg.Connection, consultation_id: int) -> VoteTarget | None:
    """The consultation as a ballot needs it, its row locked until the caller's transaction
    ends: ballots of one consultation are written one at a time, and closing waits for them."""
    row = await conn.fetchrow(_LOCK_FOR_VOTE, consultation_id)
    if row is None:
        return None
    return VoteTarget(
        int(row["council_id"]), bool(row["secret"]), bool(row["allow_change"]), bool(row["voting"])
    )


async def lock_for_paper(conn: asyncpg.Connection, consultation_id: int) -> PaperTarget | None:
    """The consultation as a paper ballot needs it, its row locked (as ``lock_for_vote``)."""
    row = await conn.fetchrow(
        "SELECT council_id, state, secret FROM consultations WHERE id = $1 FOR UPDATE",
        consultation_id,
    )
    if row is None:
        return None
    return PaperTarget(int(row["council_id"]), str(row["state"]), bool(row["secret"]))


async def lock_state(conn: asyncpg.Connection, consultation_id: int) -> str | None:
    """The consultation's state, its row locked until the caller's transaction ends."""
    state = await conn.fetchval(
        "SELECT state FROM consultations WHERE id = $1 FOR UPDATE", consultation_id
    )
    return None if state is None else str(state)


async def close(conn: asyncpg.Connection, consultation_id: int, results: str) -> None:
    """Mark the consultation closed now, with its ``results`` (JSON text) frozen."""
    await conn.execute(
        "UPDATE consultations SET state = 'closed', closed_at = now(), results = $2::jsonb"
        " WHERE id = $1",
        consultation_id,
        results,
    )


class ImportTarget(NamedTuple):
    method: str
    state: str


async def lock_for_import(conn: asyncpg.Connection, consultation_id: int) -> ImportTarget | None:
    """The consultation's method and state, its row locked until the caller's transaction
    ends."""
    row = await conn.fetchrow(
        "SELECT method, state FROM consultations WHERE id = $1 FOR UPDATE", consultation_id
    )
    return None if row is None else ImportTarget(str(row["method"]), str(row["state"]))


class PublishedDecision(NamedTuple):
    id: int
    title: str
    results: dict[str, Any] | None


def _results(text: str | None) -> dict[str, Any] | None:
    return json.loads(text) if text else None


async def published_on_survey_between(
    conn: asyncpg.Connection, survey_id: int, since: dt.datetime, until: dt.datetime
) -> list[PublishedDecision]:
    """Consultations with options from a survey's needs, published after ``since`` and by
    ``until``, with their frozen results."""
    rows = await conn.fetch(
        "SELECT DISTINCT c.id, c.title, c.results FROM consultations c"
        " JOIN consultation_options o ON o.consultation_id = c.id"
        " JOIN needs n ON n.id = o.need_id JOIN analysis_runs ar ON ar.id = n.run_id"
        " WHERE ar.survey_id = $1 AND c.published AND c.published_at > $2"
        " AND c.published_at <= $3 ORDER BY c.id",
        survey_id,
        since,
        until,
    )
    return [PublishedDecision(int(r["id"]), r["title"], _results(r["results"])) for r in rows]
