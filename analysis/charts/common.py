"""Shared chart settings: a colour-blind-safe palette, a sober layout, and the escaping
that every text of a figure goes through.

Plotly reads a subset of HTML in every text it draws (titles, axis and tick labels, legend
names, annotations, hover labels): ``<a href>`` becomes a live link, ``<br>`` a line break.
Labels come from staff and residents, so each one is escaped by :func:`plain` (or wrapped by
:func:`wrapped`, which escapes first and then adds its own ``<br>``) before it reaches a
figure; Plotly turns the entities back into the characters typed.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

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

# Longest label kept whole (in hover labels and as a category's name) and the width and
# number of lines of a tick label; the data table under each chart has the full text.
TEXT_LIMIT = 200
TICK_WIDTH = 26
TICK_LINES = 2


def plain(text: object, limit: int = TEXT_LIMIT) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis, HTML-escaped."""
    flat = " ".join(str(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    # Quotes as numeric references: Plotly decodes those, not the name "&quot;".
    return html.escape(flat, quote=False).replace('"', "&#34;").replace("'", "&#39;")


def plain_all(texts: Sequence[object], limit: int = TEXT_LIMIT) -> list[str]:
    """:func:`plain` over a sequence."""
    return [plain(t, limit) for t in texts]


def wrapped(text: object, width: int = TICK_WIDTH, lines: int = TICK_LINES) -> str:
    """``text`` escaped and broken into at most ``lines`` lines of about ``width`` characters
    (the last one cut with an ellipsis), for a tick label."""
    rows: list[str] = []
    for word in " ".join(str(text).split()).split(" "):
        if rows and len(rows[-1]) + 1 + len(word) <= width:
            rows[-1] += " " + word
        else:
            rows.append(word)
    if len(rows) > lines:
        rows = rows[:lines]
        rows[-1] = rows[-1][: width - 1].rstrip() + "…"
    rows = [row if len(row) <= width else row[: width - 1].rstrip() + "…" for row in rows]
    return "<br>".join(plain(row) for row in rows)


def category_ticks(labels: Sequence[object]) -> dict[str, Any]:
    """Axis settings that show every category, each under a wrapped (escaped) label.

    The categories themselves are the escaped full labels (see :func:`plain`), so hover
    labels show the whole text while the axis shows at most two short lines.
    """
    return {
        "type": "category",
        "tickmode": "array",
        "tickvals": plain_all(labels),
        "ticktext": [wrapped(label) for label in labels],
        "tickfont": {"size": 12},
        "automargin": True,
    }


def rows_height(labels: Sequence[object], least: int = 150, top: int = 20) -> int:
    """A horizontal chart's height: room for each category's label (one or two lines)."""
    per_row = 38 if any(len(str(label)) > TICK_WIDTH for label in labels) else 26
    return max(least, top + 50 + per_row * len(labels))


def base_layout(fig: go.Figure, title: str) -> go.Figure:
    """Apply the house layout: title, system fonts, white background, tight margins.

    The look of Plotly's "plotly_white" template is set by hand: applying the template
    costs tens of milliseconds per figure, which a dashboard of many charts pays each time.
    """
    fig.update_layout(
        title={"text": plain(title)},
        font={"family": "system-ui, sans-serif", "size": 14, "color": "#1a1a1a"},
        margin={"l": 40, "r": 20, "t": 60, "b": 40},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        colorway=list(PALETTE),
    )
    fig.update_xaxes(gridcolor=_GRID, zerolinecolor=_GRID, linecolor=_GRID)
    fig.update_yaxes(gridcolor=_GRID, zerolinecolor=_GRID, linecolor=_GRID)
    return fig
