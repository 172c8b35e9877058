"""Needs and themes described once grouped: memberships, labels, quotes, sizes, coherence.

Pure helpers of ``analysis.clustering``: they turn what the stages learned (rows, centres,
segments) into ``Need`` and ``ThemeGroup`` values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from sklearn.base import clone
from sklearn.preprocessing import normalize

from analysis.embedding import SegmentedAnswers, embed_terms
from analysis.labels import PhraseLabeler, central_quotes, label_support, same_label
from analysis.quotes import about_quotes
from analysis.results import UNCLASSIFIED, Need, ThemeGroup
from analysis.text import Language
from analysis.themes import Theme


def seed_rows_of(
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


def centres_of(rows: np.ndarray, labels: np.ndarray) -> np.ndarray:
    clusters = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    centres = np.zeros((clusters, rows.shape[1]))
    for c in range(clusters):
        if np.any(labels == c):
            centres[c] = rows[labels == c].mean(axis=0)
    normalised: NDArray[np.float64] = normalize(centres)
    return normalised


_CHUNK = 16_384


def segment_rows_of(vectorizer: object, segmented: SegmentedAnswers) -> np.ndarray:
    docs = [" ".join(s.lemmas) for s in segmented.segments]
    if not docs:
        return np.zeros((0, 0))
    # Any vectorizer taking (vectors, documents), MeaningVectorizer by default. In chunks,
    # kept in single precision: on 100,000 answers the float64 rows of every segment at
    # once cost more memory than the rest of the run.
    chunks = [
        np.asarray(
            vectorizer.transform(  # type: ignore[attr-defined]
                (
                    segmented.vectors[start : start + _CHUNK].astype(np.float64),
                    docs[start : start + _CHUNK],
                )
            ),
            dtype=np.float32,
        )
        for start in range(0, len(docs), _CHUNK)
    ]
    rows: np.ndarray = np.vstack(chunks)
    return rows


def memberships_of(
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
        if first < 0:
            # Unclassified stays unclassified: a lone segment near some need is no reason
            # to cite a resident under it without a main need.
            continue
        needs = [first]
        for p in owned[index]:
            c = int(nearest[p])
            if c not in needs and similarity[p, c] >= 0.75 * typical[c] and len(owned[index]) > 1:
                needs.append(c)
        memberships[index] = tuple(needs)
    return memberships


def describe_needs(
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
    keywords_of = _keywords(seg_lemmas, seg_need)
    needs_out = []
    per_theme = Counter(need_theme.get(c, UNCLASSIFIED) for c in range(len(centres)))
    taken_labels = [*need_labeler.labels_.values(), *taken]
    for c in range(len(centres)):
        members = np.flatnonzero(main == c)
        coherence = float((full_rows[members] @ centres[c]).mean()) if len(members) else 0.0
        label = need_labeler.labels_.get(c, "")
        theme = need_theme.get(c, UNCLASSIFIED)
        seed = int(seed_of[theme]) if seed_of is not None and 0 <= theme < len(seed_of) else -1
        if seed >= 0 and per_theme[theme] == 1 and len(members) >= _BROAD_MIN:
            # A vocabulary theme's only need, whose phrase few of its residents say
            # ("Appartement" over 35 answers on housing): it is the theme, named so.
            broad = vocabulary[seed].label(language)
            said = label_support(label, [texts[int(i)] for i in members])
            if said < NAMED_SUPPORT and not any(same_label(broad, t) for t in taken_labels):
                label = broad
        keywords = keywords_of.get(c, ())
        # The central answers, kept when they speak of the need in its own words.
        central = central_quotes(texts, members, full_rows, centres[c], n_quotes=_QUOTE_POOL)
        quotes = about_quotes(texts, central, [int(i) for i in members], label, keywords[:4])
        needs_out.append(
            Need(
                cluster=c,
                label=label,
                keywords=keywords,
                quote_indices=quotes,
                size=sizes[c],
                share=sizes[c] / n_real if n_real else 0.0,
                theme=need_theme.get(c, UNCLASSIFIED),
                coherence=round(coherence, 4),
            )
        )
    needs_out.sort(key=lambda need: (-need.size, need.cluster))
    own_labels = _own_theme_labels(
        labeler,
        seg_texts,
        seg_need,
        segment_rows,
        seg_languages,
        language,
        seg_lemmas,
        need_theme,
        vocabulary,
        seed_of,
    )
    groups = _themes(needs_out, memberships, language, vocabulary, seed_of, n_real, own_labels)
    return needs_out, groups


# Central answers looked at for quotes: the three nearest that speak of the need.
_QUOTE_POOL = 8
# A name names its group when a quarter of its answers say its words (``label_support``):
# below it, a vocabulary theme's only need (of at least ten answers) takes the theme's
# name, and a theme of its own that is the rest of a guided run is set aside.
NAMED_SUPPORT = 0.25
_BROAD_MIN = 10


def _own_theme_labels(
    labeler: PhraseLabeler | None,
    seg_texts: Sequence[str],
    seg_need: np.ndarray,
    segment_rows: np.ndarray,
    seg_languages: Sequence[Language],
    language: Language,
    seg_lemmas: Sequence[Sequence[str]],
    need_theme: dict[int, int],
    vocabulary: Sequence[Theme],
    seed_of: np.ndarray | None,
) -> dict[int, str]:
    """Themes that are no theme of the vocabulary, named like needs from all their
    segments: a theme of its own is what its answers share, not its largest need's name."""

    def seed(theme: int) -> int:
        return int(seed_of[theme]) if seed_of is not None and 0 <= theme < len(seed_of) else -1

    own = {t for t in set(need_theme.values()) if t >= 0 and seed(t) < 0}
    if not own or not len(segment_rows):
        return {}
    seg_theme = np.array(
        [need_theme.get(int(c), UNCLASSIFIED) if c >= 0 else UNCLASSIFIED for c in seg_need],
        dtype=np.int64,
    )
    seg_theme[~np.isin(seg_theme, sorted(own))] = UNCLASSIFIED
    if not np.any(seg_theme >= 0):
        return {}
    named = [vocabulary[seed(t)].label(language) for t in set(need_theme.values()) if seed(t) >= 0]
    theme_labeler = clone(labeler) if labeler is not None else PhraseLabeler()
    theme_labeler.fit(
        seg_texts,
        seg_theme,
        segment_rows,
        centres_of(segment_rows, seg_theme),
        seg_languages,
        language,
        lemmas=seg_lemmas,
        taken=named,
    )
    labels: dict[int, str] = theme_labeler.labels_
    return labels


