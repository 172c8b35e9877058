"""Opinion groups: Pol.is's steps on tiny hand-made conversations and one real one."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score

from analysis import opinion, polis

DATA = Path(__file__).parents[2].parent / "shared" / "data" / "polis"
NAN = np.nan


def _two_camps(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """24 participants in two camps over 10 statements, plus one everybody agrees with."""
    rng = np.random.default_rng(seed)
    camp = np.repeat([0, 1], 12)
    stance = np.where(camp[:, None] == 0, 1.0, -1.0) * np.r_[np.ones(5), -np.ones(5)]
    votes = np.where(rng.random(stance.shape) < 0.1, 0.0, stance)
    votes = np.where(rng.random(stance.shape) < 0.15, NAN, votes)
    consensus = np.ones((24, 1))
    return np.hstack([votes, consensus]), camp


def test_in_conversation_needs_seven_votes_or_all_statements() -> None:
    votes = np.array([[1, 0, -1, 1, 1, 1, 1, NAN], [1, 1, 1, 1, 1, 1, NAN, NAN]])
    assert opinion.in_conversation(votes).tolist() == [True, False]
    few = np.array([[1, NAN, 0], [1, -1, 0]])
    assert opinion.in_conversation(few).tolist() == [False, True]


def test_impute_column_means_fills_missing_votes() -> None:
    votes = np.array([[1, NAN, NAN], [0, 1, NAN], [-1, -1, NAN]])
    imputed = opinion.impute_column_means(votes)
    assert imputed.tolist() == [[1, 0, 0], [0, 1, 0], [-1, -1, 0]]


def test_sparsity_aware_pca_pushes_sparse_voters_out() -> None:
    votes = np.array([[1, 1, 1, 1], [-1, -1, -1, -1], [1, NAN, NAN, NAN], [0, 0, 0, 0]])
    reducer = opinion.SparsityAwarePCA().fit(votes)
    coords = reducer.transform(votes)
    # One vote of +1 on four statements is scaled by sqrt(4/1) = 2.
    deviation = np.array([1.0 - reducer.center_[0], 0, 0, 0])
    assert coords[2] == pytest.approx(2 * deviation @ reducer.components_.T)


def test_opinion_groups_recover_two_camps() -> None:
    votes, camp = _two_camps()
    model = opinion.OpinionGroups(base_clusters=10, random_state=0).fit(votes)
    assert model.n_groups_ == 2
    assert adjusted_rand_score(camp, model.labels_) == 1.0
    assert model.coords_.shape == (24, 2)
    assert set(model.silhouettes_) >= {2}


def test_opinion_groups_leave_sparse_voters_unclustered() -> None:
    votes, _ = _two_camps()
    votes[0, 1:] = NAN
    model = opinion.OpinionGroups(base_clusters=10).fit(votes)
    assert model.labels_[0] == -1
    assert not model.in_conversation_[0]
    assert (model.labels_[1:] >= 0).all()


def test_opinion_groups_same_seed_same_groups_and_picklable() -> None:
    votes, _ = _two_camps(seed=3)
    first = opinion.OpinionGroups(random_state=5).fit(votes)
    second = clone(first).fit(votes)
    assert first.labels_.tolist() == second.labels_.tolist()
    restored = pickle.loads(pickle.dumps(first))  # noqa: S301 - our own bytes, round trip
    assert restored.labels_.tolist() == first.labels_.tolist()
    assert first.get_params()["random_state"] == 5


def test_analyse_opinions_statements_per_group() -> None:
    votes, camp = _two_camps()
    result = opinion.analyse_opinions(votes, opinion.OpinionParams(base_clusters=10))
    assert result.group_sizes == [12, 12]
    assert result.consensus[0].statement == 10
    assert result.divisive[0].statement != 10
    assert result.divisive[0].spread > 1.0
    for group, statements in result.representative.items():
        assert statements
        members = camp[result.labels == group]
        agrees_first = members[0] == 0
        for item in statements:
            assert item.statement < 10
            # Camp 0 agrees with 0-4 and disagrees with 5-9; camp 1 the reverse.
            expect_agree = (item.statement < 5) == agrees_first
            assert item.direction == ("agree" if expect_agree else "disagree")
            assert item.z_probability > opinion.Z_90


def test_group_consensus_is_product_of_pseudo_counted_agreement() -> None:
    counts = opinion.GroupVotes(
        agree=np.array([[3], [1]]), disagree=np.array([[0], [1]]), seen=np.array([[4], [2]])
    )
    consensus = opinion.group_consensus(counts)
    assert consensus[0].agree == pytest.approx((4 / 6) * (2 / 4))
    assert consensus[0].disagree == pytest.approx((1 / 6) * (2 / 4))


def test_proportion_tests_match_polis_reference_values() -> None:
    # Pol.is's own unit test: two_prop_test(15, 56, 24, 71) is about -1.518.
    assert opinion.two_proportion_test(15, 56, 24, 71) == pytest.approx(-1.518, abs=0.01)
    assert opinion.proportion_test(9, 9) == pytest.approx(2 * np.sqrt(10) * 0.5)


def test_real_conversation_groups_agree_with_polis() -> None:
    folder = DATA / "brexit-consensus"
    if not (folder / "votes.csv").is_file():
        pytest.skip(f"Pol.is evaluation data not found at {folder}")
    comments = polis.read_comments(folder / "comments.csv")
    matrix = polis.read_votes(
        folder / "votes.csv", comment_ids=polis.analysable_comment_ids(comments)
    )
    reference = polis.read_participants_votes(folder / "participants-votes.csv")
    result = opinion.analyse_opinions(matrix.votes)
    theirs = dict(zip(reference.participant_ids, reference.group_ids, strict=True))
    pairs = [
        (theirs[p], label)
        for p, label in zip(matrix.participant_ids, result.labels, strict=True)
        if label >= 0 and theirs.get(p) is not None
    ]
    assert result.n_groups == 2
    assert adjusted_rand_score(*zip(*pairs, strict=True)) > 0.6


def _planted(n_camps: int, seed: int, per_camp: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """``n_camps`` camps over 30 statements: each camp has its own random stance per statement;
    a tenth of the votes are flipped to pass and a fifth are missing."""
    rng = np.random.default_rng(seed)
    camp = np.repeat(np.arange(n_camps), per_camp)
    stances = rng.choice([-1.0, 1.0], size=(n_camps, 30))
    votes = stances[camp]
    votes = np.where(rng.random(votes.shape) < 0.1, 0.0, votes)
    votes = np.where(rng.random(votes.shape) < 0.2, NAN, votes)
    return votes, camp


@pytest.mark.parametrize("n_camps", [2, 3, 4, 5])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_opinion_groups_planted_camps_recovered_with_their_number(n_camps: int, seed: int) -> None:
    votes, camp = _planted(n_camps, seed)
    model = opinion.OpinionGroups(random_state=seed).fit(votes)
    assert model.n_groups_ == n_camps
    assert adjusted_rand_score(camp, model.labels_) == 1.0
    assert max(model.silhouettes_, key=model.silhouettes_.__getitem__) == n_camps


def test_opinion_groups_no_more_groups_than_max_groups() -> None:
    votes, _ = _planted(4, seed=0)
    model = opinion.OpinionGroups(max_groups=3).fit(votes)
    assert model.n_groups_ <= 3
    assert set(model.silhouettes_) == {2, 3}


def test_opinion_groups_imposed_number_of_groups() -> None:
    votes, camp = _planted(3, seed=0)
    merged = opinion.OpinionGroups(n_groups=2).fit(votes)
    assert merged.n_groups_ == 2
    assert set(merged.silhouettes_) == {2}
    # Two groups from three camps: camps are merged, never cut.
    for c in range(3):
        assert np.unique(merged.labels_[camp == c]).size == 1
    assert adjusted_rand_score(camp, opinion.OpinionGroups(n_groups=3).fit(votes).labels_) == 1.0
    wider = opinion.OpinionGroups(n_groups=6).fit(votes)
    assert wider.n_groups_ == 6
    assert wider.projection_.shape[1] == 5
    with pytest.raises(ValueError, match="n_groups"):
        opinion.OpinionGroups(n_groups=1).fit(votes)


def test_opinion_groups_numbered_by_decreasing_size() -> None:
    votes, camp = _planted(2, seed=4, per_camp=30)
    votes = votes[np.r_[0:30, 30:45]]
    model = opinion.OpinionGroups().fit(votes)
    assert np.bincount(model.labels_).tolist() == [30, 15]


def test_opinion_groups_map_is_first_two_components_of_clustering_space() -> None:
    votes, _ = _planted(4, seed=1)
    model = opinion.OpinionGroups().fit(votes)
    assert model.projection_.shape == (160, 4)
    flat = opinion.SparsityAwarePCA(n_components=2).fit(votes).transform(votes)
    assert model.coords_ == pytest.approx(flat)


def test_opinion_groups_two_dimensions_merge_four_camps() -> None:
    # Why the clustering space has more than the map's two dimensions.
    votes, camp = _planted(4, seed=0)
    flat = opinion.OpinionGroups(reducer=opinion.SparsityAwarePCA(n_components=2)).fit(votes)
    assert flat.n_groups_ < 4
    model = opinion.OpinionGroups().fit(votes)
    assert adjusted_rand_score(camp, model.labels_) == 1.0


def test_mostly_passing_counts_passes_over_votes_cast() -> None:
    votes = np.array(
        [
            [0, 0, 1, NAN, NAN],  # 2 passes of 3 votes
            [0, 1, -1, 1, NAN],  # 1 of 4
            [0, 0, 1, -1, NAN],  # 2 of 4: not more than half
            [NAN, NAN, NAN, NAN, NAN],
        ]
    )
    assert opinion.mostly_passing(votes).tolist() == [True, False, False, False]
    assert opinion.mostly_passing(votes, share=0.25).tolist() == [True, False, True, False]


def _with_passers(seed: int, n_passers: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Two planted camps, then participants who lean to one camp or the other but pass on
    about 80% of the statements (their other votes are their camp's)."""
    votes, camp = _planted(2, seed)
    rng = np.random.default_rng(seed + 100)
    lean = np.arange(n_passers) % 2
    stances = np.array([votes[camp == c][0] for c in (0, 1)])
    stances = np.where(np.isnan(stances), 1.0, stances)
    passers = np.where(rng.random((n_passers, votes.shape[1])) < 0.8, 0.0, stances[lean])
    return np.vstack([votes, passers]), np.r_[camp, np.full(n_passers, 2)]


