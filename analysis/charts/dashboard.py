"""Charts of the survey dashboard: pure functions returning ``go.Figure``.

Counts arrive already aggregated, with hidden small groups as ``None``: such a bar is left
out (its label stays on the axis) and marked with ``hidden_text``. Labels arrive already
translated; every text is escaped here (``analysis.charts.common.plain``), because Plotly
reads HTML in titles, axis, tick and hover text. Every category keeps its tick label.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from analysis.charts.common import SEQUENTIAL, category_ticks, colour, plain, plain_all, rows_height

# Room above the plot for a note (the mean), the title being shown by the page.
_TOP = 30
_GRID = "#e5e5e5"
_AXIS = {"gridcolor": _GRID, "linecolor": _GRID, "zerolinecolor": _GRID, "automargin": True}


def _figure(
    trace: go.Bar | go.Heatmap,
    title: str,
    *,
    xaxis: dict[str, object] | None = None,
    yaxis: dict[str, object] | None = None,
    **layout: object,
) -> go.Figure:
    """A figure in the house look (white, system fonts, tight margins), built in one pass.

    The look is set directly rather than through ``base_layout``: a dashboard draws a dozen
    figures, and Plotly's template copy and step-by-step updates cost ~20 ms for each.
    """
    return go.Figure(
        data=[trace],
        layout={
            "title": {"text": plain(title)},
            "font": {"family": "system-ui, sans-serif", "size": 14, "color": "#1a1a1a"},
            "margin": {"l": 40, "r": 30, "t": 60, "b": 40},
            "paper_bgcolor": "#ffffff",
            "plot_bgcolor": "#ffffff",
            "xaxis": {**_AXIS, **(xaxis or {})},
            "yaxis": {**_AXIS, **(yaxis or {})},
            **layout,
        },
    )


def _check(labels: Sequence[str], values: Sequence[object], what: str) -> None:
    if len(labels) != len(values):
        raise ValueError(f"{what}: expected {len(labels)} values, got {len(values)}")


def _texts(counts: Sequence[int | None], hidden_text: str) -> list[str]:
    return [plain(hidden_text) if n is None else str(n) for n in counts]


def _room(values: Sequence[float | None], share: float = 0.25) -> list[float]:
    """An axis range from 0 with room after the longest bar for its text."""
    top = max((v for v in values if v is not None), default=0) or 1
    return [0, top * (1 + share)]


# Ticks up to 100 % only, the axis going on to leave room for the bars' texts.
_PERCENT_TICKS = {"tickvals": [0, 25, 50, 75, 100], "ticktext": ["0%", "25%", "50%", "75%", "100%"]}


def _titled(text: str, **axis: Any) -> dict[str, Any]:
    return {"title": {"text": plain(text)}, **axis}


def _bars(
    labels: Sequence[str],
    values: Sequence[float | None],
    texts: Sequence[str],
    colour_index: int,
    title: str,
    xaxis: dict[str, Any],
) -> go.Figure:
    """Horizontal bars in the given order, first on top, each with its text beside it."""
    trace = go.Bar(
        x=list(values),
        y=plain_all(labels),
        orientation="h",
        marker_color=colour(colour_index),
        text=plain_all(texts),
        textposition="outside",
        textfont={"size": 12, "color": "#1a1a1a"},
        cliponaxis=False,
        hovertext=plain_all(labels),
        hovertemplate="%{hovertext}: %{text}<extra></extra>",
    )
    return _figure(
        trace,
        title,
        xaxis=xaxis,
        yaxis={**category_ticks(labels), "autorange": "reversed"},
        height=rows_height(labels),
        margin={"l": 10, "r": 60, "t": 10, "b": 40},
    )


def timeline_chart(
    days: Sequence[str],
    counts: Sequence[int | None],
    *,
    title: str,
    count_label: str,
    hidden_text: str = "",
) -> go.Figure:
    """Responses per day as columns (days of hidden counts are left empty).

    Days are written day first ("25 oct."); month names come from the page's locale.
    """
    _check(days, counts, "counts")
    trace = go.Bar(
        x=list(days),
        y=list(counts),
        marker_color=colour(0),
        hovertext=_texts(counts, hidden_text),
        hovertemplate="%{x|%-d %B %Y}: %{hovertext}<extra></extra>",
    )
    return _figure(
        trace,
        title,
        xaxis={"type": "date", "tickformat": "%-d %b", "hoverformat": "%-d %B %Y"},
        yaxis=_titled(count_label, rangemode="tozero"),
        height=230,
        margin={"l": 50, "r": 20, "t": 10, "b": 40},
    )


def choice_chart(
    labels: Sequence[str],
    counts: Sequence[int | None],
    *,
    title: str,
    count_label: str,
    hidden_text: str,
    shares: Sequence[float | None] | None = None,
) -> go.Figure:
    """Horizontal bars, one per choice in the survey's order (first choice on top)."""
    _check(labels, counts, "counts")
    if shares is not None:
        _check(labels, shares, "shares")
    texts = []
    for i, n in enumerate(counts):
        share = shares[i] if shares is not None else None
        texts.append(hidden_text if n is None else (f"{n} ({share:.0%})" if share else str(n)))
    xaxis = _titled(count_label, range=_room(counts))
    return _bars(labels, list(counts), texts, 0, title, xaxis)


