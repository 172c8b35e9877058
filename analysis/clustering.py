"""Needs clustering: free-text answers grouped into labelled needs.

The pipeline is a chain of swappable scikit-learn stages:

1. ``AnswerVectorizer``: lemma TF-IDF, character n-gram TF-IDF and, where the language
   model has them, averaged word vectors, in one sparse matrix;
2. ``LSAReducer``: truncated SVD (latent semantic analysis) then L2 normalisation;
3. ``AutoKMeans``: k-means whose number of clusters, unless forced, is the one with the best
   silhouette over a range of candidates (see ``AutoKMeans``);
4. ``NeedLabeler``: class-based TF-IDF over lemma phrases for labels and keywords, and the
   answers nearest the need's centre as quotes.

``NeedsClusterer`` runs them; ``cluster_needs`` is the one-call entry point. Non-answers
never reach the stages: they are cluster ``-1``, as are answers in clusters too small to
be a need.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin, clone
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import pairwise_distances_argmin, silhouette_score
from sklearn.preprocessing import normalize
from sklearn.utils import Tags
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from analysis.embedding import SegmentedAnswers, embed_terms, segment_answers
from analysis.grouping import GapKMeans, GuidedThemes, MeaningVectorizer, answer_rows
from analysis.labels import PhraseLabeler, central_quotes, clean_phrase
from analysis.text import Language, PreparedAnswer
from analysis.themes import Theme, load_vocabulary

UNCLASSIFIED = -1


@dataclass(frozen=True)
class Need:
    """One need: its cluster number, readable label, keywords, quotes and size.

    ``quote_indices`` are positions of real answers in the analysed list, most central
    first; ``share`` is ``size`` over the number of real answers (non-answers excluded).
    """

    cluster: int
    label: str
    keywords: tuple[str, ...]
    quote_indices: tuple[int, ...]
    size: int
    share: float
    theme: int = -1
    coherence: float = 0.0


@dataclass(frozen=True)
class ClusteringResult:
    """Plain output of a clustering run, one entry per input answer where per-answer.

    ``labels`` holds the cluster of each answer (``-1``: unclassified or non-answer),
    ``coords`` a 2-D position per answer for a map (NaN for non-answers), ``needs`` is
    sorted by decreasing size.
    """

    labels: np.ndarray
    needs: list[Need]
    coords: np.ndarray
    languages: list[Language]
    non_answer: np.ndarray

    def groups(self) -> list[set[int]]:
        """Answer indices of each need, in the order of ``needs`` (for ``match_needs``)."""
        return [set(np.flatnonzero(self.labels == need.cluster).tolist()) for need in self.needs]


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


class AutoKMeans(ClusterMixin, BaseEstimator):
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

    def fit(self, X: object, y: object = None) -> AutoKMeans:
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


@dataclass(frozen=True)
class ThemeGroup:
    """A theme: a family of needs ("Transports et déplacements").

    ``vocabulary_id`` is the vocabulary theme it follows (None: a theme of its own, named
    from its answers); ``needs`` are the clusters of its needs, largest first; ``size``
    counts residents (answers) with at least one of its needs.
    """

    theme: int
    label: str
    vocabulary_id: str | None
    needs: tuple[int, ...]
    size: int
    share: float


@dataclass(frozen=True)
class TwoLevelResult(ClusteringResult):
    """A clustering with themes over needs and several needs per answer.

    ``labels`` is each answer's main need; ``memberships`` all its needs, main first;
    ``themes`` sorted by decreasing size; ``unclassified_share`` the share of real answers
    with no need.
    """

    themes: list[ThemeGroup] = field(default_factory=list)
    memberships: list[tuple[int, ...]] = field(default_factory=list)
    unclassified_share: float = 0.0

    def theme_of(self, cluster: int) -> ThemeGroup | None:
        """The theme holding need ``cluster``."""
        return next((t for t in self.themes if cluster in t.needs), None)


class NeedsClusterer(ClusterMixin, BaseEstimator):
    """Group answers by meaning into themes, then needs inside each theme.

    Stages, each swappable (None: the default): ``vectorizer`` (``MeaningVectorizer``),
    ``themer`` (``GuidedThemes`` seeded by ``vocabulary``), ``clusterer`` (needs inside a
    theme: ``GapKMeans``; a clusterer given here, or ``n_clusters``, finds the needs over
    all answers instead, each need joining the theme of most of its answers), ``labeler``
    (``PhraseLabeler``). ``vocabulary`` None is the built-in one, ``()`` none at all.
    ``n_threads`` caps the native (BLAS, OpenMP) threads during ``fit`` (None: no cap).
    A theme splits into several needs only when the split beats chance by ``need_gap``
    (see ``GapKMeans``). After ``fit``: ``labels_`` (main need per answer), ``result_``.
    """

    def __init__(
        self,
        vectorizer: TransformerMixin | None = None,
        themer: ClusterMixin | None = None,
        clusterer: ClusterMixin | None = None,
        labeler: PhraseLabeler | None = None,
        n_clusters: int | None = None,
        n_themes: int | None = None,
        vocabulary: Sequence[Theme] | None = None,
        language: Language | str = "auto",
        min_cluster_size: int = 2,
        max_needs_per_theme: int = 6,
        need_gap: float = 0.0,
        random_state: int | None = 0,
        n_threads: int | None = 1,
    ) -> None:
        self.vectorizer = vectorizer
        self.themer = themer
        self.clusterer = clusterer
        self.labeler = labeler
        self.n_clusters = n_clusters
        self.n_themes = n_themes
        self.vocabulary = vocabulary
        self.language = language
        self.min_cluster_size = min_cluster_size
        self.max_needs_per_theme = max_needs_per_theme
        self.need_gap = need_gap
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self, X: Sequence[str | None], y: object = None) -> NeedsClusterer:
        # Many small k-means and products: native thread pools cost more than they give,
        # and on a shared machine their busy-waiting threads slow everything tenfold.
        with threadpool_limits(self.n_threads):
            return self._fit(X)

    def _fit(self, X: Sequence[str | None]) -> NeedsClusterer:
        vocabulary = load_vocabulary() if self.vocabulary is None else tuple(self.vocabulary)
        segmented = segment_answers(X, self.language, themes=vocabulary)
        vectors, docs = answer_rows(segmented)
        real = np.flatnonzero(~segmented.non_answer)
        n = len(segmented.texts)
        main = np.full(n, UNCLASSIFIED, dtype=np.int64)
        memberships: list[tuple[int, ...]] = [() for _ in range(n)]
        coords = np.full((n, 2), np.nan)
        language = _survey_language(segmented.languages, real)
        if len(real) < 2:
            if len(real) == 1 and self.min_cluster_size <= 1:
                main[real] = 0
            return self._finish(segmented, main, memberships, coords, language, None, {}, None)
        vectorizer = (
            clone(self.vectorizer)
            if self.vectorizer is not None
            else MeaningVectorizer(random_state=self.random_state)
        )
        rows = vectorizer.fit_transform((vectors[real], [docs[i] for i in real]))
        themes = self._themer(vectorizer, vocabulary, rows.shape[1]).fit(rows)
        theme_of_row = np.asarray(themes.labels_)
        need_of_row = self._needs(rows, theme_of_row)
        need_of_row = _renumber(need_of_row, self.min_cluster_size)
        centres = _centres(rows, need_of_row)
        main[real] = need_of_row
        coords[real] = _map_coordinates(rows, self.random_state)
        segment_rows = _segment_rows(vectorizer, segmented)
        memberships = _memberships(segmented, real, need_of_row, centres, segment_rows)
        need_theme = {
            c: int(np.bincount(theme_of_row[need_of_row == c] + 1).argmax()) - 1
            for c in range(len(centres))
        }
        seed_of = getattr(themes, "seed_of_", None)
        return self._finish(
            segmented,
            main,
            memberships,
            coords,
            language,
            _Fitted(vocabulary, seed_of, rows, real, centres, segment_rows),
            need_theme,
            theme_of_row,
        )

    def _themer(self, vectorizer: object, vocabulary: Sequence[Theme], width: int) -> ClusterMixin:
        if self.themer is not None:
            return clone(self.themer)
        if not vocabulary:
            return GuidedThemes(n_clusters=self.n_themes, random_state=self.random_state)
        seeds, terms, term_theme = _seed_rows(vectorizer, vocabulary, width)
        return GuidedThemes(
            seeds=seeds,
            terms=terms,
            term_theme=term_theme,
            n_clusters=self.n_themes,
            random_state=self.random_state,
        )

    def _needs(self, rows: np.ndarray, theme_of_row: np.ndarray) -> np.ndarray:
        if self.clusterer is not None or self.n_clusters is not None:
            model = (
                clone(self.clusterer)
                if self.clusterer is not None
                else GapKMeans(n_clusters=self.n_clusters, random_state=self.random_state)
            )
            return np.asarray(model.fit_predict(rows), dtype=np.int64)
        need = np.full(len(rows), UNCLASSIFIED, dtype=np.int64)
        offset = 0
        for theme in sorted(int(t) for t in np.unique(theme_of_row) if t >= 0):
            members = np.flatnonzero(theme_of_row == theme)
            high = min(self.max_needs_per_theme, len(members) // 5)
            if high >= 2:
                model = GapKMeans(
                    min_clusters=1,
                    max_clusters=high,
                    min_gap=self.need_gap,
                    random_state=self.random_state,
                )
                sub = model.fit_predict(rows[members])
            else:
                sub = np.zeros(len(members), dtype=np.int64)
            need[members] = offset + sub
            offset += int(sub.max()) + 1
        return need

    def _finish(
        self,
        segmented: SegmentedAnswers,
        main: np.ndarray,
        memberships: list[tuple[int, ...]],
        coords: np.ndarray,
        language: Language,
        fitted: _Fitted | None,
        need_theme: dict[int, int],
        theme_of_row: np.ndarray | None,
    ) -> NeedsClusterer:
        real_count = int((~segmented.non_answer).sum())
        needs: list[Need] = []
        groups: list[ThemeGroup] = []
        if fitted is not None:
            needs, groups = _describe(
                self.labeler,
                segmented,
                main,
                memberships,
                language,
                fitted.vocabulary,
                fitted.seed_of,
                fitted.rows,
                fitted.real,
                fitted.centres,
                fitted.segment_rows,
                need_theme,
                theme_of_row,
            )
        elif real_count == 1 and self.min_cluster_size <= 1:
            index = int(np.flatnonzero(~segmented.non_answer)[0])
            memberships[index] = (0,)
            label = clean_phrase(segmented.texts[index])
            needs = [Need(0, label, (), (index,), 1, 1.0)]
        self.labels_ = main
        unclassified = sum(1 for i in np.flatnonzero(~segmented.non_answer) if main[i] < 0)
        self.result_ = TwoLevelResult(
            labels=main,
            needs=needs,
            coords=coords,
            languages=list(segmented.languages),
            non_answer=segmented.non_answer.copy(),
            themes=groups,
            memberships=memberships,
            unclassified_share=unclassified / real_count if real_count else 0.0,
        )
        return self


@dataclass(frozen=True)
class _Fitted:
    """What the clustering of the real answers learned, for describing the needs."""

    vocabulary: Sequence[Theme]
    seed_of: np.ndarray | None
    rows: np.ndarray
    real: np.ndarray
    centres: np.ndarray
    segment_rows: np.ndarray


def _survey_language(languages: Sequence[Language], real: np.ndarray) -> Language:
    counts = Counter(languages[i] for i in real)
    return "en" if counts["en"] > counts["fr"] else "fr"


def _seed_rows(
    vectorizer: object, vocabulary: Sequence[Theme], width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The vocabulary in the feature space (its seeds' meaning, no wording): one row per
    theme (the mean of its terms), then one row per term with the theme of each term."""
    remover = vectorizer.remover_  # type: ignore[attr-defined]
    seeds = np.zeros((len(vocabulary), width))
    term_rows: list[np.ndarray] = []
    owners: list[int] = []
    for position, theme in enumerate(vocabulary):
        terms = embed_terms(theme.seeds("fr") or theme.seeds("en"))
        terms = terms[np.abs(terms).sum(axis=1) > 0]
        if len(terms):
            meaning = remover.transform(terms)
            seeds[position, : meaning.shape[1]] = normalize(meaning.mean(axis=0, keepdims=True))[0]
            padded = np.zeros((len(meaning), width))
            padded[:, : meaning.shape[1]] = meaning
            term_rows.append(padded)
            owners.extend([position] * len(meaning))
    terms_out = np.vstack(term_rows) if term_rows else np.zeros((0, width))
    return seeds, terms_out, np.asarray(owners, dtype=np.int64)


