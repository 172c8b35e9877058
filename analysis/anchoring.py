"""Carry needs over from one run to the next, anchored by their representative answers.

A need is known by its answers and, above all, by its representative answers (the ones
closest to its centre, shown as quotes). When the same survey is analysed again with more
answers, an earlier need lives on in the new need that holds most of its representative
answers and shares most answers with it. On the next wave of a survey (other residents,
other answers) nothing is shared, so the representative answers are compared by meaning:
the mean vector of the earlier need's representative answers against the new need's.

``anchor_needs`` is pure: plain sets and vectors in, pairs and a status per need out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from sklearn.cluster import KMeans
from sklearn.preprocessing import normalize

Status = Literal["kept", "grew", "shrank", "gone", "new"]


@dataclass(frozen=True)
class Anchor:
    """What a need is known by: its answers, its representative answers, their meaning.

    ``members`` and ``representatives`` are answer ids (empty when comparing waves, whose
    answers differ); ``vector`` is the mean meaning of the representative answers (None
    when unknown); ``size`` is what grows or shrinks (residents, or a share across waves);
    ``name`` the automatic name, which settles a pair that shares answers.
    """

    members: frozenset[int] = frozenset()
    representatives: tuple[int, ...] = ()
    vector: np.ndarray | None = field(default=None, compare=False)
    size: float = 0.0
    # The automatic name: two needs that share answers and got the same name are one.
    name: str = ""


@dataclass(frozen=True)
class Anchoring:
    """``pairs`` maps an old need's position to the new need that carries it on."""

    pairs: dict[int, int]
    scores: dict[int, float]
    old_status: dict[int, Status]
    new_status: dict[int, Status]


def _overlap(old: Anchor, new: Anchor) -> float:
    """Half the Jaccard index of the answers, half the share of representatives kept."""
    if not old.members or not new.members:
        return 0.0
    union = len(old.members | new.members)
    jaccard = len(old.members & new.members) / union if union else 0.0
    reps = old.representatives or tuple(old.members)
    kept = sum(1 for r in reps if r in new.members) / len(reps)
    return 0.5 * jaccard + 0.5 * kept


def _folded(name: str) -> str:
    return " ".join(name.casefold().split())


def _cosine(a: np.ndarray | None, b: np.ndarray | None) -> float:
    if a is None or b is None:
        return 0.0
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0.0 or nb == 0.0:
        return 0.0
    return float(np.dot(a, b) / (na * nb))


def pair_scores(
    old: Sequence[Anchor], new: Sequence[Anchor], *, meaning_threshold: float = 0.8
) -> np.ndarray:
    """Score of each (old, new) pair in [0, 1]: shared answers first, meaning otherwise.

    Where the two needs share answers, the overlap decides (a re-run of one survey), and
    the same automatic name on both makes the pair all but certain;
    where neither has answers in common with anything, the cosine of their representative
    answers' meanings counts, rescaled so that ``meaning_threshold`` maps to 0.5.
    """
    scores = np.zeros((len(old), len(new)))
    for i, a in enumerate(old):
        for j, b in enumerate(new):
            overlap = _overlap(a, b)
            if overlap > 0.0:
                named = bool(a.name) and _folded(a.name) == _folded(b.name)
                scores[i, j] = max(overlap, 0.99) if named else overlap
            elif not a.members or not b.members:
                cosine = _cosine(a.vector, b.vector)
                if cosine >= meaning_threshold:
                    scores[i, j] = 0.5 + 0.5 * (cosine - meaning_threshold) / (
                        1.0 - meaning_threshold
                    )
    return scores


def anchor_needs(
    old: Sequence[Anchor],
    new: Sequence[Anchor],
    *,
    threshold: float = 0.4,
    meaning_threshold: float = 0.8,
    tolerance: float = 0.0,
) -> Anchoring:
    """Pair old needs with new ones, one to one, best pairs first, scores ≥ ``threshold``.

    An old need paired is ``grew``, ``shrank`` or ``kept`` by its size (a change within
    ``tolerance`` of the old size counts as kept); unpaired it is ``gone``. A new need
    nobody carries on to is ``new``.
    """
    scores = pair_scores(old, new, meaning_threshold=meaning_threshold)
    candidates = sorted(
        ((float(scores[i, j]), i, j) for i in range(len(old)) for j in range(len(new))),
        key=lambda c: (-c[0], c[1], c[2]),
    )
    pairs: dict[int, int] = {}
    kept_scores: dict[int, float] = {}
    taken: set[int] = set()
    for score, i, j in candidates:
        if score < threshold or score <= 0.0:
            break
        if i in pairs or j in taken:
            continue
        pairs[i] = j
        kept_scores[i] = round(score, 4)
        taken.add(j)
    old_status: dict[int, Status] = {}
    new_status: dict[int, Status] = {}
    for i, before in enumerate(old):
        if i not in pairs:
            old_status[i] = "gone"
            continue
        after = new[pairs[i]].size
        margin = tolerance * before.size
        status: Status = (
            "grew"
            if after > before.size + margin
            else "shrank"
            if after < before.size - margin
            else "kept"
        )
        old_status[i] = new_status[pairs[i]] = status
    for j in range(len(new)):
        new_status.setdefault(j, "new")
    return Anchoring(pairs=pairs, scores=kept_scores, old_status=old_status, new_status=new_status)


def anchored_kmeans(
    X: np.ndarray,
    rows: np.ndarray,
    anchors: Sequence[np.ndarray],
    found: np.ndarray,
    random_state: int | None = 0,
) -> np.ndarray:
    """K-means on ``X`` started from the previous run's needs, so a re-run keeps them.

    ``anchors`` are the previous needs of this theme as positions in ``rows`` of their
    answers; each starts one cluster at the mean of its answers. ``found`` are the centres
    the run found without them: those far from every anchor start the clusters a re-run
    adds (the count is the larger of the two). Returns the cluster of each row of ``X``.
    """
    starts = normalize(np.array([rows[a].mean(axis=0) for a in anchors]))
    k = min(max(len(starts), len(found)), len(X))
    if len(starts) < k:
        found = normalize(np.asarray(found, dtype=np.float64))
        farthest = np.argsort((found @ starts.T).max(axis=1), kind="stable")
        starts = np.vstack([starts, found[farthest[: k - len(starts)]]])
    model = KMeans(k, init=starts[:k], n_init=1, random_state=random_state)
    labels: np.ndarray = model.fit_predict(X).astype(np.int64)
    return labels
