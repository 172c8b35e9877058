"""Matching needs and offers: which actors of the territory may answer each need.

Three views of meaning are mixed, each a swappable stage with ``fit``/``transform``:
``StemTfidf`` (``analysis.stem_tfidf``, word forms), ``WordVectors``
(``analysis.word_vectors``, near meanings) and ``ConceptProfile``
(``analysis.concept_profile``, a lexicon of shared themes).

``OfferMatcher`` adds the weighted cosines and a bonus for the same neighbourhood, ranks the
offers of each need, and names the offer line that answers it best as the reason.
``TfidfCosine`` is the plain reference: word TF-IDF and cosine. ``hit_at`` and
``mean_reciprocal_rank`` measure a ranking against the offers known to answer each need.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, Self

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from analysis.concept_profile import ConceptProfile
from analysis.stem_tfidf import StemTfidf
from analysis.word_vectors import WordVectors
from analysis.words import fold

# A texts × features matrix: sparse from TF-IDF, dense from word vectors and the lexicon.
Matrix = np.ndarray | sparse.csr_matrix


class TextTransformer(Protocol):
    """A stage of ``OfferMatcher``: fitted on texts, it turns texts into a matrix."""

    def fit(self, texts: Sequence[str], y: object = None) -> Self: ...

    def transform(self, texts: Sequence[str]) -> Matrix: ...

    def fit_transform(self, texts: Sequence[str], y: object = None) -> Matrix: ...


def _cosine(a: Matrix, b: Matrix) -> np.ndarray:
    product = a @ b.T
    if isinstance(product, np.ndarray):
        return np.asarray(product)
    return np.asarray(product.toarray())


@dataclass(frozen=True)
class Match:
    """One suggested offer for a need: its row, rank (1 = best), score and reason."""

    need: int
    rank: int
    actor: int
    score: float
    reason: str
    same_place: bool


class OfferMatcher(BaseEstimator):
    """Rank the offers (one text per actor, one offer per line) for each need.

    ``place_bonus`` is added when the need's and the actor's places are the same, half of it
    when the actor has no place (it serves the whole territory). ``min_score`` drops weak
    suggestions rather than padding a list with noise.
    """

    def __init__(
        self,
        *,
        tfidf: TextTransformer | None = None,
        vectors: TextTransformer | None = None,
        concepts: TextTransformer | None = None,
        tfidf_weight: float = 0.4,
        vector_weight: float = 0.25,
        concept_weight: float = 0.35,
        place_bonus: float = 0.08,
        min_score: float = 0.05,
    ) -> None:
        self.tfidf = tfidf
        self.vectors = vectors
        self.concepts = concepts
        self.tfidf_weight = tfidf_weight
        self.vector_weight = vector_weight
        self.concept_weight = concept_weight
        self.place_bonus = place_bonus
        self.min_score = min_score

    def fit(
        self,
        offers: Sequence[str],
        places: Sequence[str] | None = None,
        taught: Sequence[Sequence[str]] | None = None,
    ) -> OfferMatcher:
        """Learn the offers; ``taught`` holds, per offer, the needs staff confirmed it for:
        they count in its score but are never given as its reason."""
        offers = [str(o or "") for o in offers]
        self.tfidf_: TextTransformer = clone(self.tfidf) if self.tfidf is not None else StemTfidf()
        vectors = clone(self.vectors) if self.vectors is not None else WordVectors()
        self.vectors_: TextTransformer = vectors.fit(offers)
        self.concepts_: TextTransformer = (
            clone(self.concepts) if self.concepts is not None else ConceptProfile()
        ).fit(offers)
        self.offers_ = offers
        # Each offer line is scored once here, so that naming the reason costs a lookup.
        lines: list[str] = []
        owners: list[int] = []
        offered: list[bool] = []
        for index, text in enumerate(offers):
            parts = [p.strip() for p in text.split("\n") if p.strip()] or [""]
            extra = [str(t).strip() for t in (taught[index] if taught else []) if str(t).strip()]
            lines.extend([*parts, *extra])
            owners.extend([index] * (len(parts) + len(extra)))
            offered.extend([True] * len(parts) + [False] * len(extra))
        self.lines_ = lines
        self.line_owner_ = np.asarray(owners, dtype=np.int64)
        self.line_offered_ = np.asarray(offered, dtype=bool)
        # Document frequencies over lines: a word in every line of one offer is not common.
        self.line_tfidf_ = self.tfidf_.fit_transform(lines)
        self.line_concepts_ = self.concepts_.transform(lines)
        self.offer_tfidf_ = normalize(_sum_rows(self.line_tfidf_, self.line_owner_, len(offers)))
        self.offer_concepts_ = normalize(
            _sum_rows(self.line_concepts_, self.line_owner_, len(offers))
        )
        self.offer_vectors_ = self.vectors_.transform(
            ["\n".join([o, *(taught[i] if taught else [])]) for i, o in enumerate(offers)]
        )
        self.places_ = np.array([fold(p or "").strip() for p in (places or [""] * len(offers))])
        return self

    def _need_views(self, needs: Sequence[str]) -> tuple[Matrix, Matrix, Matrix]:
        needs = [str(n or "") for n in needs]
        return (
            self.tfidf_.transform(needs),
            self.vectors_.transform(needs),
            self.concepts_.transform(needs),
        )

    def _scores(
        self, views: tuple[Matrix, Matrix, Matrix], places: Sequence[str] | None
    ) -> np.ndarray:
        tfidf, vectors, concepts = views
        scores = self.tfidf_weight * _cosine(tfidf, self.offer_tfidf_)
        scores += self.vector_weight * np.clip(_cosine(vectors, self.offer_vectors_), 0.0, None)
        scores += self.concept_weight * _cosine(concepts, self.offer_concepts_)
        if places is not None and self.place_bonus:
            wanted = np.array([fold(p or "").strip() for p in places])
            same = (wanted[:, None] == self.places_[None, :]) & (wanted[:, None] != "")
            anywhere = (self.places_ == "")[None, :] & (wanted[:, None] != "")
            scores += self.place_bonus * same + (self.place_bonus / 2) * anywhere
        return scores.astype(np.float64)

    def score(self, needs: Sequence[str], places: Sequence[str] | None = None) -> np.ndarray:
        """Needs × offers matrix of scores (higher is better)."""
        check_is_fitted(self, "offers_")
        return self._scores(self._need_views(needs), places)

    def rank(
        self, needs: Sequence[str], places: Sequence[str] | None = None, top: int = 3
    ) -> list[list[Match]]:
        """The ``top`` best offers of each need, best first, each with its reason."""
        check_is_fitted(self, "offers_")
        views = self._need_views(needs)
        scores = self._scores(views, places)
        wanted = [fold(p or "").strip() for p in places] if places is not None else None
        k = max(0, min(top, scores.shape[1]))
        results: list[list[Match]] = []
        for i, row in enumerate(scores):
            matches: list[Match] = []
            if k:
                best = np.argpartition(-row, k - 1)[:k]
                best = best[np.lexsort((best, -row[best]))]
                for rank, j in enumerate(best.tolist(), start=1):
                    if row[j] < self.min_score:
                        break
                    same = bool(wanted and wanted[i] and wanted[i] == self.places_[j])
                    reason = self._reason(views[0][i], views[2][i], j)
                    matches.append(Match(i, rank, j, float(row[j]), reason, same))
            results.append(matches)
        return results

    def _reason(self, tfidf: Matrix, concepts: Matrix, actor: int) -> str:
        rows = np.flatnonzero((self.line_owner_ == actor) & self.line_offered_)
        if len(rows) == 1:
            return self.lines_[int(rows[0])]
        # The name (first line) says who, not what: a reason is one of the offer lines.
        candidates = rows[1:]
        scores = self.tfidf_weight * _cosine(tfidf, self.line_tfidf_[candidates])[0]
        scores += self.concept_weight * (self.line_concepts_[candidates] @ concepts)
        return self.lines_[int(candidates[int(np.argmax(scores))])]

    def reason(self, need: str, actor: int) -> str:
        """The line of the actor's offer that answers the need best."""
        check_is_fitted(self, "offers_")
        tfidf, _, concepts = self._need_views([need])
        return self._reason(tfidf[0], concepts[0], actor)


