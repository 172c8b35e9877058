"""Shared chart settings: a colour-blind-safe palette and a sober layout."""

from __future__ import annotations

import plotly.graph_objects as go

# Okabe & Ito's palette, readable with the common forms of colour blindness.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)

# A sequential scale (light to dark blue) for heatmaps.
SEQUENTIAL: list[list[float | str]] = [[0.0, "#f7fbff"], [0.5, "#6baed6"], [1.0, "#08306b"]]


def colour(index: int) -> str:
    """Return the palette colour for a category index (cycles past the end)."""
    return PALETTE[index % len(PALETTE)]


_GRID = "#e5e5e5"


def base_layout(fig: go.Figure, title: str) -> go.Figure:
    """Apply the house layout: title, system fonts, white background, tight margins.

    The look of Plotly's "plotly_white" template is set by hand: applying the template
    costs tens of milliseconds per figure, which a dashboard of many charts pays each time.
    """
    fig.update_layout(
        title={"text": title},
        font={"family": "system-ui, sans-serif", "size": 14, "color": "#1a1a1a"},
        margin={"l": 40, "r": 20, "t": 60, "b": 40},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        colorway=list(PALETTE),
    )
    fig.update_xaxes(gridcolor=_GRID, zerolinecolor=_GRID, linecolor=_GRID)
    fig.update_yaxes(gridcolor=_GRID, zerolinecolor=_GRID, linecolor=_GRID)
    return fig
