"""How far staff's review moved from the machine's grouping: one score per run.

``machine`` and ``reviewed`` give, for the same answers in the same order, the group each
one was in (any hashable id; ``None`` or ``-1`` for unclassified, which counts as a group
of its own). The adjusted scores are 1 when staff changed nothing and about 0 when the
review bears no relation to what the machine proposed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score


@dataclass(frozen=True)
class Agreement:
    """Adjusted mutual information and Rand index, answers moved, merges and splits."""

    ami: float
    ari: float
    answers: int
    moved: int
    merged: int
    split: int


def _codes(labels: Sequence[Hashable | None]) -> list[int]:
    seen: dict[Hashable, int] = {}
    return [seen.setdefault(-1 if x is None else x, len(seen)) for x in labels]


def review_agreement(
    machine: Sequence[Hashable | None], reviewed: Sequence[Hashable | None]
) -> Agreement:
    """Compare the machine's grouping with staff's, answer by answer.

    ``moved``: answers outside the group where most of their machine group went;
    ``merged``: per reviewed group holding the bulk (half or more) of several machine
    groups, those groups beyond the first; ``split``: per machine group, the reviewed
    groups beyond the first that took at least a third of its answers.
    """
    if len(machine) != len(reviewed):
        raise ValueError("machine and reviewed must have the same length")
    n = len(machine)
    if n == 0:
        return Agreement(1.0, 1.0, 0, 0, 0, 0)
    a, b = _codes(machine), _codes(reviewed)
    if len(set(a)) == 1 and len(set(b)) == 1:
        ami = ari = 1.0
    else:
        ami = float(adjusted_mutual_info_score(a, b))
        ari = float(adjusted_rand_score(a, b))
    by_machine: dict[int, Counter[int]] = defaultdict(Counter)
    for x, y in zip(a, b, strict=True):
        by_machine[x][y] += 1
    moved = sum(sum(c.values()) - c.most_common(1)[0][1] for c in by_machine.values())
    bulk_of: dict[int, int] = defaultdict(int)
    split = 0
    for counts in by_machine.values():
        total = sum(counts.values())
        target, top = counts.most_common(1)[0]
        if top * 2 >= total:
            bulk_of[target] += 1
        split += max(0, sum(1 for v in counts.values() if v * 3 >= total) - 1)
    merged = sum(k - 1 for k in bulk_of.values() if k > 1)
    return Agreement(
        ami=round(ami, 4), ari=round(ari, 4), answers=n, moved=moved, merged=merged, split=split
    )