def histogram_chart(
    labels: Sequence[str],
    counts: Sequence[int | None],
    *,
    title: str,
    count_label: str,
    hidden_text: str,
    mean: float | None = None,
    mean_label: str = "",
) -> go.Figure:
    """Columns of counted values or value ranges (already binned), with the mean noted."""
    _check(labels, counts, "counts")
    trace = go.Bar(
        x=plain_all(labels),
        y=list(counts),
        marker_color=colour(2),
        text=_texts(counts, hidden_text),
        textposition="outside",
        textfont={"size": 12, "color": "#1a1a1a"},
        cliponaxis=False,
        hovertext=plain_all(labels),
        hovertemplate="%{hovertext}: %{text}<extra></extra>",
    )
    notes = []
    if mean is not None and mean_label:
        notes.append(
            {
                "text": plain(mean_label),
                "xref": "paper",
                "yref": "paper",
                "x": 1,
                "y": 1,
                "yanchor": "bottom",
                "showarrow": False,
            }
        )
    return _figure(
        trace,
        title,
        xaxis=category_ticks(labels),
        yaxis=_titled(count_label, range=_room(counts, 0.2)),
        annotations=notes,
        height=220,
        margin={"l": 50, "r": 20, "t": _TOP, "b": 40},
    )


def ranking_chart(
    labels: Sequence[str],
    mean_ranks: Sequence[float | None],
    *,
    title: str,
    axis_label: str,
    hidden_text: str,
    decimal: str = ".",
) -> go.Figure:
    """Mean rank per option, best (lowest) on top; options with hidden counts left empty.

    ``decimal`` separates the units from the decimals in the bars' texts (``","`` in French).
    """
    _check(labels, mean_ranks, "mean_ranks")
    order = sorted(range(len(labels)), key=lambda i: (mean_ranks[i] is None, mean_ranks[i] or 0.0))
    return _bars(
        [labels[i] for i in order],
        [mean_ranks[i] for i in order],
        [
            hidden_text if mean_ranks[i] is None else f"{mean_ranks[i]:.2f}".replace(".", decimal)
            for i in order
        ],
        1,
        title,
        _titled(axis_label, range=_room(mean_ranks)),
    )


def rates_chart(
    labels: Sequence[str],
    rates: Sequence[float | None],
    *,
    title: str,
    hidden_text: str,
) -> go.Figure:
    """Answer rates (0-1) as horizontal percentage bars."""
    _check(labels, rates, "rates")
    return _bars(
        labels,
        [None if r is None else r * 100 for r in rates],
        [hidden_text if r is None else f"{r:.0%}" for r in rates],
        4,
        title,
        {"range": [0, 118], **_PERCENT_TICKS},
    )


def crosstab_chart(
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    shares: Sequence[Sequence[float | None]],
    texts: Sequence[Sequence[str]],
    *,
    title: str,
) -> go.Figure:
    """Heatmap of row percentages; hidden cells stay blank and carry ``texts``.

    No colour bar (each cell says its figure), and a gap between cells: both keep plotly.js
    from setting style attributes, which the CSP refuses.
    """
    if len(shares) != len(row_labels) or any(len(r) != len(column_labels) for r in shares):
        raise ValueError("shares must have one row per row label and one column per column")
    trace = go.Heatmap(
        z=[[None if s is None else s * 100 for s in row] for row in shares],
        x=plain_all(column_labels),
        y=plain_all(row_labels),
        colorscale=SEQUENTIAL,
        zmin=0,
        zmax=100,
        text=[plain_all(r) for r in texts],
        texttemplate="%{text}",
        customdata=[[[plain(r), plain(c)] for c in column_labels] for r in row_labels],
        hovertemplate="%{customdata[0]} × %{customdata[1]}: %{text}<extra></extra>",
        showscale=False,
        xgap=2,
        ygap=2,
    )
    return _figure(
        trace,
        title,
        xaxis={**category_ticks(column_labels), "side": "top"},
        yaxis={**category_ticks(row_labels), "autorange": "reversed"},
        height=max(200, 90 + 40 * len(row_labels)),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )
