"""Matching needs and offers: which actors of the territory may answer each need.

Three views of meaning are mixed, each a swappable stage with ``fit``/``transform``:

- ``StemTfidf``: TF-IDF over accent-folded words cut to six letters, which matches French
  word forms (``accompagner`` / ``accompagnement``) without a lemmatizer;
- ``WordVectors``: the mean static word vector of the content words (spaCy's
  ``fr_core_news_md`` vectors), which brings near meanings together (``médecin`` / ``soins``);
- ``ConceptProfile``: a small hand-written lexicon of the themes local needs and offers
  share (getting around, health, childhood, isolation…), which links words that neither
  spelling nor co-occurrence tie (``bus`` / ``covoiturage``).

``OfferMatcher`` adds the weighted cosines and a bonus for the same neighbourhood, ranks the
offers of each need, and names the offer line that answers it best as the reason.
``TfidfCosine`` is the plain reference: word TF-IDF and cosine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, Self

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from analysis.text import fold_accents

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.vocab import Vocab

# A texts × features matrix: sparse from TF-IDF, dense from word vectors and the lexicon.
Matrix = np.ndarray | sparse.csr_matrix


class TextTransformer(Protocol):
    """A stage of ``OfferMatcher``: fitted on texts, it turns texts into a matrix."""

    def fit(self, texts: Sequence[str], y: object = None) -> Self: ...

    def transform(self, texts: Sequence[str]) -> Matrix: ...

    def fit_transform(self, texts: Sequence[str], y: object = None) -> Matrix: ...

_WORD = re.compile(r"\w+")
# Theme → word beginnings (accent-folded). A word matches a stem it starts with; stems of
# three letters or fewer must match the whole word.
CONCEPTS: dict[str, tuple[str, ...]] = {
    "mobilite": (
        "bus",
        "transport",
        "navette",
        "covoitur",
        "voiture",
        "vehicul",
        "conduire",
        "conduis",
        "chauffeur",
        "trajet",
        "deplac",
        "velo",
        "cyclab",
        "mobilit",
        "gare",
        "ligne",
        "arret",
        "tram",
        "taxi",
        "emmen",
        "ramen",
        "amener",
        "permis",
        "minibus",
        "rendez",
        "rdv",
        "remonter",
        "descend",
    ),
    "sante": (
        "medecin",
        "sante",
        "soin",
        "infirmi",
        "pharmac",
        "hopita",
        "docteur",
        "generalist",
        "dentist",
        "kine",
        "psycholog",
        "maladi",
        "malade",
        "medica",
        "consultation",
        "ordonnanc",
        "mutuell",
        "ameli",
        "cpam",
        "prevention",
        "depistag",
        "vaccin",
    ),
    "enfance": (
        "creche",
        "enfant",
        "bebe",
        "garde",
        "nounou",
        "ecole",
        "periscol",
        "devoir",
        "scolair",
        "parent",
        "famil",
        "puericult",
        "halte",
        "maternell",
        "petits",
        "gosse",
        "mercredi",
        "ludothe",
    ),
    "jeunesse": (
        "ado",
        "ados",
        "adolesc",
        "jeune",
        "jeunesse",
        "etudiant",
        "lyceen",
        "colleg",
    ),
    "isolement": (
        "seul",
        "seule",
        "isol",
        "solitud",
        "compagni",
        "visite",
        "convivia",
        "lien",
        "rencontr",
        "discut",
        "parler",
        "cafe",
        "voisin",
        "ecoute",
        "amiti",
        "entraide",
        "bavard",
        "papot",
        "personne",
    ),
    "aines": (
        "age",
        "agee",
        "agees",
        "ancien",
        "senior",
        "retrait",
        "vieux",
        "vieill",
        "aine",
        "domicile",
        "portage",
        "ehpad",
        "dependan",
        "autonomi",
    ),
    "logement": (
        "logement",
        "loger",
        "hlm",
        "loyer",
        "appartement",
        "habitat",
        "bailleur",
        "renov",
        "insalub",
        "humid",
        "chauffag",
        "expuls",
        "heberg",
        "demenag",
        "locatai",
        "proprio",
        "moisi",
        "isolation",
        "energ",
        "factur",
    ),
    "numerique": (
        "internet",
        "informati",
        "ordinateur",
        "numeriq",
        "smartphon",
        "mail",
        "ligne",
        "demarch",
        "dossier",
        "administr",
        "caf",
        "impot",
        "formulair",
        "box",
        "imprim",
        "tablett",
        "wifi",
        "ecrivain",
        "papier",
        "portabl",
        "site",
    ),
    "alimentation": (
        "epicer",
        "aliment",
        "repas",
        "manger",
        "nourri",
        "course",
        "legum",
        "fruit",
        "panier",
        "cuisin",
        "cantin",
        "faim",
        "colis",
        "supermarch",
        "restaur",
        "frigo",
        "vrac",
        "bio",
        "amap",
        "produit",
    ),
    "commerces": (
        "boulang",
        "commerc",
        "magasin",
        "boutiqu",
        "supermarch",
        "marche",
        "poste",
        "banque",
        "distributeur",
        "dab",
        "epicer",
        "pain",
        "boucher",
        "tabac",
        "presse",
    ),
    "emploi": (
        "emploi",
        "travail",
        "boulot",
        "chomag",
        "job",
        "cv",
        "entretien",
        "embauch",
        "insertion",
        "formation",
        "stage",
        "apprenti",
        "metier",
        "recrut",
        "chantier",
        "alternanc",
        "benevol",
    ),
    "culture": (
        "cultur",
        "loisir",
        "sport",
        "activit",
        "club",
        "theatr",
        "musiq",
        "cinema",
        "bibliothe",
        "mediathe",
        "lectur",
        "livre",
        "atelier",
        "fete",
        "animation",
        "jeu",
        "jeux",
        "danse",
        "concert",
        "spectacl",
        "exposit",
        "salle",
        "local",
    ),
    "espaces_verts": (
        "parc",
        "jardin",
        "vert",
        "verte",
        "arbre",
        "banc",
        "bancs",
        "square",
        "nature",
        "fleur",
        "potager",
        "pelouse",
        "ombre",
        "compost",
        "plantat",
        "planter",
    ),
    "securite": (
        "securi",
        "eclair",
        "lumier",
        "lampadair",
        "nuit",
        "peur",
        "agress",
        "police",
        "deal",
        "vol",
        "cambriol",
        "incivil",
        "noir",
        "mediateur",
        "tranquill",
    ),
    "proprete": (
        "propre",
        "dechet",
        "poubell",
        "ordur",
        "crott",
        "sale",
        "salete",
        "encombrant",
        "tri",
        "recycl",
        "nettoy",
        "tag",
        "tags",
        "ramass",
        "degrad",
    ),
    "accessibilite": (
        "fauteuil",
        "handicap",
        "trottoir",
        "accessib",
        "rampe",
        "ascenseur",
        "pmr",
        "poussett",
        "aveugl",
        "malvoyant",
        "sourd",
        "canne",
        "marches",
        "escalier",
        "pente",
    ),
    "reparation": (
        "repar",
        "bricol",
        "outil",
        "depann",
        "recycler",
        "reemploi",
        "couture",
        "recoudre",
    ),
}


_FOLD = str.maketrans(
    {
        **{c: "a" for c in "àâäáãå"},
        **{c: "e" for c in "éèêë"},
        **{c: "i" for c in "îïíì"},
        **{c: "o" for c in "ôöóòõ"},
        **{c: "u" for c in "ûüùú"},
        "ç": "c",
        "ñ": "n",
        "ÿ": "y",
        "œ": "oe",
        "æ": "ae",
        "’": "'",
    }
)


def fold(text: str) -> str:
    """Lower case, no accents: the form every stage compares.

    French letters go through a translation table (this runs on every word of every offer);
    anything else still outside ASCII takes the full Unicode decomposition.
    """
    folded = text.lower().translate(_FOLD)
    return folded if folded.isascii() else fold_accents(folded)


def _concept_index(
    concepts: dict[str, tuple[str, ...]],
) -> tuple[dict[str, list[int]], list[tuple[str, int]]]:
    exact: dict[str, list[int]] = {}
    prefixes: list[tuple[str, int]] = []
    for index, stems in enumerate(concepts.values()):
        for stem in stems:
            if len(stem) <= 3:
                exact.setdefault(stem, []).append(index)
            else:
                prefixes.append((stem, index))
    return exact, prefixes


class ConceptProfile(TransformerMixin, BaseEstimator):
    """Texts → L2-normalised counts of the lexicon's themes their words belong to.

    ``concepts`` maps a theme to word beginnings; ``None`` is the built-in ``CONCEPTS``.
    """

    def __init__(self, concepts: dict[str, tuple[str, ...]] | None = None) -> None:
        self.concepts = concepts

    def fit(self, texts: Sequence[str], y: object = None) -> ConceptProfile:
        lexicon = self.concepts or CONCEPTS
        self.names_ = list(lexicon)
        self.exact_, self.prefixes_ = _concept_index(lexicon)
        self.cache_: dict[str, tuple[int, ...]] = {}
        return self

    def _word(self, word: str) -> tuple[int, ...]:
        found = self.cache_.get(word)
        if found is None:
            hits = set(self.exact_.get(word, ()))
            hits.update(index for stem, index in self.prefixes_ if word.startswith(stem))
            found = self.cache_[word] = tuple(sorted(hits))
        return found

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        check_is_fitted(self, "names_")
        counts, words = _word_counts(texts, fold)
        rows: list[int] = []
        cols: list[int] = []
        for position, word in enumerate(words):
            for index in self._word(word):
                rows.append(position)
                cols.append(index)
        themes = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)),
            shape=(len(words), len(self.names_)),
        )
        profiles: np.ndarray = normalize(np.asarray((counts @ themes).todense(), dtype=np.float32))
        return profiles


def _word_counts(
    texts: Sequence[str], preprocessor: Callable[[str], str]
) -> tuple[sparse.csr_matrix, list[str]]:
    """Texts × words counts and the words, in one vectorised pass (no Python loop per word)."""
    vectorizer = CountVectorizer(
        preprocessor=preprocessor,
        token_pattern=r"(?u)\b\w+\b",  # noqa: S106 - a regular expression
        dtype=np.float32,
    )
    try:
        counts: sparse.csr_matrix = vectorizer.fit_transform(texts)
    except ValueError:  # only empty texts: no word at all
        return sparse.csr_matrix(np.zeros((len(texts), 0), dtype=np.float32)), []
    return counts, list(vectorizer.get_feature_names_out())


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
        counts, words = _word_counts(texts, str.lower)
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
