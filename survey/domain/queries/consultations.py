"""The ``consultations`` table: the row locks that order ballots, closing and imports."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

import asyncpg

from survey.domain.db import connection


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


class ClosedConsultation(NamedTuple):
    id: int
    title: str
    results: dict[str, Any] | None


async def closed(conn: asyncpg.Connection, consultation_id: int) -> ClosedConsultation | None:
    """A closed consultation with its frozen results; None when not found or not closed."""
    row = await conn.fetchrow(
        "SELECT id, title, results FROM consultations WHERE id = $1 AND state = 'closed'",
        consultation_id,
    )
    if row is None:
        return None
    return ClosedConsultation(int(row["id"]), row["title"], _results(row["results"]))


class WithCouncil(NamedTuple):
    id: int
    title: str
    council_id: int
    council: str  # the council's name


async def with_council(conn: asyncpg.Connection, consultation_id: int | None) -> WithCouncil | None:
    """A consultation's title and its council's name (None: no such consultation)."""
    row = await conn.fetchrow(
        "SELECT k.id, k.title, k.council_id, c.name AS council FROM consultations k"
        " JOIN councils c ON c.id = k.council_id WHERE k.id = $1",
        consultation_id,
    )
    return None if row is None else WithCouncil(**dict(row))


class CouncilConsultation(NamedTuple):
    """A consultation on a council's dashboard: its ballots against its members."""

    id: int
    title: str
    method: str
    state: str
    quorum: int
    results: dict[str, Any] | None
    created_at: dt.datetime
    ballots: int
    members: int
    participation: Decimal | None  # per cent, one decimal; None without members
    quorum_reached: bool | None  # None for a draft


class CouncilTotals(NamedTuple):
    consultations: int
    closed: int
    open: int
    ballots: Decimal
    seats: Decimal
    participation: Decimal | None
    quorum_reached: int


# Closed consultations count the members frozen at closing; the others, today's members.
_PER_CONSULTATION = """
WITH per AS (
    SELECT k.id, k.title, k.method, k.state, k.quorum, k.results, k.created_at,
           count(b.id) + (SELECT count(*) FROM council_ballot_pool q
                          WHERE q.consultation_id = k.id) AS ballots,
           coalesce((k.results->>'members')::int,
                    (SELECT count(*) FROM council_members m
                     WHERE m.council_id = k.council_id AND m.active)) AS members
    FROM consultations k
    LEFT JOIN council_ballots b ON b.consultation_id = k.id
    WHERE k.council_id = $1
    GROUP BY k.id
)
"""
_CONSULTATIONS = (
    _PER_CONSULTATION
    + """
SELECT per.*,
       round(100.0 * ballots / nullif(members, 0), 1) AS participation,
       CASE WHEN state = 'draft' THEN NULL ELSE ballots >= quorum END AS quorum_reached
FROM per ORDER BY created_at DESC, id DESC
"""
)
# Drafts have no ballots yet: they count as consultations but not in participation.
_TOTALS = (
    _PER_CONSULTATION
    + """
SELECT count(*) AS consultations,
       count(*) FILTER (WHERE state = 'closed') AS closed,
       count(*) FILTER (WHERE state = 'open') AS open,
       coalesce(sum(ballots), 0) AS ballots,
       coalesce(sum(members) FILTER (WHERE state <> 'draft'), 0) AS seats,
       round(100.0 * sum(ballots) FILTER (WHERE state <> 'draft')
             / nullif(sum(members) FILTER (WHERE state <> 'draft'), 0), 1) AS participation,
       count(*) FILTER (WHERE state <> 'draft' AND ballots >= quorum) AS quorum_reached
FROM per
"""
)


async def of_council(conn: asyncpg.Connection, council_id: int) -> list[CouncilConsultation]:
    """A council's consultations with participation and quorum, newest first."""
    rows = await conn.fetch(_CONSULTATIONS, council_id)
    return [CouncilConsultation(**{**dict(r), "results": _results(r["results"])}) for r in rows]


async def council_totals(conn: asyncpg.Connection, council_id: int) -> CouncilTotals:
    """Participation and quorum over all of a council's consultations."""
    row = await conn.fetchrow(_TOTALS, council_id)
    # _TOTALS aggregates without GROUP BY: one row, even for a council with no consultation.
    assert row is not None
    return CouncilTotals(**dict(row))


class ListedConsultation(NamedTuple):
    id: int
    title: str
    method: str
    state: str
    published: bool
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    ballots: int


async def with_ballot_counts(council_id: int) -> list[ListedConsultation]:
    """A council's consultations with how many members took part in each, newest first."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT k.id, k.title, k.method, k.state, k.published, k.opens_at, k.closes_at,"
            " count(p.id) AS ballots FROM consultations k"
            " LEFT JOIN council_participations p ON p.consultation_id = k.id"
            " WHERE k.council_id = $1 GROUP BY k.id ORDER BY k.created_at DESC, k.id DESC",
            council_id,
        )
    return [ListedConsultation(**dict(r)) for r in rows]


async def open_draft(conn: asyncpg.Connection, consultation_id: int) -> bool:
    """Open a draft for voting now; False when it was no longer a draft."""
    done = await conn.execute(
        "UPDATE consultations SET state = 'open', opened_at = now() WHERE id = $1"
        " AND state = 'draft'",
        consultation_id,
    )
    return not done.endswith(" 0")


async def publish(conn: asyncpg.Connection, consultation_id: int) -> None:
    """Make a consultation's results public, dated now."""
    await conn.execute(
        "UPDATE consultations SET published = true, published_at = now() WHERE id = $1",
        consultation_id,
    )


