"""Opinion groups by the method of Pol.is, as named pure steps over a vote matrix.

The vote matrix is participants x statements with ``+1`` agree, ``-1`` disagree, ``0`` pass
and ``NaN`` for a statement the participant never voted on. The steps and their Pol.is names:

1. ``in_conversation``: only participants with enough votes are clustered (Pol.is: at least
   7 votes, or every statement when there are fewer than 7).
2. ``impute_column_means``: a missing vote becomes the mean vote on that statement.
3. ``SparsityAwarePCA``: PCA on the imputed matrix of every participant; a participant is
   then projected from the votes they cast only, pushed out by ``sqrt(statements / votes)``
   so that people who voted little are not all pulled to the centre. The map shows the first
   two components, as Pol.is does.
4. ``OpinionGroups``: k-means into ``base_clusters`` small clusters (Pol.is: 100), then a
   k-means of their centres weighted by size for every k in 2..max_groups (Pol.is: 5, and at
   most ``2 + base clusters / 12``), keeping the k with the best silhouette.
5. ``representative_statements``, ``group_consensus`` and ``divisive_statements`` read the
   votes of each group, with Pol.is's pseudo-counts ``(n + 1) / (N + 2)``.

Pol.is smooths k over successive updates of a live conversation and starts k-means from the
previous run; a one-shot analysis has no previous run, so k is the silhouette's choice and
k-means is seeded by ``random_state``.

Two departures from Pol.is:

* The mostly undecided. Participants who passed on more than half of the statements they voted
  on (``mostly_passing``) are not spread over the opinion groups but form a group of their
  own, numbered last. A pass counts as 0 in the projection, like an absent opinion, so these
  participants sit near the centre of the map and k-means hands them to the nearest group,
  whose majority (agree or disagree) then describes their votes badly: on the Pol.is
  conversations of ``bench/eval_opinion.py``, for participants who passed on more than 60% of
  their votes, the group majority predicted 16-25% of their held-out votes and "pass" 75-87%.
  Their own group predicts those votes, keeps them from blurring the opinion groups'
  statements, and tells staff how many participants had no marked opinion. Consensus and
  divisive statements are read across the opinion groups only. ``undecided_share=None``
  turns this off.
* The clustering runs on ``max_groups - 1`` components (at least 2) rather than on the 2-D
  map. ``k`` groups with distinct opinions need ``k - 1`` dimensions to stand apart: on planted
  data, four or five camps merge in two dimensions and are all found in four.

Measured with ``bench/eval_opinion.py`` (each hidden vote predicted by the majority of the
voter's group, compared with Pol.is's own groups, which saw the hidden votes): as Pol.is, the
median accuracy gain was -0.0032 with a median adjusted Rand index of 0.713 against Pol.is's
groups; with the undecided group, +0.009 and 0.682. Other variants measured there (k-means
restarts, imputing by the participant's mean or by a low-rank fit, no sparsity scaling, a
silhouette over participants, reassigning participants by a vote likelihood, placing sparse
voters, other clusterers) did no better, so the remaining steps stay Pol.is's.

``n_groups`` imposes the number of groups. On those conversations the silhouette picks two
groups, as Pol.is mostly does; three to five imposed groups predict held-out votes better
(median gain +0.015 with 3 or 5) but match Pol.is's groups far less (median adjusted Rand
index about 0.2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

# One-sided 90% significance, the level Pol.is uses to call a statement representative.
Z_90 = 1.2816
# How many representative statements Pol.is shows per group.
REPRESENTATIVE_PER_GROUP = 5
# Below these, opinion groups say more about noise than about opinions.
MIN_PARTICIPANTS = 6
MIN_STATEMENTS = 2
# On the plain counts of one statement: a consensus when at least this share of its votes take
# one side (8/0/0: every voter agrees), a division when each side holds at least this share of
# the sides.
CONSENSUS_SHARE = 0.8
DIVISION_SHARE = 1 / 3


@dataclass(frozen=True)
class OpinionParams:
    """Options of the opinion-group analysis, with Pol.is's defaults.

    ``min_votes``: votes a participant needs to be clustered (capped at the number of
    statements). ``max_groups``: largest number of groups tried. ``n_groups``: a number of
    groups imposed instead of the silhouette's choice (``None``: chosen). ``base_clusters``:
    size of the first, fine k-means. ``random_state``: seed of k-means, for reproducible groups.
    ``undecided_share``: participants whose passes exceed this share of their votes form the
    undecided group (``None``: no such group, as in Pol.is). ``n_statements``: how many
    consensus and divisive statements to report.
    """

    min_votes: int = 7
    max_groups: int = 5
    n_groups: int | None = None
    undecided_share: float | None = 0.5
    base_clusters: int = 100
    random_state: int = 0
    n_statements: int = 5


# ------------------------------------------------------------------------ pure helpers


def _votes(votes: ArrayLike) -> NDArray[np.float64]:
    matrix = np.asarray(votes, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError("votes must be a 2-D array (participants x statements)")
    return matrix


def in_conversation(votes: ArrayLike, min_votes: int = 7) -> NDArray[np.bool_]:
    """Participants who voted on at least ``min(min_votes, number of statements)`` statements."""
    matrix = _votes(votes)
    needed: int = min(min_votes, matrix.shape[1])
    cast: NDArray[np.intp] = np.count_nonzero(~np.isnan(matrix), axis=1)
    return cast >= max(needed, 1)


def mostly_passing(votes: ArrayLike, share: float = 0.5) -> NDArray[np.bool_]:
    """Participants whose passes are more than ``share`` of the votes they cast."""
    matrix = _votes(votes)
    cast: NDArray[np.intp] = np.count_nonzero(~np.isnan(matrix), axis=1)
    passes: NDArray[np.intp] = np.count_nonzero(matrix == 0, axis=1)
    return passes > share * cast


def column_means(votes: ArrayLike) -> NDArray[np.float64]:
    """Mean of the votes cast on each statement (0 for a statement nobody voted on)."""
    matrix = _votes(votes)
    seen = ~np.isnan(matrix)
    totals = np.where(seen, matrix, 0.0).sum(axis=0)
    counts = seen.sum(axis=0)
    means: NDArray[np.float64] = np.divide(
        totals, counts, out=np.zeros(matrix.shape[1]), where=counts > 0
    )
    return means


def impute_column_means(votes: ArrayLike) -> NDArray[np.float64]:
    """Replace each missing vote by the mean vote on its statement, as Pol.is does."""
    matrix = _votes(votes)
    return np.where(np.isnan(matrix), column_means(matrix)[None, :], matrix)


# ---------------------------------------------------------------------------- estimators


class SparsityAwarePCA(TransformerMixin, BaseEstimator):
    """Pol.is's projection: PCA of the mean-imputed votes, then each participant projected
    from the votes they cast and scaled by ``sqrt(statements / votes cast)``."""

    def __init__(self, n_components: int = 2) -> None:
        self.n_components = n_components

    def fit(self, X: ArrayLike, y: object = None) -> SparsityAwarePCA:
        """Learn the centre (mean vote per statement) and the principal axes."""
        matrix = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        self.center_ = column_means(matrix)
        imputed = np.where(np.isnan(matrix), self.center_[None, :], matrix)
        n_components = max(1, min(self.n_components, *imputed.shape))
        # Votes all alike have no variance: their explained-variance ratio is 0/0, unused here.
        with np.errstate(invalid="ignore", divide="ignore"):
            pca = PCA(n_components=n_components, svd_solver="full").fit(imputed)
        components = np.zeros((self.n_components, matrix.shape[1]))
        components[:n_components] = pca.components_
        self.components_: NDArray[np.float64] = components
        return self

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """Project participants; missing votes add nothing, sparse voters are pushed out."""
        check_is_fitted(self)
        matrix: NDArray[np.float64] = validate_data(
            self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False
        )
        seen = ~np.isnan(matrix)
        deviation: NDArray[np.float64] = np.where(seen, matrix - self.center_[None, :], 0.0)
        statements: int = matrix.shape[1]
        voted: NDArray[np.intp] = seen.sum(axis=1)
        scale: NDArray[np.float64] = np.sqrt(statements / np.maximum(voted, 1))
        return (deviation @ self.components_.T) * scale[:, None]


class OpinionGroups(ClusterMixin, BaseEstimator):
    """Opinion groups of a vote matrix, Pol.is style.

    ``reducer`` (default: ``SparsityAwarePCA`` with ``max(2, max_groups - 1)`` components,
    or ``n_groups - 1`` when more) gives the space where participants are clustered; its first
    two columns are the map. ``n_groups`` imposes the number of groups (at most one less than
    the base clusters) instead of the silhouette's choice among ``2..max_groups``.

    ``undecided_share`` (``None`` to disable): participants in the conversation whose passes
    exceed that share of their votes are left out of the clustering and form the last group.

    After ``fit``: ``labels_`` (group per participant, ``-1`` when not clustered; opinion groups
    are numbered by decreasing size, the undecided group comes last), ``n_groups_`` (the
    undecided group included), ``undecided_group_`` (its number, or ``None`` when there is none),
    ``projection_`` (every participant in the
    clustering space), ``coords_`` (2-D position of every participant), ``in_conversation_``,
    ``base_labels_`` and ``silhouettes_`` (score per k).
    """

    def __init__(
        self,
        min_votes: int = 7,
        max_groups: int = 5,
        base_clusters: int = 100,
        random_state: int | None = 0,
        reducer: TransformerMixin | None = None,
        n_groups: int | None = None,
        undecided_share: float | None = 0.5,
    ) -> None:
        self.min_votes = min_votes
        self.max_groups = max_groups
        self.n_groups = n_groups
        self.undecided_share = undecided_share
        self.base_clusters = base_clusters
        self.random_state = random_state
        self.reducer = reducer

    def fit(self, X: ArrayLike, y: object = None) -> OpinionGroups:
        """Find the groups; ``X`` is the vote matrix (``NaN`` = not voted)."""
        matrix = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        reducer = self.reducer
        if self.n_groups is not None and self.n_groups < 2:
            raise ValueError("n_groups must be at least 2")
        if reducer is None:
            widest = max(self.max_groups, self.n_groups or 0)
            reducer = SparsityAwarePCA(n_components=max(2, widest - 1))
        self.reducer_ = reducer.fit(matrix)
        self.projection_ = np.asarray(self.reducer_.transform(matrix), dtype=np.float64)
        self.coords_ = self.projection_[:, :2]
        self.in_conversation_ = in_conversation(matrix, self.min_votes)
        undecided = np.zeros(matrix.shape[0], dtype=bool)
        if self.undecided_share is not None:
            undecided = self.in_conversation_ & mostly_passing(matrix, self.undecided_share)
        clustered = self.in_conversation_ & ~undecided
        points = self.projection_[clustered]
        labels = np.full(matrix.shape[0], -1, dtype=np.int64)
        base = np.full(matrix.shape[0], -1, dtype=np.int64)
        self.silhouettes_: dict[int, float] = {}
        n_opinion = 0
        if points.shape[0]:
            base_labels, centers, weights = self._base_clusters(points)
            groups, self.silhouettes_ = self._group_clusters(centers, weights)
            # Number groups by decreasing size so that results read the same from run to run.
            member_counts = np.bincount(groups[base_labels], minlength=groups.max() + 1)
            rank = np.empty_like(member_counts)
            rank[np.argsort(-member_counts, kind="stable")] = np.arange(member_counts.size)
            labels[clustered] = rank[groups[base_labels]]
            base[clustered] = base_labels
            n_opinion = int(member_counts.size)
        self.undecided_group_ = n_opinion if undecided.any() else None
        labels[undecided] = n_opinion
        self.labels_ = labels
        self.base_labels_ = base
        self.undecided_ = undecided
        self.n_groups_ = n_opinion + int(undecided.any())
        return self

    def _base_clusters(
        self, points: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
        if points.shape[0] == 0:
            return np.zeros(0, dtype=np.int64), np.zeros((0, points.shape[1])), np.zeros(0)
        distinct = np.unique(points, axis=0).shape[0]
        k = max(1, min(self.base_clusters, distinct))
        model = KMeans(n_clusters=k, n_init=1, random_state=self.random_state).fit(points)
        labels = model.labels_.astype(np.int64)
        weights = np.bincount(labels, minlength=k).astype(np.float64)
        return labels, model.cluster_centers_, weights

    def _group_clusters(
        self, centers: NDArray[np.float64], weights: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], dict[int, float]]:
        n_base = centers.shape[0]
        if self.n_groups is None:
            tried = range(2, min(self.max_groups, 2 + n_base // 12, n_base - 1) + 1)
        else:
            # As many as asked, when the distinct points allow at least two groups.
            k = min(self.n_groups, n_base - 1)
            tried = range(k, k + 1) if k >= 2 else range(0)
        silhouettes: dict[int, float] = {}
        best: NDArray[np.int64] = np.zeros(n_base, dtype=np.int64)
        best_score = -np.inf
        for k in tried:
            model = KMeans(n_clusters=k, n_init=10, random_state=self.random_state)
            labels = model.fit(centers, sample_weight=weights).labels_.astype(np.int64)
            if np.unique(labels).size < 2:
                continue
            score = float(silhouette_score(centers, labels))
            silhouettes[k] = score
            if score > best_score:
                best, best_score = labels, score
        _, best = np.unique(best, return_inverse=True)
        return best.astype(np.int64), silhouettes


# ------------------------------------------------------------------ statements per group


@dataclass(frozen=True)
class GroupVotes:
    """Per group and statement: agrees, disagrees and votes cast (passes included)."""

    agree: NDArray[np.int64]
    disagree: NDArray[np.int64]
    seen: NDArray[np.int64]


def group_votes(votes: ArrayLike, labels: ArrayLike, n_groups: int) -> GroupVotes:
    """Count the votes of each group's members (participants labelled ``-1`` are left out)."""
    matrix = _votes(votes)
    label_array = np.asarray(labels, dtype=np.int64)
    one_hot = (label_array[None, :] == np.arange(n_groups)[:, None]).astype(np.int64)
    return GroupVotes(
        agree=one_hot @ (matrix == 1).astype(np.int64),
        disagree=one_hot @ (matrix == -1).astype(np.int64),
        seen=one_hot @ (~np.isnan(matrix)).astype(np.int64),
    )