def _centres(rows: np.ndarray, labels: np.ndarray) -> np.ndarray:
    clusters = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    centres = np.zeros((clusters, rows.shape[1]))
    for c in range(clusters):
        if np.any(labels == c):
            centres[c] = rows[labels == c].mean(axis=0)
    normalised: NDArray[np.float64] = normalize(centres)
    return normalised


def _segment_rows(vectorizer: object, segmented: SegmentedAnswers) -> np.ndarray:
    docs = [" ".join(s.lemmas) for s in segmented.segments]
    if not docs:
        return np.zeros((0, 0))
    # Any vectorizer taking (vectors, documents), MeaningVectorizer by default.
    rows: np.ndarray = vectorizer.transform(  # type: ignore[attr-defined]
        (segmented.vectors.astype(np.float64), docs)
    )
    return rows


def _memberships(
    segmented: SegmentedAnswers,
    real: np.ndarray,
    need_of_row: np.ndarray,
    centres: np.ndarray,
    segment_rows: np.ndarray,
) -> list[tuple[int, ...]]:
    """Main need first, then the need of each segment that is clearly about another one.

    A segment adds its nearest need when it is nearly as close to that need's centre as
    the need's typical (median) segment: an aside does not make a resident cited twice.
    """
    memberships: list[tuple[int, ...]] = [() for _ in segmented.texts]
    if not len(centres):
        return memberships
    similarity = segment_rows @ centres.T if len(segment_rows) else np.zeros((0, len(centres)))
    nearest = similarity.argmax(axis=1) if len(similarity) else np.zeros(0, dtype=np.int64)
    typical = np.ones(len(centres))
    for c in np.unique(nearest):
        typical[c] = np.median(similarity[nearest == c, c])
    owned = segmented.of_answer()
    for row, index in enumerate(real):
        first = int(need_of_row[row])
        needs = [first] if first >= 0 else []
        for p in owned[index]:
            c = int(nearest[p])
            if c not in needs and similarity[p, c] >= 0.75 * typical[c] and len(owned[index]) > 1:
                needs.append(c)
        memberships[index] = tuple(needs)
    return memberships


