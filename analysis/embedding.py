"""Answers cut into segments and embedded by meaning with the French model's word vectors.

One spaCy pass per language, tokenizer only (``nlp.pipe`` in batches, every trained
component disabled), with lemmas from spaCy's lookup tables: the trained components cost a
hundred times more and the word vectors do not need them.

Each segment is a weighted mean of word vectors (SIF, Arora et al. 2017): a word weighs
``a / (a + p(w))`` where ``p(w)`` is its frequency in general French, read from the vector
table's frequency order through Zipf's law, so "de" weighs almost nothing and "crèche"
almost one. ``CommonComponentRemover`` then takes out the direction that every segment
shares. English words have poor vectors in a French model: the vocabulary's seed pairs
translate English terms into their French counterparts first, so "childcare" lands on
"garde d'enfants"; the other English words weigh by their frequency in English (shipped
in ``analysis/data/english_frequencies.json``), not by their rank in the French table.
"""

from __future__ import annotations

import functools
import json
import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted, validate_data

from analysis.text import (
    FILLER_LEMMAS,
    Language,
    _languages,
    fold_accents,
    is_non_answer,
    load_pipeline,
)

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

    from analysis.themes import Theme

# Every trained component: the tokenizer, lexical attributes and vectors are all we need.
_TRAINED = ("tok2vec", "morphologizer", "attribute_ruler", "lemmatizer", "tagger", "parser")
# Words joining two requests in one answer ("une crèche et une aire de jeux").
_JOINS = frozenset({"et", "aussi", "ainsi", "and", "also", "+", "&", "puis"})
# Marks that open a list item: "1)", "2.", "-", "•", "*".
_LIST_ITEM = re.compile(r"^(?:\d{1,2}[).]|[-•*–])$")
_SENTENCE_END = frozenset({".", "!", "?", ";", "…", "\n"})
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Segment:
    """One request inside an answer: its words, lemmas and weighted vector rows.

    ``rows`` index the French model's vector table; ``weights`` are the SIF weights of the
    same tokens. ``lemmas`` are the content lemmas (accents folded) for keyword features.
    """

    answer: int
    text: str
    lemmas: tuple[str, ...]
    rows: np.ndarray = field(compare=False, repr=False)
    weights: np.ndarray = field(compare=False, repr=False)


@dataclass(frozen=True)
class SegmentedAnswers:
    """Answers cut into segments; ``segments`` of non-answers are empty."""

    texts: list[str]
    languages: list[Language]
    non_answer: np.ndarray
    segments: list[Segment]
    vectors: np.ndarray = field(repr=False)

    def of_answer(self) -> list[list[int]]:
        """Positions in ``segments`` of each answer's segments, answer by answer."""
        owned: list[list[int]] = [[] for _ in self.texts]
        for position, segment in enumerate(self.segments):
            owned[segment.answer].append(position)
        return owned


