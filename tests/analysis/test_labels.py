"""Need labels: noun phrases built on a head noun, never a time, an amount or a vague word."""

import pytest

from analysis.clustering import label_groups
from analysis.labels import _names_something
from analysis.text import normalise

BUS = [
    "Des bus le soir",
    "Plus de bus le soir s'il vous plaît",
    "Des bus le soir et le dimanche",
    "Le bus le soir ne passe plus",
]
CRECHE = [
    "Une place en crèche",
    "Pas de place en crèche pour mon fils",
    "Des places en crèche, on attend depuis un an",
    "Trouver une place en crèche",
]
NOISE = [
    "Le bruit des bars jusqu'à 2h du matin",
    "Du bruit à 2h du matin tous les week-ends",
    "Trop de bruit la nuit, 2h du matin encore hier",
]


@pytest.fixture(scope="module")
def labels() -> list[str]:
    needs = label_groups(BUS + CRECHE + NOISE, [0] * 4 + [1] * 4 + [2] * 3, language="fr")
    return [normalise(n.label) for n in sorted(needs, key=lambda n: n.cluster)]


def test_label_groups_head_noun_with_its_complement(labels: list[str]) -> None:
    assert labels[:2] == ["bus le soir", "place en creche"]


def test_label_groups_never_a_time_expression(labels: list[str]) -> None:
    assert labels[2].split()[0] == "bruit"


def test_label_groups_labels_differ(labels: list[str]) -> None:
    assert len(set(labels)) == 3


def test_label_groups_never_a_bare_vague_word() -> None:
    # All say "en ligne"; "ligne" alone names nothing (a bus line? a phone line?).
    texts = ["Les démarches en ligne", "Tout en ligne", "En ligne", "Tout se fait en ligne"]
    needs = label_groups(texts, [0] * 4, language="fr")
    assert normalise(needs[0].label) != "ligne"


def test_fallback_clause_never_opens_on_a_link_word_nor_is_only_a_time() -> None:
    assert not _names_something("Par mois".split())
    assert not _names_something("Heure de temps".split())
    assert _names_something("Repas partagés".split())


def test_label_groups_restores_the_accents_of_words_written_without_them() -> None:
    texts = [
        "Des generalistes",
        "Plus de generalistes",
        "Il manque des generalistes",
        "Pas assez de generalistes",
    ]
    needs = label_groups(texts, [0] * 4, language="fr")
    assert needs[0].label == "Généralistes"


def test_label_groups_a_frequency_does_not_complete_a_noun() -> None:
    texts = [
        "Je me fais frôler par les camions tous les matins",
        "Les camions tous les matins devant l'école",
        "Des camions tous les matins, c'est dangereux",
        "Trop de camions tous les matins",
    ]
    needs = label_groups(texts, [0] * 4, language="fr")
    assert "matin" not in normalise(needs[0].label)
