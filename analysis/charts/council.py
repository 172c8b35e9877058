"""Charts for council results and opinion groups: pure functions returning ``go.Figure``.

Every label arrives already translated; every text (titles, option and grade names, axis
labels, hover text) is HTML-escaped by ``analysis.charts.common.plain`` because Plotly reads
HTML in all of them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from analysis.charts.common import (
    PALETTE,
    SEQUENTIAL,
    base_layout,
    category_ticks,
    colour,
    plain,
    plain_all,
    rows_height,
)
from analysis.voting.tallies import (
    ApprovalResult,
    BudgetResult,
    MajorityJudgmentResult,
    SchulzeResult,
)

# Diverging orange-to-blue grade colours (colour-blind safe), worst grade first.
_GRADE_COLOURS: tuple[str, ...] = (
    "#b35806",
    "#f1a340",
    "#fee0b6",
    "#f7f7f7",
    "#d8daeb",
    "#998ec3",
    "#542788",
)
_GREY = "#bdbdbd"


def _grade_colours(n_grades: int) -> list[str]:
    if n_grades == len(_GRADE_COLOURS):
        return list(_GRADE_COLOURS)
    picks = np.linspace(0, len(_GRADE_COLOURS) - 1, n_grades).round().astype(int)
    return [_GRADE_COLOURS[i] for i in picks]


def _check_labels(labels: Sequence[str], expected: int, what: str) -> None:
    if len(labels) != expected:
        raise ValueError(f"{what}: expected {expected} labels, got {len(labels)}")


def _ranked(ranking: list[list[int]]) -> list[int]:
    return [option for tier in ranking for option in tier]


def _cells(rows: Sequence[str], columns: Sequence[str]) -> list[list[list[str]]]:
    """Per heatmap cell, its row's and column's whole names (escaped), for the hover label."""
    return [[[plain(r), plain(c)] for c in columns] for r in rows]


def _tight(fig: go.Figure, title: str, height: int, top: int = 10, bottom: int = 40) -> go.Figure:
    """The house layout with the figure's height and small margins (the page shows the title)."""
    fig = base_layout(fig, title)
    fig.update_layout(height=height, margin={"l": 10, "r": 50, "t": top, "b": bottom})
    return fig


def merit_profiles_chart(
    result: MajorityJudgmentResult,
    option_labels: Sequence[str],
    grade_labels: Sequence[str],
    title: str,
    *,
    median_label: str = "50%",
) -> go.Figure:
    """Stacked horizontal bars of grade shares per option, best-ranked option on top, with the
    median line at 50% (the majority grade is the colour under that line)."""
    n_options, n_grades = result.profiles.shape
    _check_labels(option_labels, n_options, "option_labels")
    _check_labels(grade_labels, n_grades, "grade_labels")
    order = _ranked(result.ranking)[::-1]
    totals = np.maximum(result.totals, 1)
    shares = result.profiles / totals[:, None] * 100
    names = [option_labels[i] for i in order]
    fig = go.Figure()
    for grade, grade_colour in enumerate(_grade_colours(n_grades)):
        fig.add_trace(
            go.Bar(
                name=plain(grade_labels[grade]),
                y=plain_all(names),
                x=shares[order, grade],
                orientation="h",
                marker={"color": grade_colour, "line": {"color": "#777777", "width": 0.5}},
                customdata=result.profiles[order, grade],
                hovertext=plain_all(names),
                hovertemplate="%{hovertext}: %{x:.1f}% (%{customdata})"
                "<extra>%{fullData.name}</extra>",
            )
        )
    fig.add_vline(x=50, line={"color": "#000000", "width": 2, "dash": "dash"})
    fig.add_annotation(
        x=50, y=1, yref="paper", yanchor="bottom", text=plain(median_label), showarrow=False
    )
    fig.update_layout(barmode="stack", xaxis={"range": [0, 100], "ticksuffix": "%"})
    fig.update_layout(
        yaxis=category_ticks(names),
        legend={"traceorder": "normal", "orientation": "h", "y": -0.1, "yanchor": "top"},
    )
    return _tight(fig, title, rows_height(names, top=80) + 40, top=30, bottom=20)


