"""Needs clustering: free-text answers grouped by meaning into themes, then needs.

``NeedsClusterer`` chains swappable stages: answers cut into segments and embedded
(``analysis.embedding``), a vectorizer and themes guided by the vocabulary
(``analysis.grouping``), needs inside each theme (``GapKMeans``), then labels and quotes
(``analysis.labels``, ``analysis.description``). ``cluster_needs`` is the one-call entry
point, ``split_need`` and ``label_groups`` serve staff edits. Non-answers never reach the
stages: they are need ``-1``, as are answers in needs too small to be one. The previous
flat pipeline's stages live in ``analysis.estimators`` and are importable from here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin, clone
from sklearn.decomposition import PCA
from threadpoolctl import threadpool_limits

from analysis.anchoring import anchored_kmeans
from analysis.description import (
    NAMED_SUPPORT,
    centres_of,
    describe_needs,
    memberships_of,
    seed_rows_of,
    segment_rows_of,
)
from analysis.embedding import SegmentedAnswers, segment_answers
from analysis.estimators import AnswerVectorizer as AnswerVectorizer
from analysis.estimators import AutoKMeans as AutoKMeans
from analysis.estimators import LSAReducer as LSAReducer
from analysis.estimators import NeedLabeler as NeedLabeler
from analysis.grouping import GapKMeans, GuidedThemes, MeaningVectorizer, answer_rows
from analysis.labels import PhraseLabeler, clean_phrase, label_support
from analysis.results import UNCLASSIFIED as UNCLASSIFIED
from analysis.results import ClusteringResult as ClusteringResult
from analysis.results import Need as Need
from analysis.results import ThemeGroup as ThemeGroup
from analysis.results import TwoLevelResult as TwoLevelResult
from analysis.text import Language
from analysis.themes import Theme, load_vocabulary


class NeedsClusterer(ClusterMixin, BaseEstimator):
    """Group answers by meaning into themes, then needs inside each theme.

    Stages, each swappable (None: the default): ``vectorizer`` (``MeaningVectorizer``),
    ``themer`` (``GuidedThemes`` seeded by ``vocabulary``), ``clusterer`` (needs inside a
    theme: ``GapKMeans``; a clusterer given here, or ``n_clusters``, finds the needs over
    all answers instead, each need joining the theme of most of its answers), ``labeler``
    (``PhraseLabeler``). ``vocabulary`` None is the built-in one, ``()`` none at all.
    ``n_threads`` caps the native (BLAS, OpenMP) threads during ``fit`` (None: no cap).
    A theme splits into several needs only when the split beats chance by ``need_gap``,
    into the fewest needs within ``need_standard_errors`` of the best count's excess
    over chance (see ``GapKMeans``: inside a theme the excess creeps up with k, so its
    argmax sat on the ceiling); ``max_needs_per_theme`` is a ceiling the criterion rarely
    reaches, not the count. After ``fit``: ``labels_`` (main need per answer),
    ``result_``, ``theme_scores_`` (each theme count tried and its score, when the count
    was chosen), ``need_counts_`` (per theme: its answers, the needs chosen, the ceiling).
    Where the vocabulary guided the themes and the counts were chosen, a theme of its own
    whose answers do not say its name is the rest, not a theme: its answers are left
    unclassified (see ``_residual_needs``), unless a previous run's need anchors them.
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
        max_needs_per_theme: int = 8,
        need_gap: float = 0.0,
        need_standard_errors: float = 2.0,
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
        self.need_standard_errors = need_standard_errors
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(
        self,
        X: Sequence[str | None],
        y: object = None,
        anchors: Sequence[Sequence[int]] = (),
    ) -> NeedsClusterer:
        """Group ``X``; ``anchors`` are the previous run's needs as positions in ``X`` of
        their answers (a re-run of the same survey): each one seeds a need of its theme."""
        # Many small k-means and products: native thread pools cost more than they give,
        # and on a shared machine their busy-waiting threads slow everything tenfold.
        with threadpool_limits(self.n_threads):
            return self._fit(X, anchors)

    def _fit(self, X: Sequence[str | None], anchors: Sequence[Sequence[int]]) -> NeedsClusterer:
        self.theme_scores_: dict[int, float] = {}
        self.need_counts_: list[tuple[int, int, int]] = []
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
        # What the theme count was chosen from, for staff and the evaluation to see.
        self.theme_scores_ = dict(getattr(themes, "scores_", {}))
        theme_of_row = np.asarray(themes.labels_)
        row_of = {int(index): row for row, index in enumerate(real)}
        anchor_rows = [
            np.array([row_of[i] for i in group if i in row_of], dtype=np.int64) for group in anchors
        ]
        need_of_row = self._needs(rows, theme_of_row, anchor_rows)
        coords[real] = _map_coordinates(rows, self.random_state)
        segment_rows = segment_rows_of(vectorizer, segmented)
        seed_of = getattr(themes, "seed_of_", None)
        vocabulary = _merged_names(vocabulary, seed_of, getattr(themes, "also_seeds_", None))
        # Counts staff forced are kept whole: the leftover rule only tidies a chosen count.
        tidy = self.n_clusters is None and self.n_themes is None
        counts, gone = list(self.need_counts_), set[int]()
        order = sorted(int(t) for t in np.unique(theme_of_row) if t >= 0)
        while True:
            need_of_row = _renumber(need_of_row, self.min_cluster_size)
            centres = centres_of(rows, need_of_row)
            main[real] = need_of_row
            memberships = memberships_of(segmented, real, need_of_row, centres, segment_rows)
            need_theme = {
                c: int(np.bincount(theme_of_row[need_of_row == c] + 1).argmax()) - 1
                for c in range(len(centres))
            }
            self._finish(
                segmented,
                main,
                memberships,
                coords,
                language,
                _Fitted(vocabulary, seed_of, rows, real, centres, segment_rows),
                need_theme,
                theme_of_row,
            )
            residual = _residual_needs(self.result_, segmented.texts, seed_of) if tidy else []
            # A need a previous run handed on (its answers anchor it) is staff's: it stays.
            residual = [
                c
                for c in residual
                if not any(len(a) and np.mean(need_of_row[a] == c) > 0.5 for a in anchor_rows)
            ]
            if not residual:
                # The counts chosen per theme, for the themes that stayed.
                if gone and len(counts) == len(order):
                    self.need_counts_ = [
                        c for t, c in zip(order, counts, strict=True) if t not in gone
                    ]
                return self
            gone |= {need_theme[c] for c in residual}
            # Each pass only removes needs, so this ends.
            need_of_row = np.where(np.isin(need_of_row, residual), UNCLASSIFIED, need_of_row)

    def _themer(self, vectorizer: object, vocabulary: Sequence[Theme], width: int) -> ClusterMixin:
        if self.themer is not None:
            return clone(self.themer)
        if not vocabulary:
            return GuidedThemes(n_clusters=self.n_themes, random_state=self.random_state)
        seeds, terms, term_theme = seed_rows_of(vectorizer, vocabulary, width)
        return GuidedThemes(
            seeds=seeds,
            terms=terms,
            term_theme=term_theme,
            n_clusters=self.n_themes,
            random_state=self.random_state,
        )

    def _needs(
        self,
        rows: np.ndarray,
        theme_of_row: np.ndarray,
        anchors: Sequence[np.ndarray] = (),
    ) -> np.ndarray:
        if self.clusterer is not None or self.n_clusters is not None:
            model = (
                clone(self.clusterer)
                if self.clusterer is not None
                else GapKMeans(n_clusters=self.n_clusters, random_state=self.random_state)
            )
            return np.asarray(model.fit_predict(rows), dtype=np.int64)
        need = np.full(len(rows), UNCLASSIFIED, dtype=np.int64)
        self.need_counts_ = []
        offset = 0
        for theme in sorted(int(t) for t in np.unique(theme_of_row) if t >= 0):
            members = np.flatnonzero(theme_of_row == theme)
            high = min(self.max_needs_per_theme, len(members) // 5)
            model = None
            if high >= 2:
                model = GapKMeans(
                    min_clusters=1,
                    max_clusters=high,
                    min_gap=self.need_gap,
                    n_standard_errors=self.need_standard_errors,
                    score_components=20,
                    random_state=self.random_state,
                ).fit(rows[members])
                sub = model.labels_
            else:
                sub = np.zeros(len(members), dtype=np.int64)
            mine = [a for a in anchors if len(a) and np.mean(theme_of_row[a] == theme) > 0.5]
            if mine:
                # A re-run keeps an anchored theme's count: near the rule's margin a few
                # more answers tip the count, and each extra need would read as new.
                found = rows[members][:1]
                sub = anchored_kmeans(rows[members], rows, mine, found, self.random_state)
            need[members] = offset + sub
            offset += int(sub.max()) + 1
            self.need_counts_.append((len(members), int(sub.max()) + 1, max(1, high)))
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
            needs, groups = describe_needs(
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


def _residual_needs(
    result: TwoLevelResult, texts: Sequence[str], seed_of: np.ndarray | None
) -> list[int]:
    """The needs of a theme of its own that is only the rest of a vocabulary-guided run.

    Where the vocabulary guided the themes, the answers that fit none of them are grouped
    among themselves. When neither the group's name nor any of its needs' names is said
    by a quarter of its residents, its members share nothing but fitting no theme: shown
    as a theme, its name (taken from a few of them) would mislead staff about the rest.
    Its answers are better left unclassified, where staff sort them."""
    if seed_of is None or not np.any(np.asarray(seed_of) >= 0):
        return []
    residents: dict[int, set[int]] = {}
    for index, needs in enumerate(result.memberships):
        for c in needs:
            residents.setdefault(c, set()).add(index)

    def said(label: str, indices: set[int]) -> float:
        return label_support(label, [texts[i] for i in sorted(indices)])

    label_of = {need.cluster: need.label for need in result.needs}
    residual: list[int] = []
    for theme in result.themes:
        if theme.vocabulary_id is not None:
            continue
        everyone = set().union(*(residents.get(c, set()) for c in theme.needs))
        shares = [said(theme.label, everyone)]
        shares += [said(label_of[c], residents.get(c, set())) for c in theme.needs]
        if max(shares) < NAMED_SUPPORT:
            residual.extend(theme.needs)
    return residual


def _survey_language(languages: Sequence[Language], real: np.ndarray) -> Language:
    counts = Counter(languages[i] for i in real)
    return "en" if counts["en"] > counts["fr"] else "fr"


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
    anchors: Sequence[Sequence[int]] = (),
) -> TwoLevelResult:
    """Themes and needs of free-text answers; ``n_clusters`` / ``n_themes`` force counts;
    ``anchors``: the previous run's needs, as positions of their answers in ``texts``."""
    model = NeedsClusterer(
        n_clusters=n_clusters,
        n_themes=n_themes,
        vocabulary=vocabulary,
        language=language,
        random_state=random_state,
    )
    return model.fit(texts, anchors=anchors).result_


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
    centres = centres_of(rows, main[real])
    memberships: list[tuple[int, ...]] = [(int(c),) if c >= 0 else () for c in main]
    needs, _ = describe_needs(
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
        segment_rows_of(vectorizer, segmented),
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


def _merged_names(
    vocabulary: Sequence[Theme], seed_of: np.ndarray | None, also: list[list[int]] | None
) -> tuple[Theme, ...]:
    """The vocabulary with each theme that took in others named after them too ("Enfance,
    jeunesse et familles / Culture, sport et loisirs"); its id stays its own."""
    themes = list(vocabulary)
    if seed_of is None or not also:
        return tuple(themes)
    for seed, others in zip(seed_of.tolist(), also, strict=True):
        if seed < 0 or not others:
            continue
        merged = [vocabulary[seed], *(vocabulary[o] for o in others)]
        # Each theme in the language asked, else in its other one (Theme.label's fallback).
        languages = dict.fromkeys(lang for t in merged for lang, name in t.labels if name)
        labels = tuple((lang, " / ".join(t.label(lang) for t in merged)) for lang in languages)
        themes[seed] = replace(vocabulary[seed], labels=labels)
    return tuple(themes)
