"""Needs described once grouped: telling keywords, themes of their own named from their answers."""

import numpy as np

from analysis.description import _keywords, _own_theme_labels
from analysis.text import normalise


def test_keywords_rank_a_need_s_own_words_before_words_every_need_says() -> None:
    lemmas = [
        ("creche", "soir"),
        ("creche", "soir"),
        ("place", "soir"),
        ("bus", "soir"),
        ("bus", "soir"),
        ("bus", "dimanche", "soir"),
    ]
    groups = np.array([0, 0, 0, 1, 1, 1])
    assert _keywords(lemmas, groups)[0][0] == "creche"
    # "soir", said by both needs, comes after "bus".
    assert _keywords(lemmas, groups)[1][0] == "bus"


def test_own_theme_is_named_from_all_its_answers_not_after_its_largest_need() -> None:
    texts = [
        "Des bus le soir",
        "Plus de bus le soir",
        "Un bus le soir",
        "Un bus le dimanche",
        "Des bus le dimanche",
    ]
    seg_need = np.array([0, 0, 0, 1, 1])
    rows = np.tile(np.eye(4)[0], (len(texts), 1))
    labels = _own_theme_labels(
        None,
        texts,
        seg_need,
        rows,
        ["fr"] * len(texts),
        "fr",
        [tuple(normalise(t).split()) for t in texts],
        {0: 0, 1: 0},
        (),
        np.array([-1]),
    )
    assert normalise(labels[0]) == "bus le soir et le dimanche"
