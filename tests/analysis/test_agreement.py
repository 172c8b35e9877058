"""Agreement between the machine's grouping and staff's review."""

from __future__ import annotations

import pytest

from analysis.agreement import review_agreement


def test_review_agreement_unchanged_review_scores_one() -> None:
    machine = [0, 0, 0, 1, 1, 1, -1, 2, 2]
    result = review_agreement(machine, [10, 10, 10, 11, 11, 11, None, 12, 12])
    assert (result.ami, result.ari) == (1.0, 1.0)
    assert (result.moved, result.merged, result.split) == (0, 0, 0)
    assert result.answers == 9


def test_review_agreement_counts_a_merge_and_a_moved_answer() -> None:
    machine = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2]
    reviewed = ["a", "a", "a", "a", "a", "a", "b", "b", "b", "a"]
    result = review_agreement(machine, reviewed)
    assert result.merged == 1
    assert result.moved == 1
    assert result.split == 0
    assert result.ami < 1.0


def test_review_agreement_counts_a_split() -> None:
    machine = [0] * 6 + [1] * 3
    reviewed = ["a", "a", "a", "c", "c", "c", "b", "b", "b"]
    result = review_agreement(machine, reviewed)
    assert result.split == 1
    assert result.merged == 0
    assert result.moved == 3
    assert 0.0 < result.ami < 1.0


def test_review_agreement_lengths_must_match() -> None:
    with pytest.raises(ValueError):
        review_agreement([0, 1], [0])
