"""Every chart builder escapes every text it puts in a figure.

Plotly reads HTML in titles, axis, tick and legend labels, annotations and hover text, so a
label like ``<a href=...>`` must reach the figure as entities. The only markup left in a
figure is the builders' own: a line break in a tick label, the ``<extra>`` box of a hover
template.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import plotly.graph_objects as go
import pytest

from analysis import voting
from analysis.charts import council, dashboard, needs
from analysis.charts.common import plain, wrapped

LINK = '<a href="https://example.org/x">ici</a>'
BOLD = "<b>gras</b>"
BREAK = "avant<br>après"
HOSTILE = [LINK, BOLD, BREAK]
# Markup the builders write themselves.
_OURS = re.compile(r"<br>|</?extra>")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple | np.ndarray):
        for item in value:
            yield from _strings(item)


def _assert_escaped(fig: go.Figure) -> None:
    texts = list(_strings(fig.to_plotly_json()))
    assert any("&lt;a href=" in t for t in texts)
    for text in texts:
        assert "<" not in _OURS.sub("", text), text


def _figures() -> Iterator[tuple[str, go.Figure]]:
    three = [7, None, 3]
    yield (
        "choice",
        dashboard.choice_chart(
            HOSTILE, three, title=LINK, count_label=BOLD, hidden_text="< 5", shares=[0.7, None, 0.3]
        ),
    )
    yield (
        "timeline",
        dashboard.timeline_chart(
            ["2026-10-01", "2026-10-02"], [3, None], title=LINK, count_label=BOLD, hidden_text="< 5"
        ),
    )
    yield (
        "histogram",
        dashboard.histogram_chart(
            HOSTILE, three, title=LINK, count_label=BOLD, hidden_text="< 5", mean=2, mean_label=LINK
        ),
    )
    yield (
        "ranking",
        dashboard.ranking_chart(
            HOSTILE, [1.5, None, 2.0], title=LINK, axis_label=BOLD, hidden_text="< 5"
        ),
    )
    yield "rates", dashboard.rates_chart(HOSTILE, [0.5, None, 1.0], title=LINK, hidden_text="<5")
    yield (
        "crosstab",
        dashboard.crosstab_chart(
            HOSTILE, [BOLD, LINK], [[0.5, 0.5]] * 3, [[LINK, "< 5"]] * 3, title=LINK
        ),
    )
    yield "sizes", needs.needs_by_size(HOSTILE, [3, 2, 1], title=LINK, count_title=BOLD)
    yield (
        "map",
        needs.answers_map(
            np.zeros((3, 2)),
            [0, 1, -1],
            HOSTILE,
            {0: LINK, 1: BOLD},
            title=LINK,
            unclassified_label=BREAK,
        ),
    )
    yield (
        "territory",
        needs.needs_by_territory([[1, 2], [3, 4], [5, 6]], HOSTILE, [LINK, BOLD], title=LINK),
    )
    mj = voting.majority_judgment_ballots(np.array([[6, 0, 3], [5, 1, 2]]))
    grades = [LINK, *["g"] * 6]
    yield "merit", council.merit_profiles_chart(mj, HOSTILE, grades, LINK, median_label=BOLD)
    approval = voting.approval(np.array([[1, 0, 1], [1, 1, 0]], dtype=bool))
    yield "approval", council.approval_chart(approval, HOSTILE, LINK, axis_label=BOLD)
    schulze = voting.schulze(np.array([[1, 2, 3], [1, 3, 2], [2, 1, 3]]))
    yield (
        "pairwise",
        council.pairwise_heatmap(schulze, HOSTILE, LINK, row_label=BOLD, column_label=BREAK),
    )
    costs = [30, 30, 30]
    budget = voting.greedy_budget(costs, 60, np.array([[1, 1, 0], [1, 0, 1]], dtype=bool))
    yield (
        "budget",
        council.budget_chart(
            budget, HOSTILE, costs, LINK, funded_label=BOLD, unfunded_label=BREAK, cost_label=LINK
        ),
    )
    yield (
        "opinion",
        council.opinion_map(
            np.zeros((3, 2)),
            np.array([0, 1, -1]),
            [LINK, BOLD],
            LINK,
            hover_texts=HOSTILE,
            unclustered_label=BREAK,
        ),
    )


@pytest.mark.parametrize(("name", "fig"), list(_figures()), ids=[n for n, _f in _figures()])
def test_chart_builder_escapes_every_text(name: str, fig: go.Figure) -> None:
    _assert_escaped(fig)


def test_plain_escapes_and_cuts() -> None:
    assert plain(LINK) == "&lt;a href=&#34;https://example.org/x&#34;&gt;ici&lt;/a&gt;"
    assert plain("l'eau  et\nle feu") == "l&#39;eau et le feu"
    assert plain("x" * 300, 10) == "x" * 9 + "…"


def test_wrapped_escapes_then_breaks_on_words() -> None:
    assert wrapped("Plus de bus le dimanche soir pour aller en ville") == (
        "Plus de bus le dimanche<br>soir pour aller en ville"
    )
    assert wrapped(BREAK) == "avant&lt;br&gt;après"
    assert wrapped("un deux trois " * 10, width=10).count("<br>") == 1
    assert wrapped("un deux trois " * 10, width=10).endswith("…")
