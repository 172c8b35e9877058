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
from survey.domain.queries import consultation_options, consultations, council_ballots
from survey.errors import Conflict
from survey.models.councils import Consultation


async def _matrix(
    conn: asyncpg.Connection, consultation_id: int, method: VotingMethod, n_options: int
) -> np.ndarray:
    rows = await council_ballots.mark_matrix(conn, consultation_id, method.missing)
    if not rows:
        return np.zeros((0, n_options), dtype=np.int64)
    return np.array(rows, dtype=np.int64)


async def tally(conn: asyncpg.Connection, consultation: Consultation) -> dict[str, Any]:
    """Count the consultation's ballots; a JSON-ready dict for the results pages."""
    method = METHODS[consultation.method]
    options = await consultation_options.approved(conn, consultation.id)
    counts = await council_ballots.counts(conn, consultation.id, consultation.council_id)
    n_ballots = counts.ballots
    # Ballots imported from a Pol.is export count in the results, but they are not the
    # council's: the quorum and the receipts concern members' ballots only.
    imported = counts.imported
    data: dict[str, Any] = {
        "method": method.name,
        "computed_at": dt.datetime.now(dt.UTC).isoformat(),
        "ballots": n_ballots,
        "paper": counts.paper,
        "imported": imported,
        "members": counts.members,
        "quorum": consultation.quorum,
        "quorum_reached": n_ballots - imported >= consultation.quorum,
        "secret": consultation.secret,
        "receipts": counts.receipts,
        "options": [
            {
                "id": o.id,
                "title": o.title,
                "description": o.description,
                "cost": o.cost,
                "need_id": o.need_id,
                "quotes": o.quotes,
            }
            for o in options
        ],
    }
    matrix = await _matrix(conn, consultation.id, method, len(options))
    costs = [float(o.cost or 0) or 1.0 for o in options]
    data[method.name] = method.tally(Count(matrix, costs, float(consultation.budget or 0)))
    return data


async def close_consultation(council_id: int, consultation_id: int, *, actor: str) -> None:
    """Close voting and freeze the results; a closed consultation is never counted again."""
    consultation = await get_consultation(council_id, consultation_id)
    async with connection() as conn, conn.transaction():
        state = await consultations.lock_state(conn, consultation.id)
        if state != "open":
            raise Conflict("council.not_open")
        await count_pending_ballots(conn, consultation.id)
        results = await tally(conn, consultation)
        await consultations.close(conn, consultation.id, json.dumps(results, ensure_ascii=False))
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
