"""The previous flat pipeline's stages, kept for comparison in the evaluation.

``AnswerVectorizer`` (lemma, character and word-vector blocks over prepared answers),
``LSAReducer`` (truncated SVD then L2 normalisation), ``AutoKMeans`` (k-means with k chosen
by the silhouette between bounds) and ``NeedLabeler`` (class-based TF-IDF labels). The
two-level clustering (``analysis.clustering``) no longer uses them.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import pairwise_distances_argmin, silhouette_score
from sklearn.preprocessing import normalize
from sklearn.utils import Tags
from sklearn.utils.validation import check_is_fitted, validate_data

from analysis.results import UNCLASSIFIED, Need
from analysis.text import PreparedAnswer


def _joined_lemmas(answers: Sequence[PreparedAnswer]) -> list[str]:
    return [" ".join(a.lemmas) for a in answers]


class AnswerVectorizer(TransformerMixin, BaseEstimator):
    """Turn prepared answers into one sparse matrix of weighted feature blocks.

    Blocks, each L2-normalised then weighted: lemma TF-IDF (``ngram_range``), character
    n-gram TF-IDF over the lemmas (``char_weight``; catches spelling variants and compounds),
    and mean word vectors centred on the corpus mean (``vector_weight``; only answers whose
    language model has vectors get a non-zero block).
    """

    def __init__(
        self,
        ngram_range: tuple[int, int] = (1, 1),
        char_weight: float = 0.5,
        vector_weight: float = 0.5,
        min_df: int = 1,
    ) -> None:
        self.ngram_range = ngram_range
        self.char_weight = char_weight
        self.vector_weight = vector_weight
        self.min_df = min_df

    def fit(self, X: Sequence[PreparedAnswer], y: object = None) -> AnswerVectorizer:
        docs = _joined_lemmas(X)
        self.words_ = TfidfVectorizer(
            tokenizer=str.split,
            token_pattern=None,
            lowercase=False,
            ngram_range=self.ngram_range,
            sublinear_tf=True,
            min_df=self.min_df,
        ).fit(docs)
        self.chars_ = None
        if self.char_weight > 0:
            self.chars_ = TfidfVectorizer(
                analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2
            )
            try:
                self.chars_.fit(docs)
            except ValueError:
                # Too few repeated n-grams in a tiny corpus: go without this block.
                self.chars_ = None
        vectors = [a.vector for a in X if a.vector is not None]
        self.vector_mean_ = np.mean(vectors, axis=0) if vectors else None
        return self

    def transform(self, X: Sequence[PreparedAnswer]) -> sparse.csr_matrix:
        check_is_fitted(self, "words_")
        docs = _joined_lemmas(X)
        blocks = [self.words_.transform(docs)]
        if self.chars_ is not None:
            blocks.append(self.char_weight * self.chars_.transform(docs))
        if self.vector_mean_ is not None and self.vector_weight > 0:
            dense = np.zeros((len(X), self.vector_mean_.shape[0]), dtype=np.float64)
            for row, answer in enumerate(X):
                if answer.vector is not None:
                    dense[row] = answer.vector - self.vector_mean_
            blocks.append(sparse.csr_matrix(self.vector_weight * normalize(dense)))
        features: sparse.csr_matrix = sparse.hstack(blocks, format="csr")
        return features


# What validate_data gives with accept_sparse="csr": a dense array or a CSR matrix or array.
_Rows = NDArray[np.floating[Any]] | sparse.csr_matrix | sparse.csr_array


class LSAReducer(TransformerMixin, BaseEstimator):
    """Truncated SVD to at most ``n_components`` dimensions, then L2 normalisation.

    Fewer components than the usual 100 suit short answers better: in our evaluation 50
    gave more stable clusters. The count is clipped to what small corpora allow.
    """

    def __init__(self, n_components: int = 50, random_state: int | None = 0) -> None:
        self.n_components = n_components
        self.random_state = random_state

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def fit(self, X: object, y: object = None) -> LSAReducer:
        data: _Rows = validate_data(self, X, accept_sparse="csr")
        limit = min(data.shape) - 1
        self.n_components_ = max(1, min(self.n_components, limit))
        if limit < 1:
            self.svd_ = None
        else:
            self.svd_ = TruncatedSVD(self.n_components_, random_state=self.random_state).fit(data)
        return self

    def transform(self, X: object) -> NDArray[np.float64]:
        check_is_fitted(self, "n_components_")
        data: _Rows = validate_data(self, X, accept_sparse="csr", reset=False)
        if self.svd_ is None:
            first = data[:, :1]
            reduced = np.asarray(first.todense() if sparse.issparse(first) else first)
        else:
            reduced = self.svd_.transform(data)
        rows: NDArray[np.float64] = normalize(np.asarray(reduced, dtype=np.float64))
        return rows


class ChosenKMeans:
    """K-means whose number of clusters is ``n_clusters`` when given, else the one the
    subclass's ``_choose_k`` picks (its ``scores_`` keep each candidate's score). A mixin
    put before scikit-learn's bases; the subclasses' ``__init__`` set ``n_clusters``,
    ``n_init`` and ``random_state``."""

    n_clusters: int | None
    n_init: int
    random_state: int | None

    def fit(self, X: object, y: object = None) -> Self:
        data: NDArray[np.floating[Any]] = validate_data(self, X, dtype=[np.float64, np.float32])
        n = data.shape[0]
        self.scores_: dict[int, float] = {}
        if self.n_clusters is not None:
            k = int(self.n_clusters)
            if not 1 <= k <= n:
                raise ValueError(f"n_clusters={k} must be between 1 and n_samples={n}")
        else:
            k = self._choose_k(data)
        model = KMeans(k, n_init=self.n_init, random_state=self.random_state).fit(data)
        self.n_clusters_ = k
        self.cluster_centers_ = model.cluster_centers_
        self.labels_ = model.labels_.astype(np.int64)
        self.inertia_ = float(model.inertia_)
        return self

    def _choose_k(self, X: np.ndarray) -> int:
        raise NotImplementedError


class AutoKMeans(ChosenKMeans, ClusterMixin, BaseEstimator):
    """K-means that picks its number of clusters when ``n_clusters`` is None.

    Candidates run from ``max(min_clusters, sqrt(n) / 3)`` to ``min(max_clusters, sqrt(n))``
    on a roughly geometric grid; each is fitted on a sample of at most ``sample_size`` rows
    and scored by the silhouette; the best k is then fitted on all rows. The bounds matter as
    much as the score: on short texts the silhouette either creeps up with k or peaks at
    k=2, while agreement with human themes is flat across the sqrt(n) / 3 to sqrt(n) band
    and falls below it. The ceiling also keeps the number of needs readable.
    """

    def __init__(
        self,
        n_clusters: int | None = None,
        min_clusters: int = 2,
        max_clusters: int = 30,
        n_init: int = 3,
        sample_size: int = 2000,
        random_state: int | None = 0,
    ) -> None:
        self.n_clusters = n_clusters
        self.min_clusters = min_clusters
        self.max_clusters = max_clusters
        self.n_init = n_init
        self.sample_size = sample_size
        self.random_state = random_state

    def _choose_k(self, X: np.ndarray) -> int:
        n: int = X.shape[0]
        high = min(self.max_clusters, int(math.sqrt(n)), n - 1)
        low = max(2, self.min_clusters, min(high // 2, round(math.sqrt(n) / 3)))
        if high < low:
            return max(1, min(low, n - 1)) if n > 2 else 1
        rng = np.random.default_rng(self.random_state)
        sample = X if n <= self.sample_size else X[rng.choice(n, self.sample_size, replace=False)]
        distinct: int = np.unique(sample, axis=0).shape[0]
        candidates = sorted({int(round(k)) for k in np.geomspace(low, high, num=8)})
        best_k, best_score = low, -np.inf
        for k in candidates:
            if k >= distinct:
                break
            labels = KMeans(k, n_init=self.n_init, random_state=self.random_state).fit_predict(
                sample
            )
            if len(np.unique(labels)) < 2:
                continue
            score = float(silhouette_score(sample, labels))
            self.scores_[k] = score
            if score > best_score:
                best_k, best_score = k, score
        return best_k

    def predict(self, X: object) -> np.ndarray:
        check_is_fitted(self, "cluster_centers_")
        data: NDArray[np.floating[Any]] = validate_data(
            self, X, dtype=[np.float64, np.float32], reset=False
        )
        nearest: NDArray[np.intp] = pairwise_distances_argmin(data, self.cluster_centers_)
        return nearest.astype(np.int64)


class NeedLabeler(BaseEstimator):
    """Label each group of answers: readable label, keywords and central quotes.

    Terms are lemma unigrams and two-word phrases, scored per group by class-based TF-IDF:
    the share of the group's answers using the term times
    ``log(1 + mean answers per group / answers using it anywhere)``. The label leads with the
    most used of the four best terms, as a phrase when one is common enough, in the words
    respondents most often wrote (``"garde d'enfants"``), then the next best term that does
    not repeat its words. Quotes are the answers nearest the group's mean
    embedding, skipping exact repeats.
    """

    def __init__(self, n_keywords: int = 8, n_quotes: int = 3, label_terms: int = 2) -> None:
        self.n_keywords = n_keywords
        self.n_quotes = n_quotes
        self.label_terms = label_terms

    def fit(
        self,
        X: Sequence[PreparedAnswer],
        y: Sequence[int] | np.ndarray,
        embedding: np.ndarray | None = None,
    ) -> NeedLabeler:
        labels = np.asarray(y)
        clusters = sorted(int(c) for c in np.unique(labels) if c != UNCLASSIFIED)
        counted = int(sum(1 for a, c in zip(X, labels, strict=True) if not a.non_answer))
        doc_freq: Counter[str] = Counter()
        per_cluster: dict[int, Counter[str]] = {c: Counter() for c in clusters}
        surfaces: dict[int, dict[str, Counter[str]]] = {c: defaultdict(Counter) for c in clusters}
        for answer, cluster in zip(X, labels, strict=True):
            keys = {key for key, _ in answer.phrases}
            doc_freq.update(keys)
            if cluster == UNCLASSIFIED:
                continue
            per_cluster[int(cluster)].update(keys)
            for key, surface in answer.phrases:
                surfaces[int(cluster)][key][surface] += 1
        mean_size = max(1.0, len(labels) / max(1, len(clusters)))
        needs = []
        for cluster in clusters:
            members = np.flatnonzero(labels == cluster)
            ranked = self._rank(per_cluster[cluster], doc_freq, len(members), mean_size)
            needs.append(
                Need(
                    cluster=cluster,
                    label=self._label(ranked, per_cluster[cluster], surfaces[cluster]),
                    keywords=tuple(
                        surfaces[cluster][key].most_common(1)[0][0]
                        for key in ranked[: self.n_keywords]
                    ),
                    quote_indices=self._quotes(X, members, embedding),
                    size=len(members),
                    share=len(members) / counted if counted else 0.0,
                )
            )
        needs.sort(key=lambda need: (-need.size, need.cluster))
        self.needs_ = needs
        return self

    @staticmethod
    def _rank(
        counts: Counter[str], doc_freq: Counter[str], size: int, mean_size: float
    ) -> list[str]:
        def score(key: str) -> float:
            weight = counts[key] / size * math.log(1 + mean_size / doc_freq[key])
            # A phrase used by one answer only says little about the group.
            return weight if counts[key] > 1 or size == 1 else weight / 4

        return sorted(counts, key=lambda key: (-score(key), key))

    def _label(
        self, ranked: Sequence[str], counts: Counter[str], surfaces: dict[str, Counter[str]]
    ) -> str:
        if not ranked:
            return ""
        # Lead with the most used of the few most distinctive terms: the most distinctive
        # one alone is often a rare word that a handful of answers share.
        head = max(ranked[:4], key=lambda key: (counts[key], -ranked.index(key)))
        # A phrase that contains it and is used by at least half as many answers reads better.
        for key in ranked[:8]:
            if " " in key and head in key.split() and 2 * counts[key] >= counts[head]:
                head = key
                break
        chosen, used = [head], set(head.split())
        for key in ranked[: self.n_keywords]:
            if len(chosen) == self.label_terms:
                break
            if not set(key.split()) & used:
                chosen.append(key)
                used |= set(key.split())
        return ", ".join(surfaces[key].most_common(1)[0][0] for key in chosen)

    def _quotes(
        self,
        X: Sequence[PreparedAnswer],
        members: np.ndarray,
        embedding: np.ndarray | None,
    ) -> tuple[int, ...]:
        if embedding is not None and len(members):
            centre = embedding[members].mean(axis=0)
            order = members[np.argsort(-(embedding[members] @ centre), kind="stable")]
        else:
            order = members
        quotes: list[int] = []
        seen: set[str] = set()
        for index in order:
            key = " ".join(X[index].text.lower().split())
            if key in seen:
                continue
            seen.add(key)
            quotes.append(int(index))
            if len(quotes) == self.n_quotes:
                break
        return tuple(quotes)
