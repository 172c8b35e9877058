"""Quotes kept under a need are about it."""

from __future__ import annotations

from analysis.quotes import about_quotes, stems

TEXTS = [
    "Je sais pas trop",
    "Le bus ne passe plus le soir après 20h",
    "ne se prononce pas",
    "Des bus plus tard le soir pour rentrer du travail",
    "Un bus le dimanche",
    "Les pigeons sur les balcons",
]


def test_stems_fold_accents_and_cut_words() -> None:
    assert stems("Crèches municipales") == {"crech", "munic"}


def test_about_quotes_drops_central_answers_that_say_nothing_of_the_need() -> None:
    chosen = about_quotes(TEXTS, [0, 1, 2], [0, 1, 2, 3, 4, 5], "Bus le soir", ["bus", "soir"])
    assert chosen == (1, 3, 4)


def test_about_quotes_keeps_the_central_order_when_all_fit() -> None:
    chosen = about_quotes(TEXTS, [4, 1, 3], [1, 3, 4], "Bus le soir", ["bus"])
    assert chosen == (4, 1, 3)


def test_about_quotes_without_any_topic_word_keeps_the_central_answers() -> None:
    assert about_quotes(TEXTS, [5, 0], [0, 5], "", []) == (5, 0)


def test_about_quotes_may_return_fewer_than_asked() -> None:
    assert about_quotes(TEXTS, [0, 5], [0, 2, 5], "Pigeons", []) == (5,)


def test_stems_leave_out_words_any_two_answers_share() -> None:
    assert stems("Plus de bus pour les jeunes") == {"bus", "jeune"}


def test_about_quotes_an_answer_naming_the_need_beats_one_sharing_a_keyword() -> None:
    texts = [
        "Je télétravaille dans 30 m² avec deux enfants",
        "Le centre de loisirs est complet dès l'ouverture",
    ]
    chosen = about_quotes(texts, [0], [0, 1], "Centre de loisirs", ["enfant", "loisir"], k=1)
    assert chosen == (1,)
