import pytest

from analysis.text import (
    detect_language,
    fold_accents,
    is_non_answer,
    load_pipeline,
    mask_personal_data,
    prepare_answers,
)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "-",
        "...",
        "?!",
        "rien",
        "Rien.",
        "NSP",
        "RAS",
        "aucun",
        "Aucune",
        "je ne sais pas",
        "Je sais pas",
        "nothing",
        "N/A",
        "n/a",
        "No idea",
        "none",
        None,
    ],
)
def test_is_non_answer_known_forms(text):
    assert is_non_answer(text) is True


@pytest.mark.parametrize(
    "text", ["rien pour les enfants", "Plus de crèches", "no buses after 9pm", "Un médecin"]
)
def test_is_non_answer_real_answers(text):
    assert is_non_answer(text) is False


def test_fold_accents_strips_diacritics_and_case():
    assert fold_accents("Crèche ÉCOLE Œuvre") == "creche ecole oeuvre"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Il manque des places en crèche pour les enfants", "fr"),
        ("Pas assez de médecins", "fr"),
        ("There are not enough doctors in the area", "en"),
        ("More buses in the evening", "en"),
    ],
)
def test_detect_language_short_answers(text, expected):
    assert detect_language(text) == expected


def test_detect_language_tie_uses_default():
    assert detect_language("bus", default="en") == "en"
    assert detect_language("bus", default="fr") == "fr"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("écrire à jean.dupont@example.fr svp", "écrire à [e-mail] svp"),
        ("appelez le 06 12 34 56 78", "appelez le [téléphone]"),
        ("appelez le 06.12.34.56.78.", "appelez le [téléphone]."),
        ("tel 0612345678", "tel [téléphone]"),
        ("mobile +33 6 12 34 56 78 merci", "mobile [téléphone] merci"),
        ("call +1 (555) 123-4567 now", "call [téléphone] now"),
        ("UK +44 20 7946 0958", "UK [téléphone]"),
        ("ou 0033 1 23 45 67 89", "ou [téléphone]"),
    ],
)
def test_mask_personal_data_masks_contacts(text, expected):
    assert mask_personal_data(text) == expected


def test_mask_personal_data_keeps_years_prices_and_postcodes():
    text = "En 2019 le bus 12 coûtait 1500 euros, code postal 75011, horaires 2018-2019"
    assert mask_personal_data(text) == text


def test_load_pipeline_is_cached():
    assert load_pipeline("en") is load_pipeline("en")


def test_prepare_answers_french_lemmas_folded_without_stop_words():
    (answer,) = prepare_answers(["Il manque des crèches pour les 3 enfants"], "fr")
    assert answer.language == "fr"
    assert answer.non_answer is False
    assert answer.lemmas == ("creche", "enfant")
    assert answer.vector is not None


def test_prepare_answers_keeps_written_phrase_for_labels():
    (answer,) = prepare_answers(["des places de garde d'enfants"], "fr")
    assert dict(answer.phrases)["garde enfant"] == "garde d'enfants"


def test_prepare_answers_english_uses_lookup_lemmas():
    (answer,) = prepare_answers(["The children need more parks"], "en")
    assert answer.lemmas == ("child", "park")
    assert answer.vector is None


def test_prepare_answers_auto_detects_each_answer():
    answers = prepare_answers(
        ["Il manque une crèche dans le quartier", "There is no playground for the kids", "rien"]
    )
    assert [a.language for a in answers] == ["fr", "en", "fr"]
    assert [a.non_answer for a in answers] == [False, False, True]


def test_prepare_answers_only_stop_words_is_non_answer():
    (answer,) = prepare_answers(["c'est tout, et puis voilà"], "fr")
    assert answer.non_answer is True
    assert answer.lemmas == ()


def test_prepare_answers_rejects_unknown_language():
    with pytest.raises(ValueError, match="unsupported language"):
        prepare_answers(["hola"], "es")
