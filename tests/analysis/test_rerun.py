"""A re-run with a few more answers keeps nearly every need (anchored by the previous run).

The demo's "manque" answers less 20 are grouped, then all of them again, given the first
run's needs as anchors; the first run's needs are paired with the second's as a re-run of
the same survey pairs them (``anchor_needs`` on answers and representatives).
"""

import json
import random
from pathlib import Path

import pytest

from analysis.anchoring import Anchor, anchor_needs
from analysis.clustering import TwoLevelResult, cluster_needs

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo_texts.json"


def _anchors(result: TwoLevelResult, ids: list[int]) -> list[Anchor]:
    position = {need.cluster: i for i, need in enumerate(result.needs)}
    members: list[set[int]] = [set() for _ in result.needs]
    for index, clusters in enumerate(result.memberships):
        for cluster in clusters:
            members[position[cluster]].add(ids[index])
    return [
        Anchor(
            members=frozenset(m),
            representatives=tuple(ids[q] for q in need.quote_indices),
            size=len(m),
            name=need.label,
        )
        for m, need in zip(members, result.needs, strict=True)
    ]


@pytest.fixture(scope="module")
def runs() -> tuple[TwoLevelResult, list[int], list[str]]:
    texts = [item["text"] for item in json.loads(DEMO.read_text(encoding="utf-8"))["manque"]]
    held = set(random.Random(0).sample(range(len(texts)), 20))
    first = [i for i in range(len(texts)) if i not in held]
    return cluster_needs([texts[i] for i in first]), first, texts


def _churn(
    runs: tuple[TwoLevelResult, list[int], list[str]], anchored: bool
) -> tuple[int, int, int]:
    before, first, texts = runs
    anchors = (
        [
            sorted(first[i] for i in range(len(first)) if before.labels[i] == need.cluster)
            for need in before.needs
        ]
        if anchored
        else []
    )
    after = cluster_needs(texts, anchors=anchors)
    pairing = anchor_needs(_anchors(before, first), _anchors(after, list(range(len(texts)))))
    gone = sum(1 for status in pairing.old_status.values() if status == "gone")
    new = sum(1 for status in pairing.new_status.values() if status == "new")
    return len(pairing.pairs), gone, new


def test_rerun_with_twenty_more_answers_keeps_nearly_every_need(runs) -> None:
    kept, gone, new = _churn(runs, anchored=True)
    total = kept + gone
    assert gone <= 0.05 * total
    assert new <= 0.1 * total


def test_rerun_without_anchors_loses_needs(runs) -> None:
    # What the bound above guards against: grouped afresh, needs merge and split.
    kept, gone, new = _churn(runs, anchored=False)
    assert gone > 0.05 * (kept + gone)