def test_undecided_participants_form_the_last_group() -> None:
    votes, truth = _with_passers(seed=3)
    model = opinion.OpinionGroups().fit(votes)
    assert model.n_groups_ == 3
    assert model.undecided_group_ == 2
    assert (model.labels_ == 2).tolist() == (truth == 2).tolist()
    assert adjusted_rand_score(truth, model.labels_) == 1.0
    plain = opinion.OpinionGroups(undecided_share=None).fit(votes)  # as in Pol.is
    assert plain.undecided_group_ is None
    assert not plain.undecided_.any()


def test_undecided_group_predicts_the_held_out_votes_of_passers_better() -> None:
    # Few passers: without their own group, k-means hands them to the camps they lean to.
    votes, truth = _with_passers(seed=0, n_passers=8)
    rng = np.random.default_rng(0)
    rows, cols = np.nonzero(~np.isnan(votes))
    hidden = rng.random(rows.size) < 0.1
    visible = votes.copy()
    visible[rows[hidden], cols[hidden]] = NAN

    def accuracy(labels: np.ndarray) -> float:
        right = []
        for r, c in zip(rows[hidden], cols[hidden], strict=True):
            if truth[r] != 2:
                continue
            peers = visible[labels == labels[r], c]
            peers = peers[~np.isnan(peers)]
            values, counts = np.unique(peers, return_counts=True)
            right.append(values[np.argmax(counts)] == votes[r, c])
        return float(np.mean(right))

    with_group = accuracy(opinion.OpinionGroups().fit(visible).labels_)
    without = accuracy(opinion.OpinionGroups(undecided_share=None).fit(visible).labels_)
    assert opinion.OpinionGroups(undecided_share=None).fit(visible).n_groups_ == 2
    assert with_group > 0.7 and without < 0.3


