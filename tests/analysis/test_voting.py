"""Tallies: hand-worked examples, published examples, properties, reference libraries."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from analysis import voting

# ------------------------------------------------------------------ majority judgment


def test_majority_judgment_hand_worked_gauge_and_tie_break() -> None:
    # Five judges, grades 0..6. All three options have majority grade 3 ("Assez bien").
    # A: [0,2,3,5,6] -> p = 2/5, q = 2/5, gauge -0.4; B: [1,3,3,3,4] -> gauge -0.2;
    # C: [2,2,3,4,4] -> gauge -0.4, tied with A. Majority values: A = 3,2,5,0,6 and
    # C = 3,2,4,2,4, so A ranks above C at the third removed median.
    grades = np.array(
        [[6, 3, 4], [5, 3, 4], [3, 3, 2], [2, 4, 2], [0, 1, 3]],
    )
    result = voting.majority_judgment_ballots(grades)
    assert result.majority_grades == [3, 3, 3]
    assert result.gauges == pytest.approx([-0.4, -0.2, -0.4])
    assert result.proponents == pytest.approx([0.4, 0.2, 0.4])
    assert result.opponents == pytest.approx([0.4, 0.2, 0.4])
    assert result.ranking == [[1], [0], [2]]
    assert result.tie_broken == [(0, 2)]
    assert result.winners == [1]


def test_majority_judgment_four_city_example() -> None:
    # The Tennessee-capital illustration used to present majority judgment (shares in %,
    # grades Poor..Excellent as 0..3): Nashville and Chattanooga are both "Good"; Nashville has
    # 32% below against Chattanooga's 42%, so Nashville wins.
    profiles = np.array(
        [
            [58, 0, 0, 42],  # Memphis
            [0, 32, 42, 26],  # Nashville
            [0, 42, 43, 15],  # Chattanooga
            [0, 68, 15, 17],  # Knoxville
        ]
    )
    result = voting.majority_judgment(profiles)
    assert result.majority_grades == [0, 2, 2, 1]
    assert result.gauges[1] == pytest.approx(-0.32)
    assert result.gauges[2] == pytest.approx(-0.42)
    assert result.ranking == [[1], [2], [3], [0]]


def test_majority_judgment_plus_beats_minus_with_same_grade() -> None:
    # Same majority grade 4: X has more above than below (4+), Y more below (4-).
    profiles = np.zeros((2, 7), dtype=int)
    profiles[0, [3, 4, 6]] = [1, 2, 2]
    profiles[1, [2, 4, 5]] = [2, 2, 1]
    result = voting.majority_judgment(profiles)
    assert result.majority_grades == [4, 4]
    assert result.gauges[0] > 0 > result.gauges[1]
    assert result.ranking == [[0], [1]]


def test_majority_judgment_identical_profiles_stay_tied() -> None:
    profiles = np.array([[1, 2, 3, 0, 0, 0, 1], [1, 2, 3, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 7]])
    result = voting.majority_judgment(profiles)
    assert result.ranking == [[2], [0, 1]]


def test_majority_judgment_option_without_grades_ranks_last() -> None:
    grades = np.array([[0, -1, 2], [1, -1, 2], [2, -1, 2]])
    result = voting.majority_judgment_ballots(grades)
    assert result.majority_grades == [1, None, 2]
    assert result.totals.tolist() == [3, 0, 3]
    assert result.ranking == [[2], [0], [1]]


def test_merit_profiles_missing_as_lowest() -> None:
    grades = np.array([[6, -1], [5, 4]])
    assert voting.merit_profiles(grades)[1].tolist() == [0, 0, 0, 0, 1, 0, 0]
    as_lowest = voting.merit_profiles(grades, missing_as_lowest=True)
    assert as_lowest[1].tolist() == [1, 0, 0, 0, 1, 0, 0]


def test_merit_profiles_rejects_out_of_scale_grades() -> None:
    with pytest.raises(ValueError, match="grades"):
        voting.merit_profiles(np.array([[7]]))


def test_majority_value_removes_lower_median_first() -> None:
    # Grades 0,1,2,3,4 (one each): medians met are 2, 1, 3, 0, 4.
    assert voting.majority_value([1, 1, 1, 1, 1]).tolist() == [2, 1, 3, 0, 4]
    # Grades 0,1,2,3: lower median 1, then 2, then 0, then 3.
    assert voting.majority_value([1, 1, 1, 1]).tolist() == [1, 2, 0, 3]


grade_matrices = st.integers(1, 12).flatmap(
    lambda n: st.integers(2, 5).flatmap(
        lambda m: arrays(np.int64, (n, m), elements=st.integers(0, 6))
    )
)


@settings(max_examples=80, deadline=None)
@given(grade_matrices)
def test_majority_judgment_winner_has_highest_majority_grade(grades: np.ndarray) -> None:
    result = voting.majority_judgment_ballots(grades)
    best = max(g for g in result.majority_grades if g is not None)
    assert all(result.majority_grades[w] == best for w in result.winners)


@settings(max_examples=80, deadline=None)
@given(grade_matrices)
def test_majority_judgment_agrees_with_majority_value_order(grades: np.ndarray) -> None:
    # Balinski & Laraki: with equal numbers of judges, the gauge order is consistent with
    # the lexicographic order of majority values, which is the full majority ranking.
    result = voting.majority_judgment_ballots(grades)
    values = {
        i: tuple(voting.majority_value(result.profiles[i]).tolist()) for i in range(grades.shape[1])
    }
    flattened = [i for tier in result.ranking for i in tier]
    for upper, lower in zip(flattened, flattened[1:], strict=False):
        assert values[upper] >= values[lower]
    for tier in result.ranking:
        assert len({values[i] for i in tier}) == 1


# ----------------------------------------------------------------------------- approval


def test_approval_totals_shares_and_ties() -> None:
    ballots = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 0], [0, 0, 0]], dtype=bool)
    result = voting.approval(ballots)
    assert result.totals.tolist() == [2, 2, 1]
    assert result.shares.tolist() == [0.5, 0.5, 0.25]
    assert result.ranking == [[0, 1], [2]]
    assert result.winners == [0, 1]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 15).flatmap(
        lambda n: st.integers(1, 6).flatmap(lambda m: arrays(np.bool_, (n, m)))
    )
)
def test_approval_totals_equal_ballot_counts(ballots: np.ndarray) -> None:
    result = voting.approval(ballots)
    for option in range(ballots.shape[1]):
        assert result.totals[option] == sum(bool(row[option]) for row in ballots)
    assert result.totals.sum() == ballots.sum()
    assert sorted(i for tier in result.ranking for i in tier) == list(range(ballots.shape[1]))


# ----------------------------------------------------------------------- ranked ballots


def _ranks(order: str, groups: list[tuple[int, str]]) -> np.ndarray:
    rows = []
    for count, ballot in groups:
        rank = {letter: position + 1 for position, letter in enumerate(ballot)}
        rows.extend([[rank[c] for c in order]] * count)
    return np.array(rows)


def test_schulze_published_example() -> None:
    # Schulze's 45-voter, five-candidate example: ranking E > A > C > B > D.
    rankings = _ranks(
        "ABCDE",
        [
            (5, "ACBED"),
            (5, "ADECB"),
            (8, "BEDAC"),
            (3, "CABED"),
            (7, "CAEBD"),
            (2, "CBADE"),
            (7, "DCEBA"),
            (8, "EBADC"),
        ],
    )
    result = voting.schulze(rankings)
    assert result.ranking == [[4], [0], [2], [1], [3]]
    assert result.pairwise[0, 1] == 20
    assert result.pairwise[1, 0] == 25
    assert result.strongest_paths[4, 0] == 25
    assert result.strongest_paths[0, 4] == 24
    assert result.winners == [4]


def test_schulze_unranked_below_ranked_and_ties() -> None:
    # Ballot 1: A > (B = C), D unranked. Ballot 2: D first, rest unranked.
    rankings = np.array([[1, 2, 2, 0], [0, 0, 0, 1]])
    d = voting.pairwise_matrix(rankings)
    assert d.tolist() == [[0, 1, 1, 1], [0, 0, 0, 1], [0, 0, 0, 1], [1, 1, 1, 0]]


def test_schulze_unbeaten_options_share_first_tier() -> None:
    # Two voters with opposite rankings: nobody beats anybody.
    result = voting.schulze(np.array([[1, 2, 3], [3, 2, 1]]))
    assert result.ranking == [[0, 1, 2]]


def test_borda_full_rankings_classic_points() -> None:
    rankings = np.array([[1, 2, 3], [2, 1, 3], [1, 3, 2]])
    result = voting.borda(rankings)
    assert result.scores.tolist() == [5.0, 3.0, 1.0]
    assert result.ranking == [[0], [1], [2]]


def test_borda_shares_points_of_ties_and_unranked() -> None:
    result = voting.borda(np.array([[1, 0, 0]]))
    assert result.scores.tolist() == [2.0, 0.5, 0.5]


ranking_matrices = st.integers(1, 10).flatmap(
    lambda n: st.integers(2, 5).flatmap(
        lambda m: arrays(np.int64, (n, m), elements=st.integers(0, m))
    )
)


@settings(max_examples=100, deadline=None)
@given(ranking_matrices)
def test_schulze_condorcet_winner_always_wins(rankings: np.ndarray) -> None:
    d = voting.pairwise_matrix(rankings)
    m = d.shape[0]
    condorcet = [c for c in range(m) if all(d[c, j] > d[j, c] for j in range(m) if j != c)]
    for strength in ("winning", "margin"):
        result = voting.schulze(rankings, strength)
        if condorcet:
            assert result.winners == condorcet
        assert sorted(i for tier in result.ranking for i in tier) == list(range(m))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12), st.integers(2, 6), st.randoms(use_true_random=False))
def test_borda_sums_with_full_rankings(n: int, m: int, rnd) -> None:  # type: ignore[no-untyped-def]
    rankings = np.array([rnd.sample(range(1, m + 1), m) for _ in range(n)])
    result = voting.borda(rankings)
    assert result.scores.sum() == n * (m - 1) * m / 2


@settings(max_examples=60, deadline=None)
@given(ranking_matrices)
def test_borda_sums_with_partial_rankings(rankings: np.ndarray) -> None:
    n, m = rankings.shape
    assert voting.borda(rankings).scores.sum() == n * (m - 1) * m / 2


def test_schulze_and_borda_match_pref_voting_on_random_profiles() -> None:
    pytest.importorskip("pref_voting", reason="pref_voting (test-only reference) not installed")
    from pref_voting.margin_based_methods import beat_path
    from pref_voting.profiles import Profile
    from pref_voting.profiles_with_ties import ProfileWithTies
    from pref_voting.scoring_methods import borda

    rng = np.random.default_rng(20240601)
    for _ in range(50):
        m, n = int(rng.integers(2, 7)), int(rng.integers(1, 16))
        full = np.array([rng.permutation(m) + 1 for _ in range(n)])
        profile = Profile([[int(c) for c in np.argsort(row)] for row in full])
        assert voting.schulze(full).winners == sorted(beat_path(profile))
        assert voting.schulze(full, "margin").winners == sorted(beat_path(profile))
        assert voting.borda(full).winners == sorted(borda(profile))

        partial = rng.integers(0, m + 1, size=(n, m))
        with_ties = ProfileWithTies(
            [{c: int(r[c]) for c in range(m) if r[c] > 0} for r in partial],
            candidates=list(range(m)),
        )
        with_ties.use_extended_strict_preference()
        assert voting.schulze(partial, "margin").winners == sorted(beat_path(with_ties))
        assert voting.schulze(partial, "winning").winners == sorted(
            beat_path(with_ties, strength_function=with_ties.support)
        )


# ------------------------------------------------------------------ participatory budget


def _camps() -> tuple[np.ndarray, int, np.ndarray]:
    # 6 voters want A1, A2, A3; 4 voters want B; every project costs 30; budget 100.
    costs = np.array([30, 30, 30, 30])
    ballots = np.array([[1, 1, 1, 0]] * 6 + [[0, 0, 0, 1]] * 4, dtype=bool)
    return costs, 100, ballots


def test_greedy_budget_funds_by_approvals_and_skips_what_does_not_fit() -> None:
    costs, budget, ballots = _camps()
    result = voting.greedy_budget(costs, budget, ballots)
    assert result.funded == [0, 1, 2]
    assert result.total_cost == 90
    assert result.unfunded == [3]


def test_equal_shares_is_proportional_on_two_camps() -> None:
    costs, budget, ballots = _camps()
    result = voting.equal_shares(costs, budget, ballots, completion="none")
    # Each voter holds 10: the majority pays 5 each for A1 and A2, the minority 7.50 for B.
    assert result.funded == [0, 1, 3]
    assert result.voter_budget == 10
    assert [r.max_payment for r in result.rounds] == pytest.approx([5, 5, 7.5])
    assert [r.phase for r in result.rounds] == ["equal_shares"] * 3


def test_equal_shares_greedy_completion_spends_leftover() -> None:
    costs = np.array([60, 40, 50])
    ballots = np.array([[1, 0, 1], [1, 0, 1], [1, 0, 0], [0, 1, 0]], dtype=bool)
    plain = voting.equal_shares(costs, 100, ballots, completion="none")
    completed = voting.equal_shares(costs, 100, ballots)
    assert plain.funded == [0]
    assert completed.funded == [0, 1]
    assert completed.rounds[-1].phase == "greedy"


def test_ballot_cost_mask_and_indices() -> None:
    costs = [10.0, 25.0, 5.0]
    assert voting.ballot_cost([True, False, True], costs) == 15.0
    assert voting.ballot_cost([1, 1, 2], costs) == 30.0
    with pytest.raises(ValueError, match="same length"):
        voting.ballot_cost([True], costs)


def test_equal_shares_rejects_non_positive_costs() -> None:
    with pytest.raises(ValueError, match="positive"):
        voting.equal_shares([0, 10], 10, np.ones((2, 2), dtype=bool))


budget_instances = st.integers(1, 6).flatmap(
    lambda m: st.tuples(
        arrays(np.int64, (m,), elements=st.integers(1, 50)),
        st.integers(0, 150),
        st.integers(0, 12).flatmap(lambda n: arrays(np.bool_, (n, m))),
    )
)


@settings(max_examples=80, deadline=None)
@given(budget_instances, st.sampled_from(["cost", "approval"]))
def test_equal_shares_never_exceeds_budget(instance, utility: str) -> None:  # type: ignore[no-untyped-def]
    costs, budget, ballots = instance
    for completion in ("none", "greedy"):
        for increment in (None, 1.0):
            result = voting.equal_shares(
                costs,
                budget,
                ballots,
                utility=utility,
                completion=completion,
                voter_budget_increment=increment,
            )
            assert result.total_cost <= budget
            assert len(set(result.funded)) == len(result.funded)
            assert all(ballots[:, option].any() for option in result.funded)


def _pabutools_outcome(costs, budget, ballots, sat_class, increment, complete):  # type: ignore[no-untyped-def]
    from pabutools.election import ApprovalBallot, ApprovalProfile, Instance, Project
    from pabutools.rules import (
        completion_by_rule_combination,
        greedy_utilitarian_welfare,
        method_of_equal_shares,
    )

    # Zero-padded names so that pabutools' lexicographic tie-break is "lower index first".
    projects = [Project(f"p{i:03d}", int(c)) for i, c in enumerate(costs)]
    instance = Instance(projects, budget_limit=int(budget))
    profile = ApprovalProfile(
        [ApprovalBallot([projects[j] for j in np.flatnonzero(row)]) for row in ballots]
    )
    mes_params = {"sat_class": sat_class, "voter_budget_increment": increment}
    if complete:
        outcome = completion_by_rule_combination(
            instance,
            profile,
            [method_of_equal_shares, greedy_utilitarian_welfare],
            [mes_params, {"sat_class": sat_class}],
        )
    else:
        outcome = method_of_equal_shares(instance, profile, **mes_params)
    # pabutools' greedy also funds projects nobody approved; ours never does.
    return sorted(i for i in (int(p.name[1:]) for p in outcome) if ballots[:, i].any())


def test_equal_shares_matches_pabutools_on_random_instances() -> None:
    pytest.importorskip("pabutools", reason="pabutools (test-only reference) not installed")
    from pabutools.election import Cardinality_Sat, Cost_Sat

    rng = np.random.default_rng(7)
    for _ in range(40):
        m, n = int(rng.integers(2, 8)), int(rng.integers(1, 20))
        costs = rng.integers(1, 20, m)
        budget = int(rng.integers(5, costs.sum() + 5))
        ballots = rng.random((n, m)) < rng.uniform(0.1, 0.8)
        for utility, sat_class in (("cost", Cost_Sat), ("approval", Cardinality_Sat)):
            for increment in (None, 1):
                for complete in (False, True):
                    ours = voting.equal_shares(
                        costs,
                        budget,
                        ballots,
                        utility=utility,
                        completion="greedy" if complete else "none",
                        voter_budget_increment=increment,
                    )
                    expected = _pabutools_outcome(
                        costs, budget, ballots, sat_class, increment, complete
                    )
                    assert sorted(ours.funded) == expected
