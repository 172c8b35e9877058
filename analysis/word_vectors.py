"""``WordVectors``, the matching stage that brings near meanings together (``médecin`` /
``soins``): the mean static word vector of the content words (spaCy's ``fr_core_news_md``
vectors); and ``NoVectors``, its do-nothing stand-in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from analysis.words import word_counts

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.vocab import Vocab


class WordVectors(TransformerMixin, BaseEstimator):
    """Texts → mean static vector of their content words, centred and L2-normalised.

    ``nlp`` is a loaded spaCy pipeline with vectors; ``None`` loads the French model once.
    Centring on the fitted texts' mean removes what every short French text shares.
    """

    def __init__(self, nlp: Language | None = None) -> None:
        self.nlp = nlp

    def _vocab(self) -> tuple[Vocab, set[str]]:
        if self.nlp is not None:
            return self.nlp.vocab, self.nlp.Defaults.stop_words
        from analysis.text import load_pipeline

        nlp = load_pipeline("fr")
        return nlp.vocab, nlp.Defaults.stop_words

    def _raw(self, texts: Sequence[str]) -> np.ndarray:
        vocab, stop = self._vocab()
        width = vocab.vectors.shape[1]
        counts, words = word_counts(texts, str.lower)
        table = np.zeros((len(words), width), dtype=np.float32)
        for position, word in enumerate(words):
            if (
                len(word) >= 3
                and word not in stop
                and not word.isdigit()
                and vocab.has_vector(word)
            ):
                table[position] = vocab.get_vector(word)
        known = (np.abs(table).sum(axis=1) > 0).astype(np.float32)
        n = np.asarray(counts @ known).ravel()
        total = np.asarray(counts @ table)
        mean: np.ndarray = np.divide(
            total, n[:, None], out=np.zeros_like(total), where=n[:, None] > 0
        )
        return mean

    def fit(self, texts: Sequence[str], y: object = None) -> WordVectors:
        raw = self._raw(texts)
        present = raw[np.abs(raw).sum(axis=1) > 0]
        self.mean_ = present.mean(axis=0) if len(present) else np.zeros(raw.shape[1], np.float32)
        return self

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        check_is_fitted(self, "mean_")
        raw = self._raw(texts)
        empty = np.abs(raw).sum(axis=1) == 0
        centred = raw - self.mean_
        centred[empty] = 0.0
        vectors: np.ndarray = normalize(centred)
        return vectors


class NoVectors(TransformerMixin, BaseEstimator):
    """The do-nothing stand-in for ``WordVectors`` (no spaCy model at hand)."""

    def fit(self, texts: Sequence[str], y: object = None) -> NoVectors:
        self.fitted_ = True
        return self

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        return np.zeros((len(texts), 1), dtype=np.float32)