class _Lexicon:
    """What one loaded French model gives: vector table, Zipf weights, lemma lookups."""

    def __init__(self, smoothing: float) -> None:
        from spacy.lookups import load_lookups

        self.smoothing = smoothing
        # Only English words frequent enough to weigh less than 0.99: the rest weigh one.
        shipped = resources.files("analysis").joinpath("data/english_frequencies.json")
        self.english: dict[str, float] = json.loads(shipped.read_text("utf-8"))["log_probabilities"]
        french = load_pipeline("fr")
        table = french.vocab.vectors
        self.vectors = normalize(np.asarray(table.data, dtype=np.float32))
        self.key2row = table.key2row
        self.strings = french.vocab.strings
        # Keys are stored in decreasing frequency: the position is the frequency rank.
        n = max(2, len(self.key2row))
        harmonic = math.log(n) + 0.5772
        self.harmonic = harmonic
        self.weight: dict[int, float] = {}
        # Unaccented spellings ("creche", "medecin") read as the most frequent accented
        # word they fold to: respondents on phones often skip accents.
        self.folded: dict[str, int] = {}
        for rank, key in enumerate(self.key2row):
            p = 1.0 / ((rank + 1) * harmonic)
            self.weight[key] = smoothing / (smoothing + p)
            if rank < 200_000:
                # Most words are plain ASCII, which folds to its lower case: a quarter
                # of a million Unicode decompositions saved per start.
                text = self.strings[key]
                folded = text.lower() if text.isascii() else fold_accents(text)
                self.folded.setdefault(folded, key)
        self.lemmas = {
            lang: load_lookups(lang, ["lemma_lookup"]).get_table("lemma_lookup")
            for lang in ("fr", "en")
        }

    def english_weight(self, word: str) -> float:
        """SIF weight of an English word from its frequency in general English: the
        French table ranks English words as rare, so "said", "year" or "people" would
        weigh almost one; in English they are common and should weigh little."""
        logprob = self.english.get(word)
        if logprob is None:
            return 1.0
        return self.smoothing / (self.smoothing + math.exp(logprob))

    def among_frequent(self, word: str, rank: int = 100_000) -> bool:
        """Whether ``word`` is among the ``rank`` most frequent entries of the vector
        table: real words are, keyboard slips ("activiter") sit far below."""
        key = self.strings[word] if word in self.strings else None
        if key is None or key not in self.weight:
            return False
        p = 1.0 / ((rank + 1) * self.harmonic)
        return self.weight[key] < self.smoothing / (self.smoothing + p)

    def spelt(self, word: str, *, frequent: bool = True) -> bool:
        """Whether the lower-case ``word`` is spelt as French or English spell it: a
        form or a lemma of either lemma table or, with ``frequent``, among the vector
        table's most frequent entries. The table also holds acronyms ("caf"): leave
        ``frequent`` off to tell an acronym from a word."""
        if word in self._lemma_forms or any(word in table for table in self.lemmas.values()):
            return True
        return frequent and self.among_frequent(word)

    @functools.cached_property
    def _lemma_forms(self) -> frozenset[str]:
        # The tables' values; their keys are hashed forms, looked up one by one.
        forms: set[str] = set()
        for table in self.lemmas.values():
            for lemma in table.values():
                forms.update(lemma if isinstance(lemma, list) else [lemma])
        return frozenset(forms)

    def lemma(self, word: str, language: Language) -> str:
        found = self.lemmas[language].get(word)
        if isinstance(found, list):
            found = found[0] if found else None
        return found or word

    def row(self, *forms: str) -> tuple[int, float]:
        for form in forms:
            key = self.strings[form] if form in self.strings else None
            folded = self.folded.get(fold_accents(form))
            if folded is not None and (
                key is None or self.weight.get(key, 1.0) > self.weight[folded]
            ):
                key = folded
            if key is not None and key in self.key2row:
                return int(self.key2row[key]), self.weight[key]
        return -1, 0.0


_lexicons: dict[float, _Lexicon] = {}
_lock = threading.Lock()


def lexicon(smoothing: float = 1e-3) -> _Lexicon:
    """The word table for the loaded French model, built once per smoothing value."""
    with _lock:
        if smoothing not in _lexicons:
            _lexicons[smoothing] = _Lexicon(smoothing)
        return _lexicons[smoothing]


@dataclass
class _Translations:
    """English seed terms (as lemma tuples) and the French words they stand for."""

    by_length: dict[int, dict[tuple[str, ...], list[str]]]
    # Term lengths longest first (the longest match wins), and the lemmas terms start with.
    lengths: list[int] = field(init=False)
    firsts: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.lengths = sorted(self.by_length, reverse=True)
        self.firsts = frozenset(key[0] for terms in self.by_length.values() for key in terms)

    @classmethod
    def build(cls, themes: Sequence[Theme], lex: _Lexicon) -> _Translations:
        by_length: dict[int, dict[tuple[str, ...], list[str]]] = {}
        for theme in themes:
            for french, english in theme.terms:
                if not (french and english):
                    continue
                words = tuple(lex.lemma(w, "en") for w in re.findall(r"[a-z']+", english.lower()))
                if words:
                    by_length.setdefault(len(words), {})[words] = re.findall(
                        r"[\w'’-]+", french.lower()
                    )
        return cls(by_length)