def proportion_test(successes: ArrayLike, trials: ArrayLike) -> NDArray[np.float64]:
    """Pol.is's z-score that a proportion exceeds 1/2, with one pseudo-count."""
    s = np.asarray(successes, dtype=np.float64) + 1
    n = np.asarray(trials, dtype=np.float64) + 1
    return 2 * np.sqrt(n) * (s / n - 0.5)


def two_proportion_test(
    successes_in: ArrayLike, successes_out: ArrayLike, trials_in: ArrayLike, trials_out: ArrayLike
) -> NDArray[np.float64]:
    """Pol.is's z-score that the in-group proportion exceeds the out-group one (pseudo-counts)."""
    s1 = np.asarray(successes_in, dtype=np.float64) + 1
    s2 = np.asarray(successes_out, dtype=np.float64) + 1
    n1 = np.asarray(trials_in, dtype=np.float64) + 1
    n2 = np.asarray(trials_out, dtype=np.float64) + 1
    pooled = (s1 + s2) / (n1 + n2)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (s1 / n1 - s2 / n2) / spread
    return np.where(spread > 0, z, 0.0)


@dataclass(frozen=True)
class RepresentativeStatement:
    """A statement that sets a group apart, for agreement or for disagreement.

    ``probability``: share of the group voting that way (pseudo-counted); ``ratio``: that share
    over the rest's; ``z_probability`` and ``z_ratio``: the two significance tests.
    """

    statement: int
    group: int
    direction: str
    successes: int
    trials: int
    probability: float
    z_probability: float
    ratio: float
    z_ratio: float

    @property
    def score(self) -> float:
        """Pol.is's ordering metric: ratio x z_ratio x probability x z_probability."""
        return self.ratio * self.z_ratio * self.probability * self.z_probability


