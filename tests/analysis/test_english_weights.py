"""English words weigh by their frequency in English, not by their rank in the French table."""

import pytest

from analysis.embedding import lexicon, segment_answers


def test_english_weight_common_word_weighs_less_than_a_rare_one():
    lex = lexicon()
    assert lex.english_weight("people") < 0.5
    assert lex.english_weight("people") < lex.english_weight("pediatrician")


def test_english_weight_unknown_word_weighs_one():
    assert lexicon().english_weight("zzqxj") == 1.0


def _weight_in(segment_text: str, language: str, word: str) -> float:
    lex = lexicon()
    (segment,) = segment_answers([segment_text], language).segments
    row = lex.row(word)[0]
    return float(segment.weights[list(segment.rows).index(row)])


def test_segment_answers_english_answer_uses_the_english_weight():
    lex = lexicon()
    weight = _weight_in("People want a pediatrician", "en", "people")
    # The French table ranks "people" as rare: it would weigh almost one there.
    assert lex.row("people")[1] > 0.9
    assert weight == pytest.approx(lex.english_weight("people"), rel=1e-5)


def test_segment_answers_french_answer_keeps_the_french_weight():
    weight = _weight_in("Les gens veulent un pédiatre", "fr", "pédiatre")
    assert weight == pytest.approx(lexicon().row("pédiatre")[1], rel=1e-5)


def test_one_spelling_check_tells_words_slips_and_acronyms() -> None:
    lex = lexicon()
    # Forms and lemmas of either language are words; a keyboard slip is not.
    assert lex.spelt("crèche") and lex.spelt("médecins") and lex.spelt("children")
    assert not lex.spelt("activiter") and not lex.spelt("xqzt")
    # "caf" is among the table's frequent entries, yet no form of a word: an acronym.
    assert lex.spelt("caf")
    assert not lex.spelt("caf", frequent=False)