def _pieces(doc: Doc) -> list[tuple[str, list[int]]]:
    """Candidate segments as (how it began, token positions): sentences, list items, clauses.

    A piece begins with ``"sentence"`` (start, end of sentence, list item), ``"join"`` (a
    joining word such as "et", "aussi", "and") or ``"comma"``.
    """
    pieces: list[tuple[str, list[int]]] = [("sentence", [])]
    for token in doc:
        text = token.text.lower()
        after_break = token.i == 0 or doc[token.i - 1].text in _SENTENCE_END
        if text in _SENTENCE_END or "\n" in token.text or (after_break and _LIST_ITEM.match(text)):
            pieces.append(("sentence", []))
        elif text == ")" and token.i > 0 and doc[token.i - 1].like_num:
            # "1) un médecin 2) un bus": the number opens the next item.
            if pieces[-1][1] and pieces[-1][1][-1] == token.i - 1:
                pieces[-1][1].pop()
            pieces.append(("sentence", []))
        elif text in _JOINS:
            pieces.append(("join", []))
        elif text == ",":
            pieces.append(("comma", []))
        else:
            pieces[-1][1].append(token.i)
    return [(kind, positions) for kind, positions in pieces if positions]


def _is_content(token: Token) -> bool:
    return not (
        token.is_stop or token.is_punct or token.is_space or token.like_num or token.like_url
    )


def _segments_of(
    doc: Doc,
    answer: int,
    language: Language,
    lex: _Lexicon,
    translations: _Translations,
    filler: frozenset[str],
) -> list[Segment]:
    built: list[tuple[list[int], list[str], list[int], list[float]]] = []
    for kind, positions in _pieces(doc):
        words = [doc[i] for i in positions]
        lemmas: list[str] = []
        rows: list[int] = []
        weights: list[float] = []
        english = [lex.lemma(w.text.lower(), "en") for w in words] if language == "en" else []
        k = 0
        while k < len(words):
            token = words[k]
            if english:
                matched = _translate(english, k, translations)
                if matched:
                    span, french = matched
                    for word in french:
                        row, weight = lex.row(word)
                        if row >= 0:
                            rows.append(row)
                            weights.append(weight)
                    lemmas.extend(
                        _NOT_WORD.sub("", fold_accents(lex.lemma(w, "fr"))) for w in french
                    )
                    k += span
                    continue
            k += 1
            if not _is_content(token):
                continue
            lower = token.text.lower()
            lemma = lex.lemma(lower, language)
            folded = _NOT_WORD.sub("", fold_accents(lemma))
            if len(folded) < 2 or not folded.isalpha() or folded in filler:
                continue
            lemmas.append(folded)
            row, weight = lex.row(token.text, lower, lemma)
            if row >= 0:
                rows.append(row)
                weights.append(lex.english_weight(lower) if language == "en" else weight)
        if not lemmas:
            continue
        # A clause after a comma or a joining word stands alone when it names something
        # (a word of some weight) and, after a comma, is short like a list item ("santé,
        # transport, logement"); a longer comma clause explains what came before it.
        strong = any(w >= 0.5 for w in weights) or (not rows and len(lemmas) >= 1)
        alone = kind == "sentence" or (strong and (kind == "join" or len(positions) <= 5))
        if alone and built and kind == "join" and _alike(built[-1][2], rows, lex):
            # "le soir et le week-end": two words for one request.
            alone = False
        if built and not alone:
            previous = built[-1]
            previous[0].extend(positions)
            previous[1].extend(lemmas)
            previous[2].extend(rows)
            previous[3].extend(weights)
            continue
        built.append((positions, lemmas, rows, weights))
    segments = []
    for positions, lemmas, rows, weights in built:
        start = doc[min(positions)].idx
        end_token = doc[max(positions)]
        segments.append(
            Segment(
                answer=answer,
                text=doc.text[start : end_token.idx + len(end_token.text)].strip(),
                lemmas=tuple(lemmas),
                rows=np.asarray(rows, dtype=np.int64),
                weights=np.asarray(weights, dtype=np.float32),
            )
        )
    return segments


def _alike(first: list[int], second: list[int], lex: _Lexicon, limit: float = 0.45) -> bool:
    if not first or not second:
        return False
    a = lex.vectors[first].mean(axis=0)
    b = lex.vectors[second].mean(axis=0)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12)) >= limit


