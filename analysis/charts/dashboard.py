"""Charts of the survey dashboard: pure functions returning ``go.Figure``.

Counts arrive already aggregated, with hidden small groups as ``None``: such a bar is left
out (its label stays on the axis) and marked with ``hidden_text``. Labels arrive already
translated and are HTML-escaped here, because Plotly renders axis and hover text as HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from analysis.charts.common import SEQUENTIAL, colour
from analysis.charts.needs import safe_hover

LABEL_LIMIT = 48
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
            "title": {"text": title},
            "font": {"family": "system-ui, sans-serif", "size": 14, "color": "#1a1a1a"},
            "margin": {"l": 40, "r": 20, "t": 60, "b": 40},
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


def _labels(labels: Sequence[str]) -> list[str]:
    return [safe_hover(label, LABEL_LIMIT) for label in labels]


def _texts(counts: Sequence[int | None], hidden_text: str) -> list[str]:
    return [hidden_text if n is None else str(n) for n in counts]


def _height(rows: int, least: int = 220) -> int:
    return max(least, 60 + 34 * rows)


def _bars(
    labels: Sequence[str],
    values: Sequence[float | None],
    texts: Sequence[str],
    colour_index: int,
    title: str,
    xaxis: dict[str, Any],
    height: int,
) -> go.Figure:
    """Horizontal bars in the given order, first on top, each with its text beside it."""
    trace = go.Bar(
        x=list(values),
        y=_labels(labels),
        orientation="h",
        marker_color=colour(colour_index),
        text=list(texts),
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}: %{text}<extra></extra>",
    )
    return _figure(trace, title, xaxis=xaxis, yaxis={"autorange": "reversed"}, height=height)


def timeline_chart(
    days: Sequence[str],
    counts: Sequence[int | None],
    *,
    title: str,
    count_label: str,
    hidden_text: str = "",
) -> go.Figure:
    """Responses per day as columns (days of hidden counts are left empty)."""
    _check(days, counts, "counts")
    trace = go.Bar(
        x=list(days),
        y=list(counts),
        marker_color=colour(0),
        hovertext=_texts(counts, hidden_text),
        hovertemplate="%{x}: %{hovertext}<extra></extra>",
    )
    return _figure(
        trace,
        title,
        xaxis={"type": "date"},
        yaxis={"title": {"text": count_label}, "rangemode": "tozero"},
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
    xaxis = {"title": {"text": count_label}, "rangemode": "tozero"}
    return _bars(labels, list(counts), texts, 0, title, xaxis, _height(len(labels)))


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
        x=_labels(labels),
        y=list(counts),
        marker_color=colour(2),
        text=_texts(counts, hidden_text),
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{x}: %{text}<extra></extra>",
    )
    notes = []
    if mean is not None and mean_label:
        notes.append(
            {
                "text": safe_hover(mean_label),
                "xref": "paper",
                "yref": "paper",
                "x": 1,
                "y": 1.08,
                "showarrow": False,
            }
        )
    return _figure(
        trace,
        title,
        xaxis={"type": "category"},
        yaxis={"title": {"text": count_label}, "rangemode": "tozero"},
        annotations=notes,
    )


def ranking_chart(
    labels: Sequence[str],
    mean_ranks: Sequence[float | None],
    *,
    title: str,
    axis_label: str,
    hidden_text: str,
) -> go.Figure:
    """Mean rank per option, best (lowest) on top; options with hidden counts left empty."""
    _check(labels, mean_ranks, "mean_ranks")
    order = sorted(range(len(labels)), key=lambda i: (mean_ranks[i] is None, mean_ranks[i] or 0.0))
    return _bars(
        [labels[i] for i in order],
        [mean_ranks[i] for i in order],
        [hidden_text if mean_ranks[i] is None else f"{mean_ranks[i]:.2f}" for i in order],
        1,
        title,
        {"title": {"text": axis_label}, "rangemode": "tozero"},
        _height(len(labels)),
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
        {"range": [0, 100], "ticksuffix": "%"},
        _height(len(labels), 200),
    )


def crosstab_chart(
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    shares: Sequence[Sequence[float | None]],
    texts: Sequence[Sequence[str]],
    *,
    title: str,
) -> go.Figure:
    """Heatmap of row percentages; hidden cells stay blank and carry ``texts``."""
    if len(shares) != len(row_labels) or any(len(r) != len(column_labels) for r in shares):
        raise ValueError("shares must have one row per row label and one column per column")
    trace = go.Heatmap(
        z=[[None if s is None else s * 100 for s in row] for row in shares],
        x=_labels(column_labels),
        y=_labels(row_labels),
        colorscale=SEQUENTIAL,
        zmin=0,
        zmax=100,
        text=[list(r) for r in texts],
        texttemplate="%{text}",
        hovertemplate="%{y} × %{x}: %{text}<extra></extra>",
        colorbar={"ticksuffix": "%"},
    )
    return _figure(
        trace,
        title,
        yaxis={"autorange": "reversed"},
        height=max(260, 80 + 40 * len(row_labels)),
    )
