import json

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import check_estimator

from analysis.clustering import cluster_needs
from analysis.embedding import CommonComponentRemover, segment_answers
from analysis.grouping import GapKMeans, GuidedThemes
from analysis.labels import clean_phrase
from analysis.text import detect_language
from analysis.themes import VocabularyError, load_vocabulary, parse_vocabulary

CHILDCARE = [
    "Des places en crèche, on attend depuis un an",
    "Une crèche qui ouvre plus tôt le matin",
    "Garde d'enfants le mercredi",
    "Une assistante maternelle libre dans le quartier",
    "La garderie ferme trop tôt",
    "Childcare. We are on the waiting list.",
]
TRANSPORT = [
    "Des bus le soir",
    "Le bus ne passe pas le dimanche",
    "Une navette pour aller à la gare",
    "Plus de bus, le dernier part à 19h",
    "Des pistes cyclables",
    "A bus on Sunday evening",
]
DOCTORS = [
    "Un médecin traitant",
    "Il n'y a plus de médecin dans le quartier",
    "Un dentiste, six mois d'attente",
    "Une maison de santé",
    "Trouver un médecin généraliste",
    "A doctor, I have no family doctor",
]


def test_segment_answers_cuts_lists_and_joined_requests():
    texts = [
        "1) un médecin 2) un bus le dimanche 3) qu'on ramasse les encombrants",
        "une crèche et une aire de jeux",
        "Des bus le soir et le week-end",
    ]
    segmented = segment_answers(texts, "fr")
    counts = [len(positions) for positions in segmented.of_answer()]
    assert counts == [3, 2, 1]


def test_segment_answers_reads_unaccented_words_as_accented():
    segmented = segment_answers(["creche", "crèche"], "fr")
    first, second = segmented.vectors
    assert np.allclose(first, second)


def test_cluster_needs_english_answers_join_the_french_need():
    result = cluster_needs(CHILDCARE + TRANSPORT + DOCTORS, language="auto")
    main = result.labels
    assert main[5] == main[0]
    assert main[11] == main[6]
    assert main[17] == main[12]


def test_cluster_needs_themes_carry_vocabulary_names_in_the_survey_language():
    result = cluster_needs(CHILDCARE + TRANSPORT + DOCTORS, language="auto")
    names = {t.vocabulary_id: t.label for t in result.themes}
    assert names["mobilite"] == "Transports et déplacements"
    assert names["sante"] == "Santé et accès aux soins"
    for need in result.needs:
        assert need.label
        assert detect_language(need.label, default="fr") == "fr"
    labels = [need.label.lower() for need in result.needs]
    assert len(set(labels)) == len(labels)


def test_cluster_needs_one_answer_several_needs_main_first():
    texts = (
        CHILDCARE[:5]
        + TRANSPORT[:5]
        + DOCTORS[:5]
        + ["Une place en crèche pour mon fils. Et un médecin traitant aussi."]
    )
    result = cluster_needs(texts, language="fr")
    last = result.memberships[-1]
    childcare, doctors = int(result.labels[0]), int(result.labels[10])
    assert last == (childcare, doctors) or last == (doctors, childcare)
    assert last[0] == int(result.labels[-1])
    sizes = {need.cluster: need.size for need in result.needs}
    assert sizes[doctors] == sum(1 for m in result.memberships if doctors in m)


def test_cluster_needs_forced_themes():
    result = cluster_needs(CHILDCARE + TRANSPORT + DOCTORS, language="fr", n_themes=2)
    assert len(result.themes) == 2


def test_cluster_needs_without_vocabulary_groups_from_the_answers():
    result = cluster_needs(CHILDCARE + TRANSPORT + DOCTORS, language="fr", vocabulary=())
    assert result.themes
    assert all(t.vocabulary_id is None for t in result.themes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Des bus le soir !!!", "Bus le soir"),
        ("TRANSPORT LE SOIR", "Transport le soir"),
        ("1) un médecin", "Médecin"),
        ("Il manque des places en crèche.", "Places en crèche"),
    ],
)
def test_clean_phrase_trims_articles_marks_and_shouting(text, expected):
    assert clean_phrase(text) == expected


def test_gap_kmeans_chooses_the_number_of_blobs():
    rng = np.random.default_rng(0)
    centres = [(0, 0, 0), (8, 0, 0), (0, 8, 0), (0, 0, 8), (8, 8, 8)]
    X = np.vstack([rng.normal(c, 0.4, size=(40, 3)) for c in centres])
    model = GapKMeans(min_clusters=2, max_clusters=10).fit(X)
    assert model.n_clusters_ == 5
    assert max(model.scores_, key=model.scores_.get) == 5


def test_gap_kmeans_one_group_when_nothing_beats_chance():
    X = np.random.default_rng(1).normal(size=(200, 4))
    assert GapKMeans(min_clusters=1, max_clusters=8, min_gap=0.02).fit(X).n_clusters_ == 1


def test_guided_themes_keeps_seeds_and_groups_the_rest():
    rng = np.random.default_rng(0)
    seeds = np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0]])
    X = np.vstack(
        [
            rng.normal((1, 0, 0, 0), 0.05, size=(30, 4)),
            rng.normal((0, 1, 0, 0), 0.05, size=(30, 4)),
            rng.normal((0, 0, 1, 0), 0.05, size=(10, 4)),
        ]
    )
    model = GuidedThemes(seeds=seeds, threshold=0.5, min_fit=0.5).fit(X)
    assert model.seed_of_.tolist() == [0, 1, -1]
    assert model.labels_.tolist() == [0] * 30 + [1] * 30 + [2] * 10


