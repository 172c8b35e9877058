"""Charts of needs: sizes, a map of answers, needs by territory.

Answers and need labels are untrusted input: every text is HTML-escaped (and hover texts
truncated) before it reaches Plotly, which reads HTML in every text it draws.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from analysis.charts.common import (
    SEQUENTIAL,
    base_layout,
    category_ticks,
    colour,
    plain,
    plain_all,
    rows_height,
)

HOVER_LIMIT = 160


def safe_hover(text: str, limit: int = HOVER_LIMIT) -> str:
    """Escape ``text`` for a Plotly hover label, cut to ``limit`` characters with an ellipsis."""
    return plain(text, limit)


def needs_by_size(
    labels: Sequence[str],
    sizes: Sequence[int],
    *,
    title: str,
    count_title: str,
    shares: Sequence[float] | None = None,
) -> go.Figure:
    """Horizontal bars, largest need on top; ``shares`` (0-1) are shown as percentages."""
    if len(labels) != len(sizes) or (shares is not None and len(shares) != len(sizes)):
        raise ValueError("labels, sizes and shares must have the same length")
    order = sorted(range(len(sizes)), key=lambda i: sizes[i])
    text = None
    if shares is not None:
        text = [f"{sizes[i]} ({shares[i]:.0%})" for i in order]
    names = [labels[i] for i in order]
    fig = go.Figure(
        go.Bar(
            x=[sizes[i] for i in order],
            y=plain_all(names),
            orientation="h",
            marker_color=colour(0),
            text=text,
            textposition="outside",
            textfont={"size": 12, "color": "#1a1a1a"},
            cliponaxis=False,
            hovertext=plain_all(names),
            hovertemplate="%{hovertext}: %{x}<extra></extra>",
        )
    )
    fig = base_layout(fig, title)
    top = max(sizes, default=0) or 1
    fig.update_layout(
        xaxis={"title": {"text": plain(count_title)}, "range": [0, top * 1.3]},
        yaxis=category_ticks(names),
        height=rows_height(names),
        margin={"l": 10, "r": 60, "t": 10, "b": 40},
    )
    return fig


SVG_POINTS = 5000


def answers_map(
    coords: np.ndarray,
    clusters: Sequence[int],
    texts: Sequence[str],
    need_labels: dict[int, str],
    *,
    title: str,
    unclassified_label: str,
    hover_limit: int = HOVER_LIMIT,
) -> go.Figure:
    """A 2-D scatter of answers, one trace per need so the legend can hide a need.

    Points with non-finite coordinates (non-answers) are left out.
    """
    coords = np.asarray(coords, dtype=float)
    of_answer = np.asarray(clusters)
    if coords.shape != (len(texts), 2) or len(of_answer) != len(texts):
        raise ValueError("coords must be (n, 2) and match clusters and texts")
    visible = np.isfinite(coords).all(axis=1)
    fig = go.Figure()
    order = [c for c in need_labels if c != -1] + [-1]
    for position, cluster in enumerate(order):
        members = np.flatnonzero((of_answer == cluster) & visible)
        if not len(members):
            continue
        name = unclassified_label if cluster == -1 else need_labels[cluster]
        fig.add_trace(
            # SVG up to a few thousand points (drawn everywhere, printable); WebGL beyond.
            (go.Scatter if len(texts) <= SVG_POINTS else go.Scattergl)(
                x=coords[members, 0],
                y=coords[members, 1],
                mode="markers",
                name=plain(name, 40),
                marker={
                    "size": 7,
                    "color": "#999999" if cluster == -1 else colour(position),
                    "opacity": 0.8,
                },
                text=[safe_hover(texts[i], hover_limit) for i in members],
                hovertemplate="%{text}<extra></extra>",
            )
        )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig = base_layout(fig, title)
    # The legend under the map, where a phone's narrow screen leaves it room.
    fig.update_layout(
        height=480,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        legend={"orientation": "h", "x": 0, "y": 0, "yanchor": "top"},
    )
    return fig


def needs_by_territory(
    counts: Sequence[Sequence[int | None]] | np.ndarray,
    need_labels: Sequence[str],
    territories: Sequence[str],
    *,
    title: str,
    share_by_territory: bool = False,
    hidden_text: str = "",
) -> go.Figure:
    """Heatmap of ``counts[need][territory]``; optionally as shares within each territory.

    A count of ``None`` is a hidden small group: its cell stays blank and says
    ``hidden_text``, and it adds nothing to the shares.
    """
    table = np.asarray([[np.nan if v is None else v for v in row] for row in counts], dtype=float)
    if table.shape != (len(need_labels), len(territories)):
        raise ValueError("counts must have one row per need and one column per territory")
    values = table
    if share_by_territory:
        totals = np.nansum(table, axis=0, keepdims=True)
        values = np.divide(table, totals, out=np.full_like(table, np.nan), where=totals > 0)
    texts = [[plain(hidden_text) if np.isnan(v) else f"{v:.0f}" for v in row] for row in table]
    # No colour bar and gaps between cells: both keep plotly.js from setting style
    # attributes, which the CSP refuses; each cell says its count.
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=plain_all(territories),
            y=plain_all(need_labels),
            colorscale=SEQUENTIAL,
            text=texts,
            texttemplate="%{text}",
            customdata=[[[plain(n), plain(t)] for t in territories] for n in need_labels],
            hovertemplate="%{customdata[0]} × %{customdata[1]}: %{text}<extra></extra>",
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    fig = base_layout(fig, title)
    fig.update_layout(
        xaxis={**category_ticks(territories), "side": "top"},
        yaxis={**category_ticks(need_labels), "autorange": "reversed"},
        height=max(200, 100 + 40 * len(need_labels)),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )
    return fig
