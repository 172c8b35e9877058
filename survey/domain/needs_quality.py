"""Quality of a run as staff see it: how far their review moved from the machine's grouping.

Each review action (rename, merge, split, move, "not a need") is counted on the run, and
the agreement between the machine's need of each answer and the reviewed one
(``analysis.agreement``) is computed again and kept, with its history, so that staff can
follow how much the review changed from one run to the next.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from analysis.agreement import review_agreement
from survey.domain.queries import need_answers
from survey.models.needs import AnalysisRun

REVIEW_KINDS = ("rename", "merge", "split", "move", "not_need")
_HISTORY = 40


async def agreement_of(run: AnalysisRun) -> dict[str, Any]:
    """The agreement between the machine's and staff's needs over the run's real answers."""
    rows = await need_answers.reviewed(run.id)
    machine = [r.machine_need for r in rows]
    # An answer in a need staff marked "not a need" counts as unclassified.
    reviewed = [r.need if r.is_need else -1 for r in rows]
    found = review_agreement(machine, reviewed)
    return {
        "ami": found.ami,
        "ari": found.ari,
        "answers": found.answers,
        "moved": found.moved,
        "merged": found.merged,
        "split": found.split,
    }


async def record_review(run: AnalysisRun, kind: str) -> dict[str, Any]:
    """Count one review action on the run and keep the agreement it leads to."""
    await run.refresh_from_db(fields=["review"])
    review = dict(run.review) if isinstance(run.review, dict) else {}
    counts = dict(review.get("counts") or {})
    counts[kind] = int(counts.get(kind, 0)) + 1
    agreement = await agreement_of(run)
    history = list(review.get("history") or [])
    history.append(
        {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "ami": agreement["ami"]}
    )
    run.review = {"counts": counts, "agreement": agreement, "history": history[-_HISTORY:]}
    await run.save(update_fields=["review"])
    return run.review
