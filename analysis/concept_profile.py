"""``ConceptProfile``, the matching stage that links words neither spelling nor co-occurrence
tie (``bus`` / ``covoiturage``): a small hand-written lexicon of the themes local needs and
offers share (getting around, health, childhood, isolation…), and texts profiled by it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from analysis.words import fold, word_counts

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
        counts, words = word_counts(texts, fold)
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