def representative_statements(
    counts: GroupVotes, per_group: int = REPRESENTATIVE_PER_GROUP
) -> dict[int, list[RepresentativeStatement]]:
    """Pol.is's repness: per group, the statements where it differs significantly from the rest.

    A statement qualifies when both its probability test and its in-vs-out test pass at 90%
    for agreement or for disagreement; qualifying statements are sorted by ``score``, agreements
    listed first. A group with no qualifying statement gets its best one by the in-vs-out test.
    """
    a, d, s = counts.agree, counts.disagree, counts.seen
    a_out, d_out, s_out = a.sum(0) - a, d.sum(0) - d, s.sum(0) - s
    pa, pd = (a + 1) / (s + 2), (d + 1) / (s + 2)
    stats = {
        "agree": (
            a,
            pa,
            proportion_test(a, s),
            pa / ((a_out + 1) / (s_out + 2)),
            two_proportion_test(a, a_out, s, s_out),
        ),
        "disagree": (
            d,
            pd,
            proportion_test(d, s),
            pd / ((d_out + 1) / (s_out + 2)),
            two_proportion_test(d, d_out, s, s_out),
        ),
    }
    result: dict[int, list[RepresentativeStatement]] = {}
    for g in range(a.shape[0]):
        candidates: list[RepresentativeStatement] = []
        fallback: RepresentativeStatement | None = None
        for j in range(a.shape[1]):
            if s[g, j] == 0:
                continue
            agree_side = stats["agree"][4][g, j] > stats["disagree"][4][g, j]
            direction = "agree" if agree_side else "disagree"
            n, p, zp, r, zr = (values[g, j] for values in stats[direction])
            statement = RepresentativeStatement(
                statement=j,
                group=g,
                direction=direction,
                successes=int(n),
                trials=int(s[g, j]),
                probability=float(p),
                z_probability=float(zp),
                ratio=float(r),
                z_ratio=float(zr),
            )
            if any(
                stats[side][2][g, j] > Z_90 and stats[side][4][g, j] > Z_90
                for side in ("agree", "disagree")
            ):
                candidates.append(statement)
            elif fallback is None or statement.z_ratio > fallback.z_ratio:
                fallback = statement
        candidates.sort(key=lambda c: -c.score)
        chosen = candidates[:per_group] or ([fallback] if fallback else [])
        chosen.sort(key=lambda c: c.direction != "agree")
        result[g] = chosen
    return result