def _translate(
    lemmas: Sequence[str], k: int, translations: _Translations
) -> tuple[int, list[str]] | None:
    """The longest seed term starting at ``lemmas[k]`` and the French words it stands for."""
    if lemmas[k] not in translations.firsts:
        return None
    for length in translations.lengths:
        if k + length > len(lemmas):
            continue
        french = translations.by_length[length].get(tuple(lemmas[k : k + length]))
        if french:
            return length, french
    return None


def segment_answers(
    texts: Sequence[str | None],
    language: Language | str = "auto",
    *,
    themes: Sequence[Theme] = (),
    batch_size: int = 512,
    smoothing: float = 1e-3,
    filler: frozenset[str] = FILLER_LEMMAS,
) -> SegmentedAnswers:
    """Cut answers into segments and give each its SIF mean of word vectors.

    ``vectors`` holds one row per segment (not yet centred: see ``CommonComponentRemover``);
    a segment without any known word has a zero row. An answer left with no segment counts
    as a non-answer.
    """
    raw = ["" if t is None else str(t) for t in texts]
    languages = _languages(raw, language)
    lex = lexicon(smoothing)
    translations = _Translations.build(themes, lex)
    per_answer: list[list[Segment]] = [[] for _ in raw]
    for lang in ("fr", "en"):
        positions = [i for i, t in enumerate(raw) if languages[i] == lang and not is_non_answer(t)]
        if not positions:
            continue
        nlp = load_pipeline(lang)
        disabled = [name for name in _TRAINED if name in nlp.pipe_names]
        docs = nlp.pipe((raw[i] for i in positions), batch_size=batch_size, disable=disabled)
        for i, doc in zip(positions, docs, strict=True):
            per_answer[i] = _segments_of(doc, i, lang, lex, translations, filler)
    segments = [s for group in per_answer for s in group]
    vectors = np.zeros((len(segments), lex.vectors.shape[1]), dtype=np.float32)
    for position, segment in enumerate(segments):
        if len(segment.rows):
            vectors[position] = segment.weights @ lex.vectors[segment.rows] / len(segment.rows)
    return SegmentedAnswers(
        texts=raw,
        languages=languages,
        non_answer=np.array([not group for group in per_answer], dtype=bool),
        segments=segments,
        vectors=vectors,
    )


def embed_terms(terms: Sequence[str], smoothing: float = 1e-3) -> np.ndarray:
    """SIF mean vector of each French term (zero row when no word of it is known)."""
    lex = lexicon(smoothing)
    out = np.zeros((len(terms), lex.vectors.shape[1]), dtype=np.float32)
    for position, term in enumerate(terms):
        rows, weights = [], []
        for word in re.findall(r"[\w'’-]+", term.lower()):
            row, weight = lex.row(word, lex.lemma(word, "fr"))
            if row >= 0:
                rows.append(row)
                weights.append(weight)
        if rows:
            out[position] = np.asarray(weights) @ lex.vectors[rows] / len(rows)
    return out


class CommonComponentRemover(TransformerMixin, BaseEstimator):
    """Remove the first ``n_components`` principal directions, then L2-normalise (SIF).

    The directions are learned on the rows given to ``fit`` (uncentred, as in SIF): they
    carry what every short answer shares (syntax, frequent words), not what it is about.
    """

    def __init__(self, n_components: int = 1) -> None:
        self.n_components = n_components

    def fit(self, X: object, y: object = None) -> CommonComponentRemover:
        rows: NDArray[np.floating[Any]] = validate_data(self, X, dtype=[np.float64, np.float32])
        k = min(self.n_components, rows.shape[1] - 1, rows.shape[0] - 1)
        if k >= 1:
            svd = TruncatedSVD(k, algorithm="arpack" if min(rows.shape) > k + 1 else "randomized")
            self.components_: NDArray[np.floating[Any]] = svd.fit(rows).components_
        else:
            self.components_ = np.zeros((0, rows.shape[1]))
        return self

    def transform(self, X: object) -> NDArray[np.float64]:
        check_is_fitted(self, "components_")
        rows = np.asarray(
            validate_data(self, X, dtype=[np.float64, np.float32], reset=False), dtype=np.float64
        )
        if len(self.components_):
            rows = rows - (rows @ self.components_.T) @ self.components_
        normalised: NDArray[np.float64] = normalize(rows)
        return normalised
