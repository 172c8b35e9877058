"""Closing a consultation: count its ballots once, with ``analysis.voting``, and freeze them.

The database does the counting it can (grade profiles, per-ballot mark arrays); the pure
tallies in ``analysis`` do the rest. The results are stored as JSON on the consultation in
the closing transaction and never recomputed, so later edits cannot change them.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import asyncpg
import numpy as np

from analysis import voting
from analysis.opinion import OpinionAnalysis, OpinionParams, analyse_opinions
from survey.domain.council_ballots import count_pending_ballots
from survey.domain.councils import get_consultation, log_event
from survey.domain.db import connection
from survey.errors import Conflict
from survey.models.councils import Consultation, VotingMethod

# Below these, opinion groups say more about noise than about opinions.
MIN_OPINION_PARTICIPANTS = 6
MIN_OPINION_STATEMENTS = 2
# Marks absent from a ballot, per method: not graded, not approved, unranked, not voted.
_MISSING = {
    VotingMethod.MAJORITY_JUDGMENT: -1,
    VotingMethod.APPROVAL: 0,
    VotingMethod.BUDGET: 0,
    VotingMethod.RANKED: 0,
    VotingMethod.STATEMENTS: -9,
}

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
_PROFILES = """
SELECT m.option_id, m.value, count(*) AS n
FROM council_marks m JOIN council_ballots b ON b.id = m.ballot_id
WHERE b.consultation_id = $1 AND m.value >= 0
GROUP BY m.option_id, m.value
"""


def _floats(values: Any) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=float).tolist()]


async def _matrix(
    conn: asyncpg.Connection, consultation_id: int, method: VotingMethod, n_options: int
) -> np.ndarray:
    rows = await conn.fetch(_MATRIX, consultation_id, _MISSING[method])
    if not rows:
        return np.zeros((0, n_options), dtype=np.int64)
    return np.array([r["marks"] for r in rows], dtype=np.int64)


def _majority_judgment(profiles: np.ndarray) -> dict[str, Any]:
    result = voting.majority_judgment(profiles)
    return {
        "ranking": result.ranking,
        "profiles": result.profiles.tolist(),
        "majority_grades": result.majority_grades,
        "proponents": result.proponents,
        "opponents": result.opponents,
        "gauges": result.gauges,
        "tie_broken": [list(p) for p in result.tie_broken],
    }


def _approval(matrix: np.ndarray) -> dict[str, Any]:
    result = voting.approval(matrix.astype(bool))
    return {
        "ranking": result.ranking,
        "totals": result.totals.tolist(),
        "shares": _floats(result.shares),
    }


def _ranked(matrix: np.ndarray) -> dict[str, Any]:
    schulze = voting.schulze(matrix)
    borda = voting.borda(matrix)
    return {
        "schulze": {
            "ranking": schulze.ranking,
            "pairwise": schulze.pairwise.tolist(),
            "strongest_paths": schulze.strongest_paths.tolist(),
            "strength": schulze.strength,
        },
        "borda": {"ranking": borda.ranking, "scores": _floats(borda.scores)},
    }


def _budget_result(result: voting.BudgetResult) -> dict[str, Any]:
    return {
        "funded": result.funded,
        "total_cost": result.total_cost,
        "voter_budget": result.voter_budget,
        "rounds": [
            {
                "option": r.option,
                "cost": r.cost,
                "supporters": r.supporters,
                "phase": r.phase,
                "max_payment": r.max_payment,
                "remaining_budget": r.remaining_budget,
            }
            for r in result.rounds
        ],
    }


def _budget(matrix: np.ndarray, costs: list[float], budget: float) -> dict[str, Any]:
    approvals = matrix.astype(bool)
    greedy = voting.greedy_budget(costs, budget, approvals)
    shares = voting.equal_shares(costs, budget, approvals)
    return {
        "budget": budget,
        "approvals": greedy.approvals.tolist(),
        "greedy": _budget_result(greedy),
        "equal_shares": _budget_result(shares),
    }


def _agree_shares(analysis: OpinionAnalysis, groups: int, statement: int) -> list[float | None]:
    """Share of each opinion group's votes on ``statement`` that agree (``None``: no vote)."""
    counts = analysis.counts
    return [
        float(counts.agree[g, statement] / counts.seen[g, statement])
        if counts.seen[g, statement]
        else None
        for g in range(groups)
    ]


