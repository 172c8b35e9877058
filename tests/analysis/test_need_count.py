"""The count of groups chosen by ``GapKMeans``'s standard-error rule, as used for needs."""

import numpy as np
import pytest

from analysis.grouping import GapKMeans


def _blobs(planted: int, seed: int = 0, width: int = 20) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = 6.0 * rng.normal(size=(planted, width))
    return np.vstack([rng.normal(centre, 1.0, size=(30, width)) for centre in centres])


@pytest.mark.parametrize("planted", [2, 3, 4, 6])
def test_gap_kmeans_rule_chooses_the_planted_count_not_a_bound(planted):
    model = GapKMeans(min_clusters=1, max_clusters=10, n_standard_errors=2.0, score_components=20)
    model.fit(_blobs(planted))
    assert model.n_clusters_ == planted
    assert model.n_clusters_ != 10


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gap_kmeans_rule_keeps_one_group_without_structure(seed):
    X = np.random.default_rng(seed).normal(size=(150, 20))
    model = GapKMeans(min_clusters=1, max_clusters=8, n_standard_errors=2.0, score_components=20)
    assert model.fit(X).n_clusters_ == 1


def test_gap_kmeans_rule_keeps_the_fewest_groups_within_the_margin_of_the_best():
    # A continuum of mixtures, like answers inside a theme: the excess over the null
    # creeps up with k and its argmax sits on the ceiling; the rule stops below it.
    X = np.random.default_rng(0).dirichlet(np.full(12, 0.3), size=200)
    argmax = GapKMeans(min_clusters=2, max_clusters=8, n_standard_errors=0.0).fit(X)
    rule = GapKMeans(min_clusters=2, max_clusters=8, n_standard_errors=2.0).fit(X)
    assert argmax.n_clusters_ == max(argmax.scores_, key=argmax.scores_.get)
    best = argmax.n_clusters_
    floor = rule.scores_[best] - 2.0 * rule.standard_errors_[best]
    assert rule.scores_[rule.n_clusters_] >= floor
    assert all(rule.scores_[k] < floor for k in rule.scores_ if k < rule.n_clusters_)
    assert rule.n_clusters_ < argmax.n_clusters_ == 8


def test_gap_kmeans_forced_count_ignores_the_rule():
    model = GapKMeans(n_clusters=5, n_standard_errors=2.0).fit(_blobs(2))
    assert model.n_clusters_ == 5
    assert len(np.unique(model.labels_)) == 5