@dataclass(frozen=True)
class ConsensusStatement:
    """Group-informed consensus: product over groups of ``(agree + 1) / (votes + 2)``
    (and the same for disagreement)."""

    statement: int
    agree: float
    disagree: float


def group_consensus(counts: GroupVotes) -> list[ConsensusStatement]:
    """Every statement with its group-informed consensus, most agreed across groups first
    (none without a group)."""
    if counts.agree.shape[0] == 0:
        return []
    seen = counts.seen + 2.0
    agree = np.prod((counts.agree + 1) / seen, axis=0)
    disagree = np.prod((counts.disagree + 1) / seen, axis=0)
    order = np.lexsort((np.arange(agree.size), -agree))
    return [
        ConsensusStatement(statement=int(j), agree=float(agree[j]), disagree=float(disagree[j]))
        for j in order
    ]


@dataclass(frozen=True)
class DivisiveStatement:
    """A statement on which groups disagree: ``spread`` is the gap between the most and the
    least favourable group's net agreement ``(agree - disagree) / (votes + 2)``."""

    statement: int
    spread: float
    most_for: int
    most_against: int
    net_agreement: list[float] = field(default_factory=list)


def divisive_statements(counts: GroupVotes) -> list[DivisiveStatement]:
    """Every statement, the most divisive between groups first."""
    net = (counts.agree - counts.disagree) / (counts.seen + 2.0)
    if net.shape[0] == 0:
        return []
    spread = net.max(axis=0) - net.min(axis=0)
    order = np.lexsort((np.arange(spread.size), -spread))
    return [
        DivisiveStatement(
            statement=int(j),
            spread=float(spread[j]),
            most_for=int(np.argmax(net[:, j])),
            most_against=int(np.argmin(net[:, j])),
            net_agreement=net[:, j].tolist(),
        )
        for j in order
    ]