class MemberConsultation(NamedTuple):
    id: int
    title: str
    description: str
    method: str
    state: str
    published: bool
    closes_at: dt.datetime | None
    voting: bool  # open, and now between its opening and closing moments
    voted: bool  # the member took part


async def for_member(council_id: int, member_id: int) -> list[MemberConsultation]:
    """A council's open and published consultations, newest first, with whether voting is
    possible now and whether this member took part."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT k.id, k.title, k.description, k.method, k.state, k.published, k.closes_at,"
            " (k.state = 'open' AND (k.opens_at IS NULL OR k.opens_at <= now())"
            "  AND (k.closes_at IS NULL OR k.closes_at > now())) AS voting,"
            " EXISTS (SELECT 1 FROM council_participations p WHERE p.consultation_id = k.id"
            "         AND p.member_id = $2) AS voted"
            " FROM consultations k WHERE k.council_id = $1"
            " AND (k.state = 'open' OR k.published) ORDER BY k.created_at DESC, k.id DESC",
            council_id,
            member_id,
        )
    return [MemberConsultation(**dict(r)) for r in rows]


class NeedDecision(NamedTuple):
    """A published, closed consultation with an option made from the need ``need_id``."""

    id: int
    title: str
    results: dict[str, Any] | None
    state: str
    need_id: int


_FOR_NEEDS = """
SELECT DISTINCT c.id, c.title, c.results, c.state, o.need_id
FROM consultation_options o JOIN consultations c ON c.id = o.consultation_id
WHERE o.need_id = ANY($1::int[]) AND c.published AND c.state = 'closed'
ORDER BY c.id
"""


async def published_for_needs(
    conn: asyncpg.Connection, need_ids: Sequence[int]
) -> list[NeedDecision]:
    """The published decisions on these needs, once a need and consultation."""
    rows = await conn.fetch(_FOR_NEEDS, list(need_ids))
    return [NeedDecision(**{**dict(r), "results": _results(r["results"])}) for r in rows]


class DecisionOption(NamedTuple):
    id: int
    title: str
    need_id: int | None
    need: str | None  # the need's reviewed name, else its found one


class SurveyDecision(NamedTuple):
    """A consultation on a survey, with its approved options in ballot order."""

    id: int
    title: str
    state: str
    closed_at: dt.datetime | None
    published: bool
    results: dict[str, Any] | None
    options: tuple[DecisionOption, ...]


# A consultation is on a survey when some of its options came from the survey's needs, or
# when its council was drawn by lot among the survey's volunteers (statements included).
_ON_SURVEY = """
SELECT c.id, c.title, c.state, c.closed_at, c.published, c.results
FROM consultations c
WHERE ($2 OR c.published) AND (
  EXISTS (SELECT 1 FROM consultation_options o JOIN needs n ON n.id = o.need_id
          JOIN analysis_runs ar ON ar.id = n.run_id
          WHERE o.consultation_id = c.id AND ar.survey_id = $1)
  OR EXISTS (SELECT 1 FROM sortition_draws d WHERE d.council_id = c.council_id
             AND d.survey_id = $1))
ORDER BY c.closed_at DESC NULLS LAST, c.id DESC
"""
_ON_SURVEY_OPTIONS = """
SELECT o.consultation_id, o.id, o.title, o.need_id, coalesce(n.staff_label, n.label) AS need
FROM consultation_options o LEFT JOIN needs n ON n.id = o.need_id
WHERE o.consultation_id = ANY($1::int[]) AND o.status = 'approved'
ORDER BY o.consultation_id, o.position, o.id
"""


async def on_survey(survey_id: int, *, unpublished: bool) -> list[SurveyDecision]:
    """The consultations on a survey (the ``unpublished`` ones too, if asked), latest closed
    first, each with its approved options: two reads on one connection."""
    async with connection() as conn:
        rows = await conn.fetch(_ON_SURVEY, survey_id, unpublished)
        options = await conn.fetch(_ON_SURVEY_OPTIONS, [r["id"] for r in rows])
    by_consultation: dict[int, list[DecisionOption]] = {}
    for o in options:
        by_consultation.setdefault(o["consultation_id"], []).append(
            DecisionOption(int(o["id"]), o["title"], o["need_id"], o["need"])
        )
    return [
        SurveyDecision(
            int(r["id"]),
            r["title"],
            r["state"],
            r["closed_at"],
            r["published"],
            _results(r["results"]),
            tuple(by_consultation.get(r["id"], ())),
        )
        for r in rows
    ]