def _keywords(lemmas: Sequence[Sequence[str]], seg_need: np.ndarray) -> dict[int, tuple[str, ...]]:
    """Each need's most telling lemmas: said by many of its segments and few others
    (class-based TF-IDF), so "soir" or "an", said everywhere, give way to "crèche"."""
    counts: dict[int, Counter[str]] = {}
    everywhere: Counter[str] = Counter()
    for p in np.flatnonzero(seg_need >= 0):
        words = set(lemmas[p])
        counts.setdefault(int(seg_need[p]), Counter()).update(words)
        everywhere.update(words)
    mean = max(1.0, float((seg_need >= 0).sum()) / max(1, len(counts)))

    def ranked(own: Counter[str]) -> tuple[str, ...]:
        weight = {w: n * float(np.log(1 + mean / everywhere[w])) for w, n in own.items()}
        return tuple(sorted(weight, key=lambda w: (-weight[w], w))[:8])

    return {c: ranked(own) for c, own in counts.items()}


def _themes(
    needs: list[Need],
    memberships: list[tuple[int, ...]],
    language: Language,
    vocabulary: Sequence[Theme],
    seed_of: np.ndarray | None,
    n_real: int,
    own_labels: dict[int, str],
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
            # A theme of its own is named from its answers (its largest need's name when
            # they share nothing).
            label, vocabulary_id = own_labels.get(theme) or members[0].label, None
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
