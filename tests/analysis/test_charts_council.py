"""Council and opinion charts: structure, ordering, escaping, label checks."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from analysis import voting
from analysis.charts import council

GRADES = ["À rejeter", "Insuffisant", "Passable", "Assez bien", "Bien", "Très bien", "Excellent"]


def test_merit_profiles_chart_stacks_grades_best_option_on_top() -> None:
    grades = np.array([[6, 0], [5, 1], [4, 2]])
    result = voting.majority_judgment_ballots(grades)
    fig = council.merit_profiles_chart(result, ["Parc", "Piscine"], GRADES, "Jugement")
    assert isinstance(fig, go.Figure)
    assert [trace.name for trace in fig.data] == GRADES
    assert fig.layout.barmode == "stack"
    # Plotly draws the first category at the bottom: the winner comes last.
    assert list(fig.data[0].y) == ["Piscine", "Parc"]
    excellent = fig.data[6]
    assert list(excellent.x) == pytest.approx([0.0, 100 / 3])
    assert any(shape.x0 == 50 for shape in fig.layout.shapes)
    assert fig.layout.title.text == "Jugement"


def test_merit_profiles_chart_checks_label_counts() -> None:
    result = voting.majority_judgment_ballots(np.array([[1, 2]]))
    with pytest.raises(ValueError, match="grade_labels"):
        council.merit_profiles_chart(result, ["a", "b"], GRADES[:3], "t")


def test_approval_chart_highlights_winners() -> None:
    result = voting.approval(np.array([[1, 0, 1], [1, 0, 0]], dtype=bool))
    fig = council.approval_chart(result, ["A", "B", "C"], "Approbation", axis_label="Part")
    bar = fig.data[0]
    assert list(bar.y) == ["B", "C", "A"]
    assert list(bar.x) == [0.0, 50.0, 100.0]
    assert bar.marker.color[-1] != bar.marker.color[0]


def test_pairwise_heatmap_shows_d_or_p_in_ranking_order() -> None:
    result = voting.schulze(np.array([[1, 2, 3], [1, 3, 2], [2, 1, 3]]))
    fig = council.pairwise_heatmap(result, ["A", "B", "C"], "Duels")
    heat = fig.data[0]
    assert list(heat.x) == ["A", "B", "C"]
    assert heat.z[0][1] == result.pairwise[0, 1]
    assert np.isnan(heat.z[0][0])
    paths = council.pairwise_heatmap(result, ["A", "B", "C"], "Chemins", strongest_paths=True)
    assert paths.data[0].z[0][2] == result.strongest_paths[0, 2]


def test_budget_chart_splits_funded_and_unfunded() -> None:
    costs = [30, 30, 30, 30]
    ballots = np.array([[1, 1, 1, 0]] * 6 + [[0, 0, 0, 1]] * 4, dtype=bool)
    result = voting.equal_shares(costs, 100, ballots, completion="none")
    fig = council.budget_chart(
        result,
        ["A1", "A2", "A3", "B"],
        costs,
        "Budget",
        funded_label="Financé",
        unfunded_label="Non financé",
    )
    funded, unfunded = fig.data
    assert funded.name == "Financé"
    assert list(funded.y) == ["A1", "A2", "B"]
    assert list(unfunded.y) == ["A3"]


def test_opinion_map_escapes_hover_text_and_colours_groups() -> None:
    coords = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    labels = np.array([0, 1, -1])
    texts = ["<script>alert(1)</script>", "Élise & co", "seul"]
    fig = council.opinion_map(
        coords,
        labels,
        ["Groupe A", "Groupe B"],
        "Carte",
        hover_texts=texts,
        unclustered_label="Hors groupes",
    )
    assert [trace.name for trace in fig.data] == ["Groupe A", "Groupe B", "Hors groupes"]
    assert list(fig.data[0].text) == ["&lt;script&gt;alert(1)&lt;/script&gt;"]
    assert list(fig.data[1].text) == ["Élise &amp; co"]
    assert fig.data[0].marker.color != fig.data[1].marker.color
    hidden = council.opinion_map(coords, labels, ["Groupe A", "Groupe B"], "Carte")
    assert len(hidden.data) == 2


def test_opinion_map_rejects_mismatched_inputs() -> None:
    with pytest.raises(ValueError, match="coords"):
        council.opinion_map(np.zeros((2, 3)), np.array([0, 0]), ["A"], "t")
