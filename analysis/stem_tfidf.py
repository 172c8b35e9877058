"""``StemTfidf``, the matching stage that joins French word forms without a lemmatizer:
TF-IDF over accent-folded words cut to six letters (``accompagner`` / ``accompagnement``)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from analysis.words import fold

_WORD = re.compile(r"\w+")

# Short words that carry no offer or need in French answers (the rest is left to IDF).
_STOP = frozenset(
    "les des une pour dans avec sur par pas plus que qui est sont aux ces son ses elle ils "
    "nous vous mais tout tous leur leurs cette comme fait faire avoir etre tres bien peu "
    "rien chez".split()
)


class StemAnalyzer:
    """Words of a text, accents folded, cut to their first ``length`` letters: a crude
    French stemmer that joins ``accompagner`` and ``accompagnement`` at no cost."""

    def __init__(self, length: int = 6) -> None:
        self.length = length

    def __call__(self, text: str) -> list[str]:
        n = self.length
        return [w[:n] for w in _WORD.findall(fold(text)) if len(w) > 2 and w not in _STOP]


class StemTfidf(TransformerMixin, BaseEstimator):
    """Texts → TF-IDF of their stemmed words (see ``StemAnalyzer``)."""

    def __init__(self, length: int = 6) -> None:
        self.length = length

    def fit(self, texts: Sequence[str], y: object = None) -> StemTfidf:
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: Sequence[str], y: object = None) -> sparse.csr_matrix:
        self.vectorizer_ = TfidfVectorizer(
            analyzer=StemAnalyzer(self.length), sublinear_tf=True, dtype=np.float32
        )
        weights: sparse.csr_matrix = self.vectorizer_.fit_transform(texts)
        return weights

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        check_is_fitted(self, "vectorizer_")
        weights: sparse.csr_matrix = self.vectorizer_.transform(texts)
        return weights