def _statements(matrix: np.ndarray) -> dict[str, Any]:
    votes = np.where(matrix == _MISSING[VotingMethod.STATEMENTS], np.nan, matrix).astype(float)
    data: dict[str, Any] = {
        "agree": np.count_nonzero(votes == 1, axis=0).tolist(),
        "disagree": np.count_nonzero(votes == -1, axis=0).tolist(),
        "pass": np.count_nonzero(votes == 0, axis=0).tolist(),
        "opinion": None,
    }
    if votes.shape[0] >= MIN_OPINION_PARTICIPANTS and votes.shape[1] >= MIN_OPINION_STATEMENTS:
        try:
            analysis = analyse_opinions(votes, OpinionParams(random_state=0))
        except ValueError:
            analysis = None
        # Groups worth showing: at least two opinion groups (the undecided one aside).
        opinion_groups = 0
        if analysis is not None:
            opinion_groups = analysis.n_groups - int(analysis.undecided_group is not None)
        if analysis is not None and opinion_groups >= 2:
            data["opinion"] = {
                "labels": analysis.labels.tolist(),
                "coords": analysis.coords.tolist(),
                "group_sizes": analysis.group_sizes,
                "undecided_group": analysis.undecided_group,
                "representative": {
                    str(g): [
                        {
                            "statement": s.statement,
                            "direction": s.direction,
                            "probability": s.probability,
                        }
                        for s in statements
                    ]
                    for g, statements in analysis.representative.items()
                },
                "consensus": [
                    {
                        "statement": c.statement,
                        "agree": c.agree,
                        "groups_agree": _agree_shares(analysis, opinion_groups, c.statement),
                    }
                    for c in analysis.consensus
                ],
                "divisive": [
                    {
                        "statement": d.statement,
                        "spread": d.spread,
                        "groups_agree": _agree_shares(analysis, opinion_groups, d.statement),
                    }
                    for d in analysis.divisive
                ],
            }
    return data


async def tally(conn: asyncpg.Connection, consultation: Consultation) -> dict[str, Any]:
    """Count the consultation's ballots; a JSON-ready dict for the results pages."""
    method = VotingMethod(consultation.method)
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
        consultation.council_id,  # type: ignore[attr-defined]
    )
    n_ballots = int(counts["ballots"])
    # Ballots imported from a Pol.is export count in the results, but they are not the
    # council's: the quorum and the receipts concern members' ballots only.
    imported = int(counts["imported"])
    data: dict[str, Any] = {
        "method": str(method),
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
    index = {o["id"]: i for i, o in enumerate(options)}
    if method == VotingMethod.MAJORITY_JUDGMENT:
        profiles = np.zeros((len(options), len(voting_grades())), dtype=np.int64)
        for row in await conn.fetch(_PROFILES, consultation.id):
            if row["option_id"] in index:
                profiles[index[row["option_id"]], row["value"]] = row["n"]
        data["majority_judgment"] = _majority_judgment(profiles)
        return data
    matrix = await _matrix(conn, consultation.id, method, len(options))
    if method == VotingMethod.APPROVAL:
        data["approval"] = _approval(matrix)
    elif method == VotingMethod.RANKED:
        data["ranked"] = _ranked(matrix)
    elif method == VotingMethod.BUDGET:
        costs = [float(o["cost"] or 0) or 1.0 for o in options]
        data["budget"] = _budget(matrix, costs, float(consultation.budget or 0))
    elif method == VotingMethod.STATEMENTS:
        data["statements"] = _statements(matrix)
    return data


def voting_grades() -> range:
    return range(voting.N_GRADES)


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


# ------------------------------------------------- frozen JSON back to analysis results


def majority_judgment_result(data: dict[str, Any]) -> voting.MajorityJudgmentResult:
    profiles = np.asarray(data["profiles"], dtype=np.int64)
    return voting.MajorityJudgmentResult(
        ranking=data["ranking"],
        profiles=profiles,
        totals=profiles.sum(axis=1),
        majority_grades=data["majority_grades"],
        proponents=data["proponents"],
        opponents=data["opponents"],
        gauges=data["gauges"],
        tie_broken=[tuple(p) for p in data["tie_broken"]],
    )


def approval_result(data: dict[str, Any], n_ballots: int) -> voting.ApprovalResult:
    return voting.ApprovalResult(
        ranking=data["ranking"],
        totals=np.asarray(data["totals"], dtype=np.int64),
        shares=np.asarray(data["shares"], dtype=float),
        n_ballots=n_ballots,
    )


def schulze_result(data: dict[str, Any], n_ballots: int) -> voting.SchulzeResult:
    return voting.SchulzeResult(
        ranking=data["ranking"],
        pairwise=np.asarray(data["pairwise"], dtype=np.int64),
        strongest_paths=np.asarray(data["strongest_paths"], dtype=np.int64),
        strength=data["strength"],
        n_ballots=n_ballots,
    )


def budget_result(data: dict[str, Any], which: str) -> voting.BudgetResult:
    part = data[which]
    return voting.BudgetResult(
        method=which,
        funded=part["funded"],
        total_cost=part["total_cost"],
        budget=data["budget"],
        approvals=np.asarray(data["approvals"], dtype=np.int64),
        rounds=[],
        voter_budget=part["voter_budget"],
        utility="cost",
        completion="greedy",
    )