def test_guided_themes_rows_follow_their_nearest_terms_not_the_theme_mean():
    # Theme 0 has a term right on the rows and one far away; theme 1 one term near them.
    terms = np.array([[1.0, 0, 0], [0, 0, 1.0], [0.9, 0.436, 0]])
    term_theme = np.array([0, 0, 1])
    seeds = np.array([[0.707, 0, 0.707], [0.9, 0.436, 0]])
    X = np.array([[1.0, 0, 0], [0.99, 0.01, 0], [0.98, 0.02, 0]])
    by_mean = GuidedThemes(seeds=seeds, min_size=1, refine=0).fit(X)
    by_terms = GuidedThemes(
        seeds=seeds, terms=terms, term_theme=term_theme, top_terms=1, min_size=1, refine=0
    ).fit(X)
    assert by_mean.seed_of_[by_mean.labels_].tolist() == [1, 1, 1]
    assert by_terms.seed_of_[by_terms.labels_].tolist() == [0, 0, 0]


def test_guided_themes_refine_moves_a_row_to_the_theme_its_neighbours_took():
    seeds = np.array([[1.0, 0], [0, 1.0]])
    X = np.array([[1.0, 0]] * 3 + [[0.6, 0.8]] * 3 + [[0.75, 0.66]])
    seeded = GuidedThemes(seeds=seeds, min_size=1, refine=0).fit(X)
    refined = GuidedThemes(seeds=seeds, min_size=1, refine=0.5).fit(X)
    assert seeded.seed_of_[seeded.labels_].tolist() == [0, 0, 0, 1, 1, 1, 0]
    assert refined.seed_of_[refined.labels_].tolist() == [0, 0, 0, 1, 1, 1, 1]


def test_guided_themes_merge_a_vocabulary_finer_than_the_answers_to_the_topics_they_hold():
    # Seven planted topics; the vocabulary has ten themes, three of them splitting a topic
    # in two (rows of topic i lean a little towards theme 7 + i half of the time).
    rng = np.random.default_rng(0)
    eye = np.eye(12)
    seeds = np.vstack([eye[:7], [eye[i] + 0.3 * eye[7 + i] for i in range(3)]])
    rows, topics = [], []
    for topic in range(7):
        for position in range(40):
            centre = eye[topic] + (0.3 * eye[7 + topic] if topic < 3 and position % 2 else 0)
            rows.append(centre + rng.normal(0, 0.12, 12))
            topics.append(topic)
    X = np.array(rows)
    unmerged = GuidedThemes(seeds=seeds, merge=False).fit(X)
    model = GuidedThemes(seeds=seeds).fit(X)
    assert len(unmerged.seed_of_) == 10
    assert len(model.seed_of_) == 7
    chosen = max(model.scores_, key=model.scores_.get)
    assert chosen == 7
    # The criterion selects: counts above and below were scored lower, not cut off.
    assert min(model.scores_) == 5 and max(model.scores_) == 10
    assert adjusted_rand_score(topics, model.labels_) > 0.9
    # Each theme kept is named by a seed of the topic it holds.
    assert sorted(s if s < 7 else s - 7 for s in model.seed_of_.tolist()) == list(range(7))
    # The three split topics took in their other half, which their names say; the others
    # took in nothing.
    also = {int(s): a for s, a in zip(model.seed_of_, model.also_seeds_, strict=True)}
    for topic in range(7):
        kept = topic if topic in also else topic + 7
        expected = [7 + topic if kept == topic else topic] if topic < 3 else []
        assert also[kept] == expected


def test_a_theme_that_took_in_another_is_named_after_both():
    from analysis.clustering import _merged_names
    from analysis.themes import Theme

    vocabulary = (
        Theme("a", (("fr", "Enfance"), ("en", "Children")), (("crèche", "nursery"),)),
        Theme("b", (("fr", "Loisirs"),), (("sport", "sport"),)),
        Theme("c", (("fr", "Santé"), ("en", "Health")), (("médecin", "doctor"),)),
    )
    named = _merged_names(vocabulary, np.array([0, 2, -1]), [[1], [], []])
    assert named[0].label("fr") == "Enfance / Loisirs"
    assert named[0].label("en") == "Children / Loisirs"
    assert named[0].id == "a" and named[0].terms == vocabulary[0].terms
    assert named[1:] == vocabulary[1:]


def test_vocabulary_built_in_has_french_and_english_terms():
    themes = load_vocabulary()
    assert 8 <= len(themes) <= 14
    for theme in themes:
        assert theme.seeds("fr") and theme.seeds("en")
        assert theme.label("fr") and theme.label("en")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"themes": "x"}, "list of themes"),
        ([{"label": "x", "terms": ["a"]}], "no id"),
        ([{"id": "a", "label": "A", "terms": []}], "no seed term"),
        ([{"id": "a", "label": "A", "terms": ["x"]}] * 2, "used twice"),
    ],
)
def test_parse_vocabulary_refuses_bad_files(data, message):
    with pytest.raises(VocabularyError, match=message):
        parse_vocabulary(json.loads(json.dumps(data)))


@pytest.mark.parametrize(
    "estimator",
    [CommonComponentRemover(), GapKMeans(max_clusters=4), GuidedThemes()],
)
def test_grouping_stage_passes_check_estimator(estimator):
    check_estimator(estimator)