def _describe(
    labeler: PhraseLabeler | None,
    segmented: SegmentedAnswers,
    main: np.ndarray,
    memberships: list[tuple[int, ...]],
    language: Language,
    vocabulary: Sequence[Theme],
    seed_of: np.ndarray | None,
    rows: np.ndarray,
    real: np.ndarray,
    centres: np.ndarray,
    segment_rows: np.ndarray,
    need_theme: dict[int, int],
    theme_of_row: np.ndarray | None,
    taken: Sequence[str] = (),
) -> tuple[list[Need], list[ThemeGroup]]:
    """Labels, quotes, sizes and coherence of needs; themes named and counted."""
    n_real = len(real)
    texts = segmented.texts
    segments = segmented.segments
    seg_need = np.full(len(segments), UNCLASSIFIED, dtype=np.int64)
    owned = segmented.of_answer()
    for index, needs in enumerate(memberships):
        for p in owned[index]:
            if needs:
                best = max(needs, key=lambda c: float(segment_rows[p] @ centres[c]))
                seg_need[p] = best
    seg_languages = [segmented.languages[s.answer] for s in segments]
    seg_texts = [s.text for s in segments]
    seg_lemmas = [s.lemmas for s in segments]
    need_labeler = clone(labeler) if labeler is not None else PhraseLabeler()
    need_labeler.fit(
        seg_texts,
        seg_need,
        segment_rows,
        centres,
        seg_languages,
        language,
        lemmas=seg_lemmas,
        taken=taken,
    )
    full_rows = np.zeros((len(texts), rows.shape[1]))
    full_rows[real] = rows
    sizes = Counter(c for needs in memberships for c in needs)
    needs_out = []
    for c in range(len(centres)):
        members = np.flatnonzero(main == c)
        coherence = float((full_rows[members] @ centres[c]).mean()) if len(members) else 0.0
        needs_out.append(
            Need(
                cluster=c,
                label=need_labeler.labels_.get(c, ""),
                keywords=_keywords(seg_lemmas, seg_need, c),
                quote_indices=central_quotes(texts, members, full_rows, centres[c]),
                size=sizes[c],
                share=sizes[c] / n_real if n_real else 0.0,
                theme=need_theme.get(c, UNCLASSIFIED),
                coherence=round(coherence, 4),
            )
        )
    needs_out.sort(key=lambda need: (-need.size, need.cluster))
    groups = _themes(
        needs_out, memberships, language, vocabulary, seed_of, n_real, need_labeler.labels_
    )
    return needs_out, groups