def test_statements_are_read_across_opinion_groups_only() -> None:
    votes, _ = _with_passers(seed=3)
    result = opinion.analyse_opinions(votes)
    assert result.undecided_group == 2 and result.n_groups == 3
    counts = opinion.group_votes(votes, result.labels, 3)
    two = opinion.GroupVotes(counts.agree[:2], counts.disagree[:2], counts.seen[:2])
    assert result.consensus == opinion.group_consensus(two)[:5]
    assert result.divisive == opinion.divisive_statements(two)[:5]
    assert result.representative[2] == []
    assert set(result.representative) == {0, 1, 2}


def test_everyone_mostly_passing_makes_one_undecided_group() -> None:
    votes = np.zeros((10, 8))
    votes[:, 0] = 1.0
    result = opinion.analyse_opinions(votes)
    assert (result.n_groups, result.undecided_group, result.group_sizes) == (1, 0, [10])
    assert result.consensus == [] and result.divisive == []


def test_imposed_groups_need_two_distinct_voters() -> None:
    alike = np.tile([1.0, -1.0, 1.0, 0.0, 1.0, -1.0, 1.0, 1.0], (10, 1))
    model = opinion.OpinionGroups(n_groups=3).fit(alike)
    assert model.n_groups_ == 1
    assert set(model.labels_) == {0}