def _sum_rows(matrix: Matrix, owners: np.ndarray, n: int) -> Matrix:
    """Rows of ``matrix`` added up per owner (lines → their offer)."""
    gather = sparse.csr_matrix(
        (np.ones(len(owners), dtype=np.float32), (owners, np.arange(len(owners)))),
        shape=(n, len(owners)),
    )
    result: Matrix = gather @ matrix
    return result


class TfidfCosine(BaseEstimator):
    """The reference: word TF-IDF fitted on the offers, cosine similarity, nothing else."""

    def fit(self, offers: Sequence[str], places: Sequence[str] | None = None) -> TfidfCosine:
        self.vectorizer_ = TfidfVectorizer().fit(offers)
        self.offer_matrix_ = self.vectorizer_.transform(offers)
        return self

    def score(self, needs: Sequence[str], places: Sequence[str] | None = None) -> np.ndarray:
        check_is_fitted(self, "vectorizer_")
        return _cosine(self.vectorizer_.transform(needs), self.offer_matrix_)


def hit_at(scores: np.ndarray, relevant: Sequence[set[int]], k: int = 3) -> float:
    """Share of needs with a relevant offer among their ``k`` best (ties by row order)."""
    hits = 0
    for row, right in zip(scores, relevant, strict=True):
        order = np.lexsort((np.arange(len(row)), -row))[:k]
        hits += bool(right & set(order.tolist()))
    return hits / len(relevant) if relevant else 0.0


def mean_reciprocal_rank(scores: np.ndarray, relevant: Sequence[set[int]]) -> float:
    """Mean over needs of 1 / rank of the first relevant offer (0 when there is none)."""
    total = 0.0
    for row, right in zip(scores, relevant, strict=True):
        order = np.lexsort((np.arange(len(row)), -row)).tolist()
        ranks = [order.index(j) + 1 for j in right if j < len(row)]
        total += 1.0 / min(ranks) if ranks else 0.0
    return total / len(relevant) if relevant else 0.0