def _keywords(
    lemmas: Sequence[Sequence[str]], seg_need: np.ndarray, cluster: int
) -> tuple[str, ...]:
    counts = Counter(w for p in np.flatnonzero(seg_need == cluster) for w in set(lemmas[p]))
    return tuple(w for w, _ in counts.most_common(8))


def _themes(
    needs: list[Need],
    memberships: list[tuple[int, ...]],
    language: Language,
    vocabulary: Sequence[Theme],
    seed_of: np.ndarray | None,
    n_real: int,
    need_labels: dict[int, str],
) -> list[ThemeGroup]:
    by_theme: dict[int, list[Need]] = {}
    for need in needs:
        by_theme.setdefault(need.theme, []).append(need)
    groups = []
    for theme, members in by_theme.items():
        clusters = {n.cluster for n in members}
        size = sum(1 for m in memberships if clusters & set(m))
        seed = int(seed_of[theme]) if seed_of is not None and 0 <= theme < len(seed_of) else -1
        if seed >= 0:
            label, vocabulary_id = vocabulary[seed].label(language), vocabulary[seed].id
        else:
            # A theme of its own is named after its largest need.
            label, vocabulary_id = members[0].label, None
        groups.append(
            ThemeGroup(
                theme=theme,
                label=label,
                vocabulary_id=vocabulary_id,
                needs=tuple(n.cluster for n in members),
                size=size,
                share=size / n_real if n_real else 0.0,
            )
        )
    groups.sort(key=lambda g: (-g.size, g.theme))
    return groups


