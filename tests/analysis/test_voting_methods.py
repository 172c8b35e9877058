"""The built-in voting methods as objects: each reads its ballot form back from what it
writes, counts a small matrix as the tallies do, and decides in its own words."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import voting
from analysis.voting.base import BallotOption, Count

OPTIONS = [BallotOption(11, cost=400.0), BallotOption(12, cost=300.0), BallotOption(13, 200.0)]
MARKS = {
    "majority_judgment": {11: 6, 12: 2, 13: 4},
    "approval": {11: 1, 13: 1},
    "ranked": {11: 2, 12: 1},
    "budget": {12: 1, 13: 1},
    "statements": {11: 1, 12: -1, 13: 0},
}


def test_registry_offers_the_five_methods_in_form_order() -> None:
    assert voting.METHODS.names() == (
        "majority_judgment",
        "approval",
        "ranked",
        "budget",
        "statements",
    )
    assert "score" not in voting.METHODS


@pytest.mark.parametrize("name", list(MARKS))
def test_ballot_form_round_trips_through_its_method(name: str) -> None:
    method = voting.METHODS[name]
    raw = method.as_form(MARKS[name])
    marks, errors = method.parse(OPTIONS, raw, budget=600.0)
    assert errors == {}
    assert marks == MARKS[name]


def test_an_empty_ballot_is_refused_by_field_as_each_method_says() -> None:
    keys = {
        name: {
            field: e.key
            for field, e in voting.METHODS[name].parse(OPTIONS, {}, budget=None)[1].items()
        }
        for name in MARKS
    }
    assert keys == {
        "majority_judgment": {
            "g_11": "vote.grade_missing",
            "g_12": "vote.grade_missing",
            "g_13": "vote.grade_missing",
        },
        "approval": {},
        "ranked": {"ranks": "vote.rank_none"},
        "budget": {},
        "statements": {"statements": "vote.statement_none"},
    }


def test_budget_ballot_over_the_budget_is_refused() -> None:
    method = voting.METHODS["budget"]
    _marks, errors = method.parse(OPTIONS, {"a": ["11", "12"]}, budget=600.0)
    assert errors["a"].key == "vote.over_budget"
    assert errors["a"].params == {"total": "700", "budget": "600"}


def test_tally_of_a_method_matches_the_tally_function() -> None:
    grades = np.array([[6, 2, 4], [5, 1, 3], [3, -1, 6]])
    part = voting.METHODS["majority_judgment"].tally(Count(grades, [1.0] * 3, 0.0))
    direct = voting.majority_judgment_ballots(grades)
    assert part["ranking"] == direct.ranking
    assert part["profiles"] == direct.profiles.tolist()


def test_statements_tally_reads_the_blank_mark_as_no_vote() -> None:
    method = voting.METHODS["statements"]
    blank = method.missing
    matrix = np.array([[1, blank], [-1, 0], [1, 1]])
    part = method.tally(Count(matrix, [1.0, 1.0], 0.0))
    assert (part["agree"], part["disagree"], part["pass"]) == ([2, 1], [1, 0], [0, 1])
    assert part["opinion"] is None  # three ballots: too few for opinion groups


def test_decision_of_approval_names_the_winner_with_its_share() -> None:
    method = voting.METHODS["approval"]
    matrix = np.array([[1, 0, 1], [1, 0, 0], [0, 1, 0]])
    results = {"ballots": 3, "approval": method.tally(Count(matrix, [1.0] * 3, 0.0))}
    decision = method.outcome(results, ["Crèche", "Bus", "Jardin"])
    assert decision.summary_key == "council.outcome_approval"
    assert decision.summary_params == {"winner": "Crèche", "share": "67 %"}
