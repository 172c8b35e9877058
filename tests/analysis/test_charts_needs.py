import numpy as np
import plotly.graph_objects as go
import pytest

from analysis.charts.needs import answers_map, needs_by_size, needs_by_territory, safe_hover


def test_safe_hover_escapes_html():
    assert safe_hover('<img src=x onerror="alert(1)">') == (
        "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;"
    )


def test_safe_hover_truncates_with_ellipsis():
    assert safe_hover("a" * 300, limit=10) == "a" * 9 + "…"


def test_needs_by_size_largest_on_top():
    fig = needs_by_size(
        ["bus", "crèche"], [3, 9], title="Besoins", count_title="Réponses", shares=[0.25, 0.75]
    )
    assert isinstance(fig, go.Figure)
    bar = fig.data[0]
    assert list(bar.y) == ["bus", "crèche"]
    assert list(bar.x) == [3, 9]
    assert list(bar.text) == ["3 (25%)", "9 (75%)"]
    assert fig.layout.title.text == "Besoins"


def test_needs_by_size_mismatched_lengths_raise():
    with pytest.raises(ValueError, match="same length"):
        needs_by_size(["a"], [1, 2], title="t", count_title="n")


def test_answers_map_hover_is_escaped_and_non_answers_hidden():
    coords = np.array([[0.0, 1.0], [1.0, 0.0], [np.nan, np.nan], [2.0, 2.0]])
    texts = ["<script>alert(1)</script>", "plus de bus", "rien", "x" * 500]
    fig = answers_map(
        coords,
        [0, 1, -1, -1],
        texts,
        {0: "crèche", 1: "bus"},
        title="Carte",
        unclassified_label="Non classé",
    )
    assert [trace.name for trace in fig.data] == ["crèche", "bus", "Non classé"]
    hovers = [t for trace in fig.data for t in trace.text]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hovers
    assert all("<script" not in t for t in hovers)
    assert "rien" not in hovers
    assert max(len(t) for t in hovers) == 160


def test_answers_map_shape_mismatch_raises():
    with pytest.raises(ValueError, match="coords"):
        answers_map(
            np.zeros((2, 3)), [0, 0], ["a", "b"], {0: "a"}, title="t", unclassified_label="u"
        )


def test_needs_by_territory_counts_and_shares():
    counts = [[2, 0], [2, 4]]
    fig = needs_by_territory(
        counts, ["crèche", "<b>bus</b>"], ["Nord", "Sud"], title="T", share_by_territory=True
    )
    heatmap = fig.data[0]
    assert np.asarray(heatmap.z).tolist() == [[0.5, 0.0], [0.5, 1.0]]
    assert np.asarray(heatmap.text).tolist() == [["2", "0"], ["2", "4"]]
    assert list(heatmap.y) == ["crèche", "&lt;b&gt;bus&lt;/b&gt;"]


def test_needs_by_territory_shape_mismatch_raises():
    with pytest.raises(ValueError, match="one row per need"):
        needs_by_territory([[1, 2]], ["a", "b"], ["x", "y"], title="t")


def test_needs_by_territory_leaves_hidden_groups_blank():
    fig = needs_by_territory(
        [[None, 3], [6, 4]], ["a", "b"], ["Nord", "Sud"], title="T", hidden_text="< 5"
    )
    heatmap = fig.data[0]
    assert np.isnan(heatmap.z[0][0]) and heatmap.z[1][0] == 6
    assert np.asarray(heatmap.text).tolist() == [["&lt; 5", "3"], ["6", "4"]]
    shares = needs_by_territory(
        [[None, 3], [6, 1]], ["a", "b"], ["Nord", "Sud"], title="T", share_by_territory=True
    ).data[0]
    assert shares.z[1][0] == 1.0 and shares.z[0][1] == 0.75