def _renumber(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Number clusters 0.. by decreasing size (ties by first answer); small ones become -1."""
    counts = Counter(int(c) for c in labels if c != UNCLASSIFIED)
    first = {int(c): i for i, c in reversed(list(enumerate(labels)))}
    order = sorted(
        (c for c, size in counts.items() if size >= min_size),
        key=lambda c: (-counts[c], first[c]),
    )
    mapping = {c: new for new, c in enumerate(order)}
    return np.array([mapping.get(int(c), UNCLASSIFIED) for c in labels], dtype=np.int64)


def _map_coordinates(reduced: np.ndarray, random_state: int | None) -> np.ndarray:
    if reduced.shape[1] < 2 or reduced.shape[0] < 2:
        padded = np.zeros((reduced.shape[0], 2))
        padded[:, : reduced.shape[1]] = reduced[:, :2]
        return padded
    coords: np.ndarray = PCA(2, random_state=random_state).fit_transform(reduced)
    return coords


def cluster_needs(
    texts: Sequence[str | None],
    *,
    language: Language | str = "auto",
    n_clusters: int | None = None,
    n_themes: int | None = None,
    vocabulary: Sequence[Theme] | None = None,
    random_state: int | None = 0,
) -> TwoLevelResult:
    """Themes and needs of free-text answers; ``n_clusters`` / ``n_themes`` force counts."""
    model = NeedsClusterer(
        n_clusters=n_clusters,
        n_themes=n_themes,
        vocabulary=vocabulary,
        language=language,
        random_state=random_state,
    )
    return model.fit(texts).result_


def split_need(
    texts: Sequence[str | None],
    *,
    language: Language | str = "auto",
    n_clusters: int | None = None,
    random_state: int | None = 0,
) -> TwoLevelResult:
    """Re-cluster the answers of one need into at least two sub-needs.

    ``texts`` are the need's answers; the result's positions refer to that list.
    """
    if n_clusters is not None and n_clusters < 2:
        raise ValueError("a split needs at least two sub-needs")
    model = NeedsClusterer(
        clusterer=GapKMeans(
            n_clusters=n_clusters,
            min_clusters=2,
            max_clusters=min(10, max(2, len(texts) // 2)),
            random_state=random_state,
        ),
        n_themes=1,
        vocabulary=(),
        language=language,
        min_cluster_size=1,
        random_state=random_state,
    )
    return model.fit(texts).result_


def label_groups(
    texts: Sequence[str | None],
    labels: Sequence[int] | np.ndarray,
    *,
    language: Language | str = "auto",
    random_state: int | None = 0,
    taken: Sequence[str] = (),
) -> list[Need]:
    """Label a grouping given by staff (after a merge or a move); ``-1`` stays unlabelled.

    ``taken`` lists labels already in use elsewhere, which the new ones avoid.
    """
    segmented = segment_answers(texts, language, themes=load_vocabulary())
    given = np.asarray(labels, dtype=np.int64)
    if len(given) != len(segmented.texts):
        raise ValueError("texts and labels must have the same length")
    main = np.where(segmented.non_answer, UNCLASSIFIED, given)
    real = np.flatnonzero(~segmented.non_answer)
    if not len(real) or main.max() < 0:
        return []
    vectors, docs = answer_rows(segmented)
    vectorizer = MeaningVectorizer(random_state=random_state)
    rows = vectorizer.fit_transform((vectors[real], [docs[i] for i in real]))
    centres = _centres(rows, main[real])
    memberships: list[tuple[int, ...]] = [(int(c),) if c >= 0 else () for c in main]
    needs, _ = _describe(
        None,
        segmented,
        main,
        memberships,
        _survey_language(segmented.languages, real),
        (),
        None,
        rows,
        real,
        centres,
        _segment_rows(vectorizer, segmented),
        {},
        None,
        taken,
    )
    present = {int(c) for c in main if c >= 0}
    return [need for need in needs if need.cluster in present]


def match_needs(
    old: Sequence[set[int]], new: Sequence[set[int]], threshold: float = 0.5
) -> dict[int, int]:
    """Pair old needs with new ones by Jaccard similarity of their answer sets.

    Returns ``{old position: new position}``, one-to-one, best pairs first, keeping only
    pairs whose Jaccard index is at least ``threshold``, so a re-run can carry staff edits
    over to the needs that still match.
    """
    pairs = []
    for i, a in enumerate(old):
        for j, b in enumerate(new):
            union = len(a | b)
            score = len(a & b) / union if union else 0.0
            if score >= threshold and score > 0:
                pairs.append((score, i, j))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    matched: dict[int, int] = {}
    taken: set[int] = set()
    for _, i, j in pairs:
        if i not in matched and j not in taken:
            matched[i] = j
            taken.add(j)
    return matched