# ------------------------------------------------------------------ reading the results


def test_one_opinion_group_besides_the_undecided_is_no_grouping() -> None:
    assert opinion.is_grouping(2, None)
    assert not opinion.is_grouping(2, 1)
    assert opinion.is_grouping(3, 2)
    assert not opinion.is_grouping(1, None)


def test_enough_for_groups_needs_participants_and_statements() -> None:
    assert opinion.enough_for_groups(opinion.MIN_PARTICIPANTS, opinion.MIN_STATEMENTS)
    assert not opinion.enough_for_groups(opinion.MIN_PARTICIPANTS - 1, 10)
    assert not opinion.enough_for_groups(100, opinion.MIN_STATEMENTS - 1)


def test_consensus_across_groups_needs_every_group_to_agree() -> None:
    assert opinion.agreed_by_every_group([0.9, 0.6])
    assert not opinion.agreed_by_every_group([0.9, 0.5])
    # A group that did not vote on it cannot be said to agree.
    assert not opinion.agreed_by_every_group([0.9, None])
    assert not opinion.agreed_by_every_group([])


def test_divisive_across_groups_needs_one_side_in_each() -> None:
    assert opinion.divides_groups([0.8, 0.2])
    assert opinion.divides_groups([0.8, None, 0.4])
    assert not opinion.divides_groups([0.8, 0.6])
    assert not opinion.divides_groups([None, None])


def test_statement_reading_of_plain_counts() -> None:
    assert opinion.statement_reading(8, 0, 0) == "consensus_agree"
    assert opinion.statement_reading(1, 8, 1) == "consensus_disagree"
    assert opinion.statement_reading(3, 3, 4) == "division"
    assert opinion.statement_reading(6, 2, 2) is None
    assert opinion.statement_reading(1, 0, 0) is None


def test_agree_shares_per_group_leave_unvoted_groups_out() -> None:
    counts = opinion.GroupVotes(
        agree=np.array([[2.0], [0.0]]),
        disagree=np.array([[2.0], [0.0]]),
        seen=np.array([[4.0], [0.0]]),
    )
    assert opinion.agree_shares(counts, 2, 0) == [0.5, None]
