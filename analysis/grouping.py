"""Stages that group answers by meaning: features, themes guided by a vocabulary, needs.

* ``MeaningVectorizer``: segmented answers to one dense row each, the SIF word-vector
  block (``analysis.embedding``) side by side with a lemma and character TF-IDF block
  reduced by LSA; each block L2-normalised, the whole row too.
* ``GapKMeans``: k-means whose number of clusters is the fewest that beat chance about as
  well as the best: the silhouette of k clusters on the data minus the silhouette of k
  clusters on the same data with each column shuffled on its own (a null with the same
  spread and no structure), and of the counts within a few standard errors of the best
  excess, the smallest (the one-standard-error rule of the gap statistic). Inside a theme
  the excess keeps creeping up with k, so its argmax sat on the ceiling.
* ``GuidedThemes``: answers close enough to a theme of the vocabulary join it; the others
  are grouped by ``GapKMeans`` into themes of their own. The vocabulary is used only when
  most answers are close to one of its themes (``min_fit``): a survey on something else
  is grouped from its own answers. The themes found are then merged down to the count
  the same criterion prefers: a vocabulary finer than the survey does not impose its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin, clone
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import pairwise_distances_argmin, silhouette_samples, silhouette_score
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted, validate_data

from analysis.embedding import CommonComponentRemover, SegmentedAnswers
from analysis.estimators import ChosenKMeans

UNGROUPED = -1


def answer_rows(segmented: SegmentedAnswers) -> tuple[np.ndarray, list[str]]:
    """Per answer: the sum of its segments' SIF vectors and its lemmas joined by spaces."""
    owned = segmented.of_answer()
    vectors = np.zeros((len(owned), segmented.vectors.shape[1]), dtype=np.float64)
    docs = []
    for i, positions in enumerate(owned):
        if positions:
            vectors[i] = segmented.vectors[positions].sum(axis=0)
        docs.append(" ".join(lemma for p in positions for lemma in segmented.segments[p].lemmas))
    return vectors, docs


class MeaningVectorizer(TransformerMixin, BaseEstimator):
    """Word-vector meaning and lemma wording of each row, in one dense normalised matrix.

    ``fit``/``transform`` take ``(vectors, docs)`` pairs as built by ``answer_rows``:
    ``vectors`` the raw SIF sums, ``docs`` the lemmas. ``lsa_components`` sizes the
    wording block; ``wording_weight`` scales it against the meaning block (0 drops it).
    """

    def __init__(
        self,
        lsa_components: int = 50,
        wording_weight: float = 1.0,
        char_weight: float = 0.5,
        random_state: int | None = 0,
    ) -> None:
        self.lsa_components = lsa_components
        self.wording_weight = wording_weight
        self.char_weight = char_weight
        self.random_state = random_state

    def fit(self, X: tuple[np.ndarray, Sequence[str]], y: object = None) -> MeaningVectorizer:
        self.fit_transform(X)
        return self

    def fit_transform(
        self, X: tuple[np.ndarray, Sequence[str]], y: object = None, **_: object
    ) -> np.ndarray:
        vectors, docs = X
        self.remover_ = CommonComponentRemover(1).fit(vectors)
        self.words_ = self.chars_ = self.svd_ = None
        wording = None
        if self.wording_weight > 0 and any(docs):
            self.words_ = TfidfVectorizer(
                tokenizer=str.split, token_pattern=None, lowercase=False, sublinear_tf=True
            )
            blocks = [self.words_.fit_transform(docs)]
            try:
                self.chars_ = TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2
                )
                blocks.append(self.char_weight * self.chars_.fit_transform(docs))
            except ValueError:
                self.chars_ = None
            wording = sparse.hstack(blocks, format="csr")
            k = min(self.lsa_components, min(wording.shape) - 1)
            if k >= 1:
                self.svd_ = TruncatedSVD(k, random_state=self.random_state).fit(wording)
        return self._rows(vectors, wording)

    def _wording(self, docs: Sequence[str]) -> sparse.csr_matrix:
        # Each distinct text is analysed once: short answers repeat ("bus", "médecin").
        distinct, inverse = np.unique(np.asarray(docs, dtype=object), return_inverse=True)
        # The SVD is fitted only after the words are: transform reaches here with both.
        assert self.words_ is not None
        blocks = [self.words_.transform(distinct)]
        if self.chars_ is not None:
            blocks.append(self.char_weight * self.chars_.transform(distinct))
        wording: sparse.csr_matrix = sparse.hstack(blocks, format="csr")[inverse.ravel()]
        return wording

    def _rows(self, vectors: np.ndarray, wording: sparse.csr_matrix | None) -> np.ndarray:
        blocks = [self.remover_.transform(vectors)]
        if self.svd_ is not None and wording is not None:
            blocks.append(self.wording_weight * normalize(self.svd_.transform(wording)))
        rows: NDArray[np.float64] = normalize(np.hstack(blocks))
        return rows

    def transform(self, X: tuple[np.ndarray, Sequence[str]]) -> np.ndarray:
        check_is_fitted(self, "remover_")
        vectors, docs = X
        wording = self._wording(docs) if self.svd_ is not None else None
        return self._rows(vectors, wording)

    @property
    def meaning_width(self) -> int:
        """Columns of the meaning block (where the vocabulary's seeds live)."""
        check_is_fitted(self, "remover_")
        return int(self.remover_.n_features_in_)


