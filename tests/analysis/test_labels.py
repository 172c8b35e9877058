"""Need labels: noun phrases built on a head noun, never a time, an amount or a vague word."""

import pytest

from analysis.clustering import label_groups
from analysis.labels import _names_something, clean_phrase
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


def _label(texts: list[str]) -> str:
    needs = label_groups(texts, [0] * len(texts), language="fr")
    return needs[0].label


def _words(text: str) -> set[str]:
    return set(normalise(text).split())


def test_label_groups_a_need_said_in_several_ways_keeps_its_complement() -> None:
    label = _label(["pas de bus le soir", "plus de bus le soir svp", "le bus du soir manque"])
    assert {"bus", "soir"} <= _words(label)


def test_label_groups_a_shared_complement_is_kept_however_many_only_say_the_noun() -> None:
    # Most say "bus" alone; the two who say when are enough to make it a name.
    texts = ["Le bus", "bus", "Des bus", "Plus de bus", "Le bus !", "bus le dimanche"]
    label = _label([*texts, "Un bus le dimanche"])
    assert normalise(label) == "bus le dimanche"


def test_label_groups_two_complements_of_the_same_shape_are_joined() -> None:
    texts = [
        "Des bus le soir",
        "Plus de bus le soir",
        "bus le soir svp",
        "Un bus le dimanche",
        "Pas de bus le dimanche",
    ]
    assert normalise(_label(texts)) == "bus le soir et le dimanche"


def test_label_groups_a_french_survey_gets_a_french_label_from_mixed_answers() -> None:
    texts = [
        "A doctor please",
        "Doctor, I have none",
        "No doctor since last year",
        "Un médecin traitant",
        "Pas de médecin traitant",
        "Trouver un médecin traitant",
        "Il manque un médecin traitant",
    ]
    needs = label_groups(texts, [0] * len(texts), language="auto")
    assert _words(needs[0].label) == {"medecin", "traitant"}


def test_label_groups_an_acronym_keeps_its_capitals() -> None:
    # Lowered, "CAF" reads as a truncated "café".
    texts = [
        "Un rendez-vous à la CAF",
        "La CAF ne répond jamais",
        "Personne ne répond à la CAF",
        "Mon dossier à la CAF est bloqué",
    ]
    assert "CAF" in _label(texts).split()


def test_label_groups_every_label_word_is_a_whole_word_of_the_answers() -> None:
    texts = [
        "Les démarches administratives sont devenues impossibles pour les personnes âgées",
        "Personne ne nous aide pour les démarches administratives depuis la fermeture",
        "Il faudrait une aide pour les démarches administratives en mairie annexe",
        "Les démarches administratives en ligne ne marchent jamais chez moi",
    ]
    label = _label(texts)
    said = set().union(*(_words(t) for t in texts))
    assert _words(label) <= said
    assert not label.endswith("…")


def test_label_groups_a_word_of_one_member_never_names_a_group() -> None:
    # Nothing is shared: the group is named by one of its short answers, not by the
    # rarest word of one of them.
    texts = [
        "Les tags dans l'entrée",
        "Personne ne vient voir les anciens",
        "La porte ne ferme plus",
        "Il faudrait plus de vie le soir",
    ]
    label = _label(texts)
    assert len(label.split()) >= 2
    assert any(_words(label) <= _words(t) for t in texts)


def test_clean_phrase_a_lone_acronym_is_no_shout() -> None:
    # A list item cut from "la CAF, les impôts" is the acronym alone.
    assert clean_phrase("CAF") == "CAF"
    assert clean_phrase("SALETÉ") == "Saleté"


def test_label_groups_a_misspelt_phrase_gives_way_to_its_spelt_form() -> None:
    # More members wrote the slip; the label is the phrase as French spells it.
    texts = [
        "activiter pour les enfant pendant les vacances",
        "activiter pour les enfant",
        "activiter pour les enfant le mercredi",
        "Des activités pour les enfants le mercredi",
        "activités pour les enfants",
    ]
    needs = label_groups(texts, [0] * 5, language="fr")
    assert needs[0].label == "Activités pour les enfants"


def test_label_groups_two_words_that_only_share_a_stem_are_not_one_spelling() -> None:
    from collections import Counter

    from analysis.labels import _misspelt, _spelling

    assert _misspelt("activiter pour le enfant", "activite pour le enfant")
    assert not _misspelt("travaux", "travail")
    assert not _misspelt("simple", "simplifier")
    # Between two known spellings, the one most used.
    assert _spelling(Counter({"Travaux": 1, "Travail": 3})) == "Travail"


def test_label_groups_never_opens_on_an_adverb_of_amount() -> None:
    texts = [
        "Juste de la lumière dans l'allée",
        "Juste de la lumière",
        "juste de la lumiere le soir",
        "De la lumière dans le parking",
    ]
    needs = label_groups(texts, [0] * 4, language="fr")
    first = normalise(needs[0].label).split()[0]
    assert first not in {"juste", "seul", "seulement"}
    assert "lumiere" in normalise(needs[0].label)


def test_label_groups_a_lone_misspelt_word_is_no_label() -> None:
    texts = ["Simplifer", "simplifer tout ça", "Simplifer les impôts", "Simplifer svp"]
    needs = label_groups(texts, [0] * 4, language="fr")
    assert normalise(needs[0].label) != "simplifer"


def test_label_support_counts_the_answers_saying_every_named_word() -> None:
    from analysis.labels import label_support

    texts = ["Un appartement humide", "Le loyer est trop cher", "appartements trop petits", "HLM"]
    assert label_support("Appartement", texts) == 0.5
    assert label_support("Appartement humide", texts) == 0.25
    # Links, times and vague words are not what a label names.
    assert label_support("Bus le soir", ["bus", "bus le matin", "train"]) == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        # Long English sentences: no short answer to take whole, no parser to find the
        # nouns; the run of words they share names them, not a clause opening on "Though".
        (
            [
                "Though the rules change often, visa requirements are listed by each embassy.",
                "Check the visa requirements well before you travel to the country.",
                "Some countries have strict visa requirements for tourists from abroad.",
                "Thus travellers should read the visa requirements of every country they cross.",
            ],
            "visa requirements",
        ),
        # Two runs joined by "of" make one name.
        (
            [
                "The use of the Internet has changed how people find information.",
                "Schools teach the safe use of the Internet to young children.",
                "The use of the Internet at night keeps many teenagers awake.",
                "Libraries offer lessons on the use of the Internet for older people.",
            ],
            "use of the internet",
        ),
    ],
)
def test_label_groups_in_a_language_without_parser_a_shared_noun_phrase_names_the_group(
    texts: list[str], expected: str
) -> None:
    needs = label_groups(texts, [0] * 4, language="en")
    assert normalise(needs[0].label) == expected


def test_label_groups_no_half_of_a_pair_and_no_pointing_back_to_the_question() -> None:
    texts = [
        "Les comptes de la région et de la commune",
        "Un bilan de la région et de la commune chaque année",
        "Savoir l'utilisation de ces impôts",
        "L'utilisation de ces impôts, en détail",
        "Publier l'utilisation des impôts",
    ]
    needs = label_groups(texts, [0] * 5, language="fr")
    label = normalise(needs[0].label)
    assert not label.startswith("region et de")
    assert " ces " not in f" {label} "
    assert needs[0].label[:2] != "L'"
