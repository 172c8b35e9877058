import plotly.graph_objects as go
import pytest

from analysis.charts.common import PALETTE
from analysis.charts.dashboard import (
    choice_chart,
    crosstab_chart,
    histogram_chart,
    ranking_chart,
    rates_chart,
    timeline_chart,
)


def test_choice_chart_keeps_order_and_marks_hidden_groups():
    fig = choice_chart(
        ["Centre", "Bissy", "<b>Autre</b>"],
        [12, None, 0],
        title="Quartier",
        count_label="Personnes",
        hidden_text="< 5",
        shares=[0.75, None, 0.0],
    )
    assert isinstance(fig, go.Figure)
    bar = fig.data[0]
    assert list(bar.y) == ["Centre", "Bissy", "&lt;b&gt;Autre&lt;/b&gt;"]
    assert list(bar.x) == [12, None, 0]
    assert list(bar.text) == ["12 (75%)", "&lt; 5", "0"]
    assert bar.marker.color == PALETTE[0]
    assert fig.layout.yaxis.autorange == "reversed"


def test_choice_chart_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="counts"):
        choice_chart(["a"], [1, 2], title="t", count_label="n", hidden_text="< 5")


def test_timeline_chart_leaves_hidden_days_empty():
    fig = timeline_chart(
        ["2026-10-01", "2026-10-02"], [7, None], title="Jours", count_label="n", hidden_text="< 5"
    )
    assert list(fig.data[0].y) == [7, None]
    assert list(fig.data[0].hovertext) == ["7", "&lt; 5"]


def test_histogram_chart_notes_the_mean():
    fig = histogram_chart(
        ["1", "2", "3"],
        [5, 9, None],
        title="Satisfaction",
        count_label="n",
        hidden_text="< 5",
        mean=2.4,
        mean_label="moyenne 2.40",
    )
    assert list(fig.data[0].text) == ["5", "9", "&lt; 5"]
    assert fig.layout.annotations[0].text == "moyenne 2.40"


def test_ranking_chart_puts_the_best_mean_rank_on_top():
    fig = ranking_chart(
        ["Bus", "Crèche", "Santé"],
        [2.5, 1.2, None],
        title="Priorités",
        axis_label="Rang moyen",
        hidden_text="< 5",
    )
    assert list(fig.data[0].y) == ["Crèche", "Bus", "Santé"]
    assert list(fig.data[0].text) == ["1.20", "2.50", "&lt; 5"]


def test_rates_chart_in_percent():
    fig = rates_chart(["Foyer", "Date"], [0.5, None], title="Partie 1", hidden_text="< 5")
    assert list(fig.data[0].x) == [50.0, None]
    assert list(fig.data[0].text) == ["50%", "&lt; 5"]


def test_crosstab_chart_shape_and_hidden_cells():
    fig = crosstab_chart(
        ["Centre", "Bissy"],
        ["Oui", "Non"],
        [[0.5, 0.5], [None, 1.0]],
        [["5 (50%)", "5 (50%)"], ["< 5", "9 (100%)"]],
        title="Croisement",
    )
    heat = fig.data[0]
    assert [list(r) for r in heat.z] == [[50.0, 50.0], [None, 100.0]]
    assert heat.text[1][0] == "&lt; 5"
    with pytest.raises(ValueError, match="one row"):
        crosstab_chart(["a"], ["x", "y"], [[0.1]], [["1"]], title="t")


def test_ranking_chart_writes_a_decimal_comma_when_asked():
    fig = ranking_chart(
        ["Bus", "Crèche"], [2.5, 1.25], title="t", axis_label="r", hidden_text="< 5", decimal=","
    )
    assert list(fig.data[0].text) == ["1,25", "2,50"]
