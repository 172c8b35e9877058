"""Closing a consultation: count its ballots once, with its ``analysis.voting`` method, and
freeze them.

The database builds the ballots' mark matrix (the method's own mark where a ballot left an
option blank); the consultation's voting method counts it. The results are stored as JSON on
the consultation in the closing transaction and never recomputed, so later edits cannot
change them.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import asyncpg
import numpy as np

from analysis.voting import METHODS
from analysis.voting.base import Count, VotingMethod
from survey.domain.consultations import get_consultation
from survey.domain.council_ballots import count_pending_ballots
from survey.domain.councils import log_event
from survey.domain.db import connection
from survey.errors import Conflict
from survey.models.councils import Consultation

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


async def _matrix(
    conn: asyncpg.Connection, consultation_id: int, method: VotingMethod, n_options: int
) -> np.ndarray:
    rows = await conn.fetch(_MATRIX, consultation_id, method.missing)
    if not rows:
        return np.zeros((0, n_options), dtype=np.int64)
    return np.array([r["marks"] for r in rows], dtype=np.int64)


async def tally(conn: asyncpg.Connection, consultation: Consultation) -> dict[str, Any]:
    """Count the consultation's ballots; a JSON-ready dict for the results pages."""
    method = METHODS[consultation.method]
    options = await conn.fetch(
        "SELECT id, title, description, cost, need_id, quotes FROM consultation_options"
        " WHERE consultation_id = $1 AND status = 'approved' ORDER BY position, id",
        consultation.id,
    )
    counts = await conn.fetchrow(
        # A secret ballot does not say how it came: participations count the paper ones.
        "SELECT count(*) AS ballots, (SELECT count(*) FROM council_participations"
        "  WHERE consultation_id = $1 AND channel = 'paper') AS paper,"
        " count(*) FILTER (WHERE channel = 'import') AS imported,"
        " coalesce(array_agg(receipt ORDER BY receipt) FILTER (WHERE receipt IS NOT NULL"
        " AND channel IS DISTINCT FROM 'import'), '{}') AS receipts,"
        " (SELECT count(*) FROM council_members WHERE council_id = $2 AND active) AS members"
        " FROM council_ballots WHERE consultation_id = $1",
        consultation.id,
        consultation.council_id,
    )
    # An aggregate without GROUP BY always returns one row, even over no ballots.
    assert counts is not None
    n_ballots = int(counts["ballots"])
    # Ballots imported from a Pol.is export count in the results, but they are not the
    # council's: the quorum and the receipts concern members' ballots only.
    imported = int(counts["imported"])
    data: dict[str, Any] = {
        "method": method.name,
        "computed_at": dt.datetime.now(dt.UTC).isoformat(),
        "ballots": n_ballots,
        "paper": int(counts["paper"]),
        "imported": imported,
        "members": int(counts["members"]),
        "quorum": consultation.quorum,
        "quorum_reached": n_ballots - imported >= consultation.quorum,
        "secret": consultation.secret,
        "receipts": list(counts["receipts"]),
        "options": [
            {
                "id": o["id"],
                "title": o["title"],
                "description": o["description"],
                "cost": o["cost"],
                "need_id": o["need_id"],
                "quotes": json.loads(o["quotes"]),
            }
            for o in options
        ],
    }
    matrix = await _matrix(conn, consultation.id, method, len(options))
    costs = [float(o["cost"] or 0) or 1.0 for o in options]
    data[method.name] = method.tally(Count(matrix, costs, float(consultation.budget or 0)))
    return data


async def close_consultation(council_id: int, consultation_id: int, *, actor: str) -> None:
    """Close voting and freeze the results; a closed consultation is never counted again."""
    consultation = await get_consultation(council_id, consultation_id)
    async with connection() as conn, conn.transaction():
        state = await conn.fetchval(
            "SELECT state FROM consultations WHERE id = $1 FOR UPDATE", consultation.id
        )
        if state != "open":
            raise Conflict("council.not_open")
        await count_pending_ballots(conn, consultation.id)
        results = await tally(conn, consultation)
        await conn.execute(
            "UPDATE consultations SET state = 'closed', closed_at = now(), results = $2::jsonb"
            " WHERE id = $1",
            consultation.id,
            json.dumps(results, ensure_ascii=False),
        )
        await log_event(
            conn,
            council_id,
            "closed",
            actor=actor,
            consultation_id=consultation.id,
            details={
                "ballots": results["ballots"],
                "paper": results["paper"],
                "quorum_reached": results["quorum_reached"],
            },
        )


async def published_results(consultation_id: int) -> Consultation | None:
    """A consultation whose results staff made public, else None."""
    return await Consultation.get_or_none(id=consultation_id, published=True, state="closed")
