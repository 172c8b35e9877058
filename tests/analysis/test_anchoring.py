"""Needs carried over from run to run and wave to wave by their representative answers."""

from __future__ import annotations

import numpy as np

from analysis.anchoring import Anchor, anchor_needs, pair_scores


def _need(members: set[int], reps: tuple[int, ...], size: float | None = None) -> Anchor:
    return Anchor(frozenset(members), reps, None, float(len(members) if size is None else size))


def test_anchor_needs_rerun_with_more_answers_pairs_by_representatives() -> None:
    old = [_need({1, 2, 3, 4}, (1, 2)), _need({5, 6, 7}, (5, 6)), _need({8, 9}, (8, 9))]
    # New run: the bus need grew, the doctors need lost an answer, the third is gone,
    # a new need appeared; positions are shuffled.
    new = [_need({20, 21, 22}, (20,)), _need({5, 6}, (5,)), _need({1, 2, 3, 4, 10, 11}, (1, 10))]
    result = anchor_needs(old, new)
    assert result.pairs == {0: 2, 1: 1}
    assert result.old_status == {0: "grew", 1: "shrank", 2: "gone"}
    assert result.new_status == {0: "new", 1: "shrank", 2: "grew"}


def test_anchor_needs_follows_representatives_when_a_need_is_cut_in_two() -> None:
    old = [_need({1, 2, 3, 4, 5, 6}, (1, 2))]
    # Half the answers went each way, but the representative ones stayed together.
    new = [_need({4, 5, 6}, (4,)), _need({1, 2, 3}, (1,))]
    assert anchor_needs(old, new).pairs == {0: 1}


def test_anchor_needs_one_to_one_even_when_two_old_needs_merged() -> None:
    old = [_need({1, 2, 3}, (1,)), _need({4, 5, 6}, (4,))]
    new = [_need({1, 2, 3, 4, 5, 6}, (1, 4))]
    result = anchor_needs(old, new, threshold=0.4)
    assert list(result.pairs.values()) == [0]
    assert sorted(result.old_status.values()) == ["gone", "grew"]


def test_anchor_needs_next_wave_matches_by_meaning() -> None:
    bus, doctor, park = np.array([1.0, 0.1, 0.0]), np.array([0.0, 1.0, 0.1]), np.eye(3)[2]
    old = [Anchor(vector=bus, size=0.3), Anchor(vector=doctor, size=0.2)]
    new = [
        Anchor(vector=doctor + 0.05, size=0.25),
        Anchor(vector=park, size=0.1),
        Anchor(vector=bus * 2, size=0.3),
    ]
    result = anchor_needs(old, new, tolerance=0.1)
    assert result.pairs == {0: 2, 1: 0}
    assert result.old_status == {0: "kept", 1: "grew"}
    assert result.new_status[1] == "new"


def test_pair_scores_ignore_meaning_between_needs_that_share_no_answers() -> None:
    same = np.array([1.0, 0.0])
    old = [Anchor(frozenset({1, 2}), (1,), same, 2)]
    new = [Anchor(frozenset({3, 4}), (3,), same, 2)]
    # Same survey, answers known on both sides and none shared: not the same need.
    assert pair_scores(old, new).tolist() == [[0.0]]


def test_anchor_needs_below_threshold_pairs_nothing() -> None:
    old = [_need({1, 2, 3, 4, 5, 6, 7, 8}, (1, 2))]
    new = [_need({8, 9, 10, 11, 12, 13}, (9,))]
    result = anchor_needs(old, new)
    assert result.pairs == {}
    assert result.old_status == {0: "gone"}
    assert result.new_status == {0: "new"}


def test_anchor_needs_same_name_and_shared_answers_settle_a_weak_pair() -> None:
    old = [Anchor(frozenset(range(1, 11)), (1, 2), None, 10, "Médiathèque ouverte le soir")]
    new = [Anchor(frozenset({1, 20, 21, 22, 23}), (20,), None, 5, "médiathèque  ouverte le soir")]
    assert anchor_needs(old, new).pairs == {0: 0}
    # Without the name, one shared answer out of fourteen is not the same need.
    unnamed = [Anchor(n.members, n.representatives, None, n.size) for n in new]
    assert anchor_needs(old, unnamed).pairs == {}