# ------------------------------------------------------------------------------ pipeline


@dataclass(frozen=True)
class OpinionAnalysis:
    """Everything the results page shows: groups, map, and statements per group."""

    labels: NDArray[np.int64]
    coords: NDArray[np.float64]
    in_conversation: NDArray[np.bool_]
    n_groups: int
    group_sizes: list[int]
    silhouettes: dict[int, float]
    counts: GroupVotes
    representative: dict[int, list[RepresentativeStatement]]
    consensus: list[ConsensusStatement]
    divisive: list[DivisiveStatement]
    undecided_group: int | None = None


def analyse_opinions(votes: ArrayLike, params: OpinionParams | None = None) -> OpinionAnalysis:
    """Run the whole Pol.is pipeline on a vote matrix (statement indices are column indices)."""
    params = params or OpinionParams()
    matrix = check_array(_votes(votes), ensure_all_finite="allow-nan", ensure_min_samples=1)
    model = OpinionGroups(
        min_votes=params.min_votes,
        max_groups=params.max_groups,
        base_clusters=params.base_clusters,
        random_state=params.random_state,
        n_groups=params.n_groups,
        undecided_share=params.undecided_share,
    ).fit(matrix)
    counts = group_votes(matrix, model.labels_, model.n_groups_)
    sizes = np.bincount(model.labels_[model.labels_ >= 0], minlength=model.n_groups_)
    # Statements are read across the opinion groups: the undecided group has none of its own.
    opinion_groups = model.n_groups_ - int(model.undecided_group_ is not None)
    opinion_counts = GroupVotes(
        agree=counts.agree[:opinion_groups],
        disagree=counts.disagree[:opinion_groups],
        seen=counts.seen[:opinion_groups],
    )
    representative = representative_statements(opinion_counts)
    if model.undecided_group_ is not None:
        representative[model.undecided_group_] = []
    return OpinionAnalysis(
        labels=model.labels_,
        coords=model.coords_,
        in_conversation=model.in_conversation_,
        n_groups=model.n_groups_,
        group_sizes=sizes.tolist(),
        silhouettes=model.silhouettes_,
        counts=counts,
        representative=representative,
        consensus=group_consensus(opinion_counts)[: params.n_statements],
        divisive=divisive_statements(opinion_counts)[: params.n_statements],
        undecided_group=model.undecided_group_,
    )