def approval_chart(
    result: ApprovalResult, option_labels: Sequence[str], title: str, *, axis_label: str = ""
) -> go.Figure:
    """Horizontal bars of approval shares, most approved on top; winners highlighted."""
    _check_labels(option_labels, result.totals.size, "option_labels")
    order = _ranked(result.ranking)[::-1]
    winners = set(result.winners)
    names = [option_labels[i] for i in order]
    fig = go.Figure(
        go.Bar(
            y=plain_all(names),
            x=result.shares[order] * 100,
            orientation="h",
            marker={"color": [PALETTE[0] if i in winners else PALETTE[4] for i in order]},
            customdata=result.totals[order],
            hovertext=plain_all(names),
            text=[f"{s:.0f}%" for s in result.shares[order] * 100],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{hovertext}: %{x:.1f}% (%{customdata})<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis={
            "title": {"text": plain(axis_label)},
            "range": [0, 115],
            "tickvals": [0, 25, 50, 75, 100],
            "ticktext": ["0%", "25%", "50%", "75%", "100%"],
        },
        yaxis=category_ticks(names),
    )
    return _tight(fig, title, rows_height(names))


def pairwise_heatmap(
    result: SchulzeResult,
    option_labels: Sequence[str],
    title: str,
    *,
    strongest_paths: bool = False,
    row_label: str = "",
    column_label: str = "",
) -> go.Figure:
    """Heatmap of ``d[i][j]`` (or of ``p[i][j]``): ballots preferring the row option to the
    column option, options in ranking order."""
    matrix = result.strongest_paths if strongest_paths else result.pairwise
    _check_labels(option_labels, matrix.shape[0], "option_labels")
    order = _ranked(result.ranking)
    names = [option_labels[i] for i in order]
    values = matrix[np.ix_(order, order)].astype(float)
    np.fill_diagonal(values, np.nan)
    # No colour bar and gaps between cells: both keep plotly.js from setting style
    # attributes, which the CSP refuses; each cell says its count.
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=plain_all(names),
            y=plain_all(names),
            colorscale=SEQUENTIAL,
            text=[["" if np.isnan(v) else f"{v:.0f}" for v in row] for row in values],
            texttemplate="%{text}",
            customdata=_cells(names, names),
            hovertemplate="%{customdata[0]} > %{customdata[1]}: %{z}<extra></extra>",
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    fig.update_layout(
        xaxis={**category_ticks(names), "title": {"text": plain(column_label)}, "side": "top"},
        yaxis={
            **category_ticks(names),
            "title": {"text": plain(row_label)},
            "autorange": "reversed",
        },
    )
    return _tight(fig, title, max(220, 140 + 40 * len(names)), bottom=10)


def budget_chart(
    result: BudgetResult,
    option_labels: Sequence[str],
    costs: ArrayLike,
    title: str,
    *,
    funded_label: str,
    unfunded_label: str,
    cost_label: str = "",
) -> go.Figure:
    """Horizontal bars of option costs, funded options first (in funding order), with the
    budget as a reference in the title area."""
    cost_array = np.asarray(costs, dtype=float)
    _check_labels(option_labels, cost_array.size, "option_labels")
    fig = go.Figure()
    for label, options, bar_colour in (
        (funded_label, result.funded, PALETTE[2]),
        (unfunded_label, result.unfunded, _GREY),
    ):
        fig.add_trace(
            go.Bar(
                name=plain(label),
                y=plain_all([option_labels[i] for i in options]),
                x=cost_array[options],
                orientation="h",
                marker={"color": bar_colour},
                customdata=result.approvals[options],
                hovertext=plain_all([option_labels[i] for i in options]),
                hovertemplate="%{hovertext}: %{x:,.0f} (%{customdata})"
                "<extra>%{fullData.name}</extra>",
            )
        )
    names = [option_labels[i] for i in [*result.funded, *result.unfunded]]
    fig.update_layout(
        xaxis={"title": {"text": plain(cost_label)}},
        yaxis={**category_ticks(names), "autorange": "reversed"},
        legend={"orientation": "h", "x": 0, "y": 1, "yanchor": "bottom"},
    )
    return _tight(fig, title, rows_height(names) + 40, top=30)


def opinion_map(
    coords: ArrayLike,
    labels: ArrayLike,
    group_labels: Sequence[str],
    title: str,
    *,
    hover_texts: Sequence[str] | None = None,
    unclustered_label: str = "",
) -> go.Figure:
    """Participants on the 2-D opinion map, one colour per group; ``-1`` = not clustered
    (shown in grey under ``unclustered_label``, or hidden when that label is empty)."""
    points = np.asarray(coords, dtype=float)
    label_array = np.asarray(labels, dtype=int)
    if points.ndim != 2 or points.shape[1] != 2 or points.shape[0] != label_array.size:
        raise ValueError("coords must be (participants, 2) and match labels")
    n_groups = int(label_array.max()) + 1 if label_array.size else 0
    _check_labels(group_labels, n_groups, "group_labels")
    if hover_texts is not None and len(hover_texts) != label_array.size:
        raise ValueError("hover_texts must have one entry per participant")
    fig = go.Figure()
    traces = [(g, group_labels[g], colour(g)) for g in range(n_groups)]
    if unclustered_label:
        traces.append((-1, unclustered_label, _GREY))
    for group, name, marker_colour in traces:
        members = np.flatnonzero(label_array == group)
        text = None
        if hover_texts is not None:
            text = plain_all([hover_texts[i] for i in members])
        fig.add_trace(
            go.Scatter(
                x=points[members, 0],
                y=points[members, 1],
                mode="markers",
                name=plain(name),
                marker={"color": marker_colour, "size": 7, "opacity": 0.8},
                text=text,
                hovertemplate=("%{text}" if text is not None else plain(name)) + "<extra></extra>",
            )
        )
    fig.update_layout(
        xaxis={"showticklabels": False, "zeroline": False},
        yaxis={"showticklabels": False, "zeroline": False, "scaleanchor": "x"},
        legend={"orientation": "h", "x": 0, "y": 0, "yanchor": "top"},
    )
    return _tight(fig, title, 420, bottom=10)
