"""Residents' offers as plain data: hours summed up, kinds of help matched to needs."""

from __future__ import annotations

from analysis.offers import Availability, availability, kinds_for_needs

KINDS = [
    "Faire les courses des personnes âgées\nPorter les courses des anciens\nCourses le samedi",
    "Cours de français\nDonner des cours de français aux nouveaux arrivants",
    "Bricolage\nPrêter mes outils : perceuse, échelle",
]


def test_availability_skips_blanks_and_zeros() -> None:
    assert availability([4, None, 2, 0, 6]) == Availability(3, 12.0, 4.0)
    assert availability([]) == Availability(0, 0.0, None)


def test_kinds_for_needs_puts_the_kind_that_answers_first() -> None:
    needs = [
        "Quelqu'un pour faire les courses de ma voisine âgée",
        "Apprendre le français pour parler avec l'école",
    ]
    ranked = kinds_for_needs(needs, KINDS, top=2)
    assert [row[0].kind for row in ranked] == [0, 1]
    assert all(m.score >= 0.15 for row in ranked for m in row)


def test_kinds_for_needs_without_kinds_or_needs() -> None:
    assert kinds_for_needs(["Des bus le soir"], []) == [[]]
    assert kinds_for_needs([], KINDS) == []


def test_kinds_for_needs_drops_weak_matches() -> None:
    ranked = kinds_for_needs(["Un terrain de pétanque éclairé"], KINDS, min_score=0.9)
    assert ranked == [[]]