def _shuffled(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.column_stack([rng.permutation(X[:, j]) for j in range(X.shape[1])])


class GapKMeans(ChosenKMeans, ClusterMixin, BaseEstimator):
    """K-means with k chosen by the silhouette's excess over a shuffled null.

    Candidates run from ``min_clusters`` to ``max_clusters``; scores are computed on at
    most ``sample_size`` rows projected on ``score_components`` SVD directions (where the
    silhouette is less flattened by dimension). The excess of the best candidate has a
    standard error (from the spread of the rows' silhouettes, on the data and on the
    null); the count kept is the smallest whose excess is within ``n_standard_errors`` of
    the best (0: the best itself). ``min_clusters=1`` puts "one group" among the
    candidates with the excess ``min_gap``. ``scores_`` keeps each candidate's excess,
    ``standard_errors_`` their standard errors.
    """

    def __init__(
        self,
        n_clusters: int | None = None,
        min_clusters: int = 2,
        max_clusters: int = 12,
        min_gap: float = 0.0,
        n_standard_errors: float = 0.0,
        score_components: int = 10,
        sample_size: int = 2000,
        n_init: int = 3,
        random_state: int | None = 0,
    ) -> None:
        self.n_clusters = n_clusters
        self.min_clusters = min_clusters
        self.max_clusters = max_clusters
        self.min_gap = min_gap
        self.n_standard_errors = n_standard_errors
        self.score_components = score_components
        self.sample_size = sample_size
        self.n_init = n_init
        self.random_state = random_state

    def _choose_k(self, X: np.ndarray) -> int:
        n = X.shape[0]
        distinct: int = np.unique(X, axis=0).shape[0]
        high = min(self.max_clusters, distinct - 1, n // 2)
        low = max(1, self.min_clusters)
        if high < max(2, low):
            return max(1, min(low, distinct))
        rng = np.random.default_rng(self.random_state)
        sample = X if n <= self.sample_size else X[rng.choice(n, self.sample_size, replace=False)]
        width = min(self.score_components, sample.shape[1] - 1, sample.shape[0] - 1)
        if width >= 2:
            sample = TruncatedSVD(width, random_state=self.random_state).fit_transform(sample)
        null = _shuffled(sample, rng)
        self.standard_errors_: dict[int, float] = {}
        # "One group" scores min_gap, known exactly: k must beat it by its own error.
        candidates = {1: (self.min_gap, 0.0)} if low <= 1 else {}
        for k in range(max(2, low), high + 1):
            labels = KMeans(k, n_init=self.n_init, random_state=self.random_state).fit_predict(
                sample
            )
            null_labels = KMeans(k, n_init=self.n_init, random_state=self.random_state).fit_predict(
                null
            )
            if len(np.unique(labels)) < 2 or len(np.unique(null_labels)) < 2:
                continue
            on_data = silhouette_samples(sample, labels)
            on_null = silhouette_samples(null, null_labels)
            gap = float(on_data.mean() - on_null.mean())
            error = float(np.sqrt(on_data.var() / len(on_data) + on_null.var() / len(on_null)))
            self.scores_[k] = gap
            self.standard_errors_[k] = error
            candidates[k] = (gap, error)
        if not candidates:
            return max(2, low)
        best = max(candidates, key=lambda k: (candidates[k][0], -k))
        floor = candidates[best][0] - self.n_standard_errors * candidates[best][1]
        return min(k for k, (gap, _) in candidates.items() if gap >= floor)

    def predict(self, X: object) -> np.ndarray:
        check_is_fitted(self, "cluster_centers_")
        data: NDArray[np.floating[Any]] = validate_data(
            self, X, dtype=[np.float64, np.float32], reset=False
        )
        nearest: NDArray[np.intp] = pairwise_distances_argmin(data, self.cluster_centers_)
        return nearest.astype(np.int64)


class GuidedThemes(ClusterMixin, BaseEstimator):
    """Themes: vocabulary themes where answers fit them, groups of their own elsewhere.

    ``seeds`` holds one row per vocabulary theme in the space of ``X`` (zeros where a
    block has no seed). A row joins the seed it is most similar to when the cosine is at
    least ``threshold``; the vocabulary is used at all only when a share ``min_fit`` of the
    rows qualify, and a theme keeps its rows only with ``min_size`` of them. Rows left over
    go to ``free`` (default ``GapKMeans(min_clusters=1)``). ``n_clusters`` forces the
    number of themes (the vocabulary then only seeds k-means). After ``fit``:
    ``labels_`` (themes numbered from 0), ``seed_of_`` (the vocabulary position of each
    theme, -1 for a theme of its own), ``cluster_centers_``, ``fit_share_``.

    ``terms`` (one row per seed term, same space) with ``term_theme`` (the theme of each
    term) refine where a fitting row goes: its similarity to a theme is then the mean of
    its ``top_terms`` most similar terms of that theme. A theme's mean blurs its terms
    ("crèche" and "adolescent" average out); its nearest few terms keep what the answer is
    about. Whether the vocabulary fits at all is still read from ``seeds``.

    ``refine`` (0: off) moves each fitting row once more, to the theme that scores best
    on ``(1 - refine)`` times its similarity to the seeds plus ``refine`` times its
    similarity to the centre of the rows the seeds gave that theme: one step of k-means
    started from the vocabulary, so a theme also takes in how this survey's residents
    speak of it.

    ``merge`` then lets the answers choose how many themes they hold: the themes found
    (the vocabulary's and those of their own) are merged two closest at a time, and the
    count kept is the one whose silhouette most beats k-means on shuffled rows, scored
    on ``score_components`` SVD directions of at most ``sample_size`` rows, never below
    ``min_themes`` (the silhouette favours two groups, and two themes tell staff nothing
    the vocabulary did not). ``scores_``
    keeps each count's score (the free ``GapKMeans``'s when the vocabulary was not used);
    ``absorbed_`` maps each theme to the themes merged into it with the rows each brought of
    its own; ``also_seeds_`` per theme the other vocabulary themes it took in that brought a
    quarter of its rows or more, largest first (its name says them too).
    """

    def __init__(
        self,
        seeds: np.ndarray | None = None,
        terms: np.ndarray | None = None,
        term_theme: np.ndarray | None = None,
        top_terms: int = 3,
        refine: float = 0.5,
        threshold: float = 0.14,
        min_fit: float = 0.7,
        min_size: int = 2,
        free: ClusterMixin | None = None,
        n_clusters: int | None = None,
        merge: bool = True,
        min_themes: int = 5,
        score_components: int = 20,
        sample_size: int = 2000,
        random_state: int | None = 0,
    ) -> None:
        self.seeds = seeds
        self.terms = terms
        self.term_theme = term_theme
        self.top_terms = top_terms
        self.refine = refine
        self.threshold = threshold
        self.min_fit = min_fit
        self.min_size = min_size
        self.free = free
        self.n_clusters = n_clusters
        self.merge = merge
        self.min_themes = min_themes
        self.score_components = score_components
        self.sample_size = sample_size
        self.random_state = random_state

    def fit(self, X: object, y: object = None) -> GuidedThemes:
        data: NDArray[np.floating[Any]] = validate_data(self, X, dtype=[np.float64, np.float32])
        n = data.shape[0]
        seeds = None if self.seeds is None or not len(self.seeds) else normalize(self.seeds)
        labels = np.full(n, UNGROUPED, dtype=np.int64)
        self.fit_share_ = 0.0
        self.scores_: dict[int, float] = {}
        self.absorbed_: dict[int, list[tuple[int, int]]] = {}
        if seeds is not None:
            similarity = normalize(data) @ seeds.T
            best = similarity.max(axis=1)
            self.fit_share_ = float((best >= self.threshold).mean()) if n else 0.0
            if self.fit_share_ >= self.min_fit or self.n_clusters is not None:
                if self.terms is not None and self.term_theme is not None and len(self.terms):
                    similarity = self._term_similarity(normalize(data), len(seeds))
                    best = similarity.max(axis=1)
                fitted = best >= self.threshold
                labels[fitted] = similarity[fitted].argmax(axis=1)
                for theme in range(len(seeds)):
                    if (labels == theme).sum() < max(self.min_size, 1):
                        labels[labels == theme] = UNGROUPED
                if self.refine > 0:
                    labels = _refined(normalize(data), labels, similarity, self.refine)
                labels = _second_pass(normalize(data), labels)
        if self.n_clusters is not None:
            labels = self._forced(data, labels, int(self.n_clusters))
        else:
            left = np.flatnonzero(labels == UNGROUPED)
            offset = len(seeds) if seeds is not None else 0
            guided = bool(offset and np.any(labels >= 0))
            if len(left) >= 2:
                # Beside the vocabulary's themes, a theme of one's own must be sizeable.
                free = (
                    self.free
                    if self.free is not None
                    else GapKMeans(
                        min_clusters=1 if guided else 2,
                        max_clusters=max(1, len(left) // 15) if guided else 12,
                        random_state=self.random_state,
                    )
                )
                model = clone(free)
                sub = np.asarray(model.fit_predict(data[left]))
                labels[left] = np.where(sub >= 0, sub + offset, UNGROUPED)
                if not guided:
                    self.scores_ = dict(getattr(model, "scores_", {}))
            elif len(left) == 1 and not np.any(labels >= 0):
                labels[left] = offset
            if guided and self.merge:
                labels = self._merged(data, labels)
        kept = sorted(int(c) for c in np.unique(labels) if c >= 0)
        mapping = {c: i for i, c in enumerate(kept)}
        self.labels_ = np.array([mapping.get(int(c), UNGROUPED) for c in labels], dtype=np.int64)
        n_seeds = len(seeds) if seeds is not None else 0
        self.seed_of_ = np.array([c if c < n_seeds else -1 for c in kept], dtype=np.int64)
        # A vocabulary theme that took in a sizeable other one (a quarter of its rows or
        # more) is named after both: "Démarches" holding the job needs would mislead.
        self.also_seeds_ = [
            [
                b
                for b, rows in sorted(self.absorbed_.get(c, []), key=lambda m: (-m[1], m[0]))
                if c < n_seeds and b < n_seeds and rows >= 0.25 * (self.labels_ == i).sum()
            ]
            for i, c in enumerate(kept)
        ]
        self.cluster_centers_ = np.array(
            [data[self.labels_ == i].mean(axis=0) for i in range(len(kept))]
        ).reshape(len(kept), data.shape[1])
        return self

    def _merged(self, X: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """The vocabulary's themes and those of their own, merged two closest at a time
        down to two; the count kept is the one whose silhouette most beats k-means on
        the shuffled null (``GapKMeans``'s criterion), so a vocabulary of 13 themes does
        not make 13 themes of a survey that speaks of fewer."""
        grouped = np.flatnonzero(labels >= 0)
        if len(np.unique(labels[grouped])) <= max(2, self.min_themes):
            return labels
        rng = np.random.default_rng(self.random_state)
        if len(grouped) > self.sample_size:
            grouped = np.sort(rng.choice(grouped, self.sample_size, replace=False))
        sample = X[grouped]
        width = min(self.score_components, sample.shape[1] - 1, sample.shape[0] - 1)
        if width >= 2:
            sample = TruncatedSVD(width, random_state=self.random_state).fit_transform(sample)
        null = _shuffled(sample, rng)
        unit = normalize(X)
        current, best, best_score = labels.copy(), labels, -np.inf
        # Per theme, the themes merged into it with the rows each brought, in merge order.
        absorbed: dict[int, list[tuple[int, int]]] = {}
        while True:
            present = sorted(int(c) for c in np.unique(current) if c >= 0)
            k = len(present)
            if k < max(2, self.min_themes):
                break
            scored = current[grouped]
            if len(np.unique(scored[scored >= 0])) >= 2:
                null_labels = KMeans(k, n_init=3, random_state=self.random_state).fit_predict(null)
                mask = scored >= 0
                gap = float(
                    silhouette_score(sample[mask], scored[mask])
                    - silhouette_score(null, null_labels)
                )
                self.scores_[k] = gap
                if gap > best_score:
                    best, best_score = current.copy(), gap
                    self.absorbed_ = {c: list(m) for c, m in absorbed.items()}
            centres = normalize(np.array([unit[current == c].mean(axis=0) for c in present]))
            closeness = centres @ centres.T
            np.fill_diagonal(closeness, -np.inf)
            i, j = np.unravel_index(int(closeness.argmax()), closeness.shape)
            a, b = present[int(i)], present[int(j)]
            # The smaller theme joins the larger, which keeps its number and its name.
            if (current == a).sum() < (current == b).sum():
                a, b = b, a
            # What b brought of its own: its rows less those it had taken in before.
            taken = absorbed.pop(b, [])
            own = int((current == b).sum()) - sum(rows for _, rows in taken)
            absorbed.setdefault(a, []).extend([(b, own), *taken])
            current[current == b] = a
        return best

    def _term_similarity(self, X: np.ndarray, n_themes: int) -> np.ndarray:
        terms = normalize(np.asarray(self.terms, dtype=np.float64))
        owner = np.asarray(self.term_theme, dtype=np.int64)
        similarity = X @ terms.T
        out = np.full((X.shape[0], n_themes), -1.0)
        for theme in range(n_themes):
            own = similarity[:, owner == theme]
            if own.shape[1]:
                q = min(max(1, self.top_terms), own.shape[1])
                out[:, theme] = np.partition(own, own.shape[1] - q, axis=1)[:, -q:].mean(axis=1)
        return out

    def _forced(self, X: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
        if not 1 <= k <= X.shape[0]:
            raise ValueError(f"n_clusters={k} must be between 1 and n_samples={X.shape[0]}")
        present = sorted(int(c) for c in np.unique(labels) if c >= 0)
        # The largest vocabulary themes seed k-means; k-means++ fills the rest.
        present.sort(key=lambda c: -int((labels == c).sum()))
        init_rows = [X[labels == c].mean(axis=0) for c in present[:k]]
        if len(init_rows) < k:
            extra = KMeans(k, n_init=1, random_state=self.random_state).fit(X).cluster_centers_
            used = np.array(init_rows).reshape(-1, X.shape[1])
            for centre in extra:
                if len(init_rows) == k:
                    break
                if not len(used) or np.min(np.linalg.norm(used - centre, axis=1)) > 1e-9:
                    init_rows.append(centre)
        model = KMeans(k, init=np.array(init_rows), n_init=1, random_state=self.random_state)
        found = model.fit_predict(X)
        seed_names = {i: c for i, c in enumerate(present[:k])}
        n_seeds = len(self.seeds) if self.seeds is not None else 0
        # A forced theme keeps its seed's number (so its vocabulary name) when it had one.
        return np.array([seed_names.get(int(c), n_seeds + int(c)) for c in found], dtype=np.int64)

    def predict(self, X: object) -> np.ndarray:
        check_is_fitted(self, "cluster_centers_")
        data: NDArray[np.floating[Any]] = validate_data(
            self, X, dtype=[np.float64, np.float32], reset=False
        )
        if not len(self.cluster_centers_):
            return np.full(data.shape[0], UNGROUPED, dtype=np.int64)
        nearest: NDArray[np.intp] = pairwise_distances_argmin(data, self.cluster_centers_)
        return nearest.astype(np.int64)


def _refined(
    X: np.ndarray, labels: np.ndarray, similarity: np.ndarray, weight: float
) -> np.ndarray:
    """Fitting rows moved to the best mix of seed similarity and learned theme centre."""
    themes = sorted(int(c) for c in np.unique(labels) if c >= 0)
    fitted = np.flatnonzero(labels >= 0)
    if len(themes) < 2 or not len(fitted):
        return labels
    centres = normalize(np.array([X[labels == c].mean(axis=0) for c in themes]))
    score = (1 - weight) * similarity[np.ix_(fitted, np.array(themes))] + weight * (
        X[fitted] @ centres.T
    )
    out = labels.copy()
    out[fitted] = np.array(themes)[score.argmax(axis=1)]
    return out


def _second_pass(X: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Rows the seeds missed join a vocabulary theme its answers made their own.

    Each theme's centre is the mean of the rows the seeds gave it; a row left over joins
    the nearest centre when it is as close to it as the closest three quarters of its rows.
    """
    themes = sorted(int(c) for c in np.unique(labels) if c >= 0)
    left = np.flatnonzero(labels == UNGROUPED)
    if not themes or not len(left):
        return labels
    centres = normalize(np.array([X[labels == c].mean(axis=0) for c in themes]))
    typical = np.array(
        [np.quantile(X[labels == c] @ centres[i], 0.25) for i, c in enumerate(themes)]
    )
    similarity = X[left] @ centres.T
    nearest = similarity.argmax(axis=1)
    close = similarity[np.arange(len(left)), nearest] >= typical[nearest]
    out = labels.copy()
    out[left[close]] = np.array(themes)[nearest[close]]
    return out
