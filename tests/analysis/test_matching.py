"""Matching needs and offers on tiny hand-written corpora."""

from __future__ import annotations

import numpy as np
from sklearn.base import clone

from analysis.concept_profile import ConceptProfile
from analysis.matching import OfferMatcher, TfidfCosine, hit_at, mean_reciprocal_rank
from analysis.stem_tfidf import StemTfidf
from analysis.word_vectors import NoVectors, WordVectors
from analysis.words import fold

OFFERS = [
    "Crèche des Lilas\nAccueil des enfants de 3 mois à 3 ans",
    "Covoit'Quartier\nMise en relation de covoitureurs\nTrajets vers la gare",
    "Épicerie La Marmite\nProduits alimentaires à petit prix",
    "Maison de santé\nConsultations de médecine générale",
]


def test_matcher_links_a_need_to_an_offer_sharing_no_word() -> None:
    need = ["Un bus qui passe après vingt heures"]
    reference = TfidfCosine().fit(OFFERS).score(need)[0]
    assert reference.max() == 0.0  # not one word in common with any offer
    ranked = OfferMatcher(vectors=NoVectors()).fit(OFFERS).rank(need, top=2)[0]
    assert ranked[0].actor == 1
    assert ranked[0].rank == 1


def test_matcher_reason_is_the_offer_line_that_answers() -> None:
    matcher = OfferMatcher(vectors=NoVectors()).fit(OFFERS)
    assert matcher.reason("Aller à la gare sans voiture", 1) == "Trajets vers la gare"
    assert matcher.rank(["un médecin traitant"], top=1)[0][0].reason == (
        "Consultations de médecine générale"
    )


def test_matcher_puts_the_same_neighbourhood_first() -> None:
    offers = ["Aide aux devoirs\nSoutien scolaire", "Aide aux devoirs\nSoutien scolaire"]
    matcher = OfferMatcher(vectors=NoVectors()).fit(offers, ["bissy", "biollay"])
    for place, expected in (("Biollay", 1), ("bissy", 0)):
        first = matcher.rank(["aide pour les devoirs des enfants"], [place], top=2)[0][0]
        assert (first.actor, first.same_place) == (expected, True)


def test_matcher_drops_suggestions_below_min_score() -> None:
    matcher = OfferMatcher(vectors=NoVectors(), min_score=0.2).fit(OFFERS)
    assert matcher.rank(["xyzzy plugh"], top=3) == [[]]


def test_matcher_is_a_cloneable_estimator() -> None:
    matcher = OfferMatcher(tfidf=StemTfidf(length=5), place_bonus=0.2)
    copy = clone(matcher)
    assert copy.get_params()["place_bonus"] == 0.2
    assert copy.get_params()["tfidf"].length == 5


def test_concept_profile_custom_lexicon() -> None:
    profile = ConceptProfile({"eau": ("piscin", "nage", "spa")}).fit([])
    matrix = profile.transform(["La piscine", "nager le matin", "le spa", "spatial"])
    assert matrix.shape == (4, 1)
    assert matrix[:, 0].tolist() == [1.0, 1.0, 1.0, 0.0]


def test_word_vectors_bring_near_meanings_together() -> None:
    vectors = WordVectors().fit(OFFERS)
    doctor, care, bakery = vectors.transform(["médecin", "soins infirmiers", "boulangerie"])
    assert float(doctor @ care) > float(doctor @ bakery)


def test_fold_removes_french_accents() -> None:
    assert fold("Crèche ŒUVRE Noël à l’école") == "creche oeuvre noel a l'ecole"


def test_hit_at_and_mrr() -> None:
    scores = np.array([[0.9, 0.5, 0.1], [0.2, 0.1, 0.8], [0.3, 0.2, 0.1]])
    relevant = [{1}, {2}, {2}]
    assert hit_at(scores, relevant, k=1) == 1 / 3
    assert hit_at(scores, relevant, k=2) == 2 / 3
    assert mean_reciprocal_rank(scores, relevant) == (1 / 2 + 1 + 1 / 3) / 3


def test_matcher_taught_lines_count_but_are_never_the_reason() -> None:
    offers = ["Centre social\nAteliers cuisine\nSorties familles", "Club photo\nSorties photo"]
    taught = [["Bus le soir pour remonter"], []]
    plain = OfferMatcher(vectors=NoVectors()).fit(offers)
    matcher = OfferMatcher(vectors=NoVectors()).fit(offers, taught=taught)
    need = ["Un bus le soir"]
    assert matcher.score(need)[0][0] > plain.score(need)[0][0]
    assert matcher.reason(need[0], 0) in {"Ateliers cuisine", "Sorties familles"}
