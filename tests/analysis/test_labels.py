"""Need labels: noun phrases built on a head noun, never a time, an amount or a vague word."""

import pytest

from analysis.clustering import label_groups
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