# ------------------------------------------------------------------ reading the results


def enough_for_groups(participants: int, statements: int) -> bool:
    """Whether a vote matrix is large enough for opinion groups to mean something."""
    return participants >= MIN_PARTICIPANTS and statements >= MIN_STATEMENTS


def opinion_group_count(n_groups: int, undecided_group: int | None) -> int:
    """The groups that hold an opinion: every group but the mostly undecided."""
    return n_groups - int(undecided_group is not None)


def is_grouping(n_groups: int, undecided_group: int | None) -> bool:
    """One opinion group is no grouping: at least two are needed to show any."""
    return opinion_group_count(n_groups, undecided_group) >= 2


def agree_shares(counts: GroupVotes, groups: int, statement: int) -> list[float | None]:
    """Share of each of the first ``groups`` groups' votes on ``statement`` that agree
    (``None``: that group did not vote on it)."""
    return [
        float(counts.agree[g, statement] / counts.seen[g, statement])
        if counts.seen[g, statement]
        else None
        for g in range(groups)
    ]


def agreed_by_every_group(shares: Sequence[float | None]) -> bool:
    """A consensus across groups: every opinion group voted and most of each agreed."""
    voted = [s for s in shares if s is not None]
    return bool(voted) and len(voted) == len(shares) and min(voted) > 0.5


def divides_groups(shares: Sequence[float | None]) -> bool:
    """Divisive across groups: most of some group agreed, most of another did not."""
    voted = [s for s in shares if s is not None]
    return bool(voted) and max(voted) > 0.5 > min(voted)


def statement_reading(agree: int, disagree: int, passed: int) -> str | None:
    """What one statement's own counts say, groups aside: ``consensus_agree``,
    ``consensus_disagree``, ``division`` or ``None`` (nothing to point out)."""
    total, sides = agree + disagree + passed, agree + disagree
    if total < 2:
        return None
    if agree >= CONSENSUS_SHARE * total:
        return "consensus_agree"
    if disagree >= CONSENSUS_SHARE * total:
        return "consensus_disagree"
    if sides >= 2 and min(agree, disagree) >= DIVISION_SHARE * sides:
        return "division"
    return None
