"""The territory map drawn offline: outlines as filled shapes, actors as points.

Plotly's geographic traces fetch their base map from a CDN; these are plain ``Scatter``
traces on longitude/latitude axes (aspect corrected for the latitude), so nothing but the
figure's own data is drawn. Without outlines, a schematic: one square per area, side by side.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from analysis.charts.common import base_layout, plain

Ring = Sequence[tuple[float, float]]


@dataclass(frozen=True)
class Area:
    """An area (neighbourhood or commune): its code, name and outer rings (lon, lat)."""

    code: str
    name: str
    rings: Sequence[Ring]


@dataclass(frozen=True)
class Point:
    """An actor on the map."""

    lon: float
    lat: float
    name: str
    detail: str


def _shade(value: float, top: float) -> str:
    """Light to dark blue with the share of the largest value."""
    share = 0.0 if top <= 0 else max(0.0, min(1.0, value / top))
    light, dark = (247, 251, 255), (8, 48, 107)
    rgb = [round(a + (b - a) * share) for a, b in zip(light, dark, strict=True)]
    return f"rgb({rgb[0]},{rgb[1]},{rgb[2]})"


def schematic_areas(codes: Sequence[str], names: Mapping[str, str]) -> list[Area]:
    """Unit squares in rows of four, one per area, for a territory without outlines."""
    areas = []
    for index, code in enumerate(codes):
        x, y = index % 4, -(index // 4)
        ring = [(x, y), (x + 0.9, y), (x + 0.9, y + 0.9), (x, y + 0.9), (x, y)]
        areas.append(Area(code, names.get(code, code), [ring]))
    return areas


def territory_map(
    areas: Sequence[Area],
    values: Mapping[str, int | None],
    points: Sequence[Point],
    *,
    title: str,
    value_label: str,
    hidden_label: str,
    geographic: bool = True,
) -> go.Figure:
    """Areas shaded by ``values`` (``None``: a small group, shown without its number) and
    the actors as points. Names are plain text: they are escaped here, since Plotly reads
    hover texts as a little HTML."""
    fig = go.Figure()
    top = max((v for v in values.values() if v), default=0)
    for area in areas:
        value = values.get(area.code, 0)
        label = hidden_label if value is None else f"{value} {value_label}"
        for ring in area.rings:
            lons = [p[0] for p in ring]
            lats = [p[1] for p in ring]
            fig.add_trace(
                go.Scatter(
                    x=lons,
                    y=lats,
                    mode="lines",
                    fill="toself",
                    fillcolor=_shade(value or 0, top),
                    line={"color": "#555555", "width": 1},
                    name=plain(area.name),
                    text=f"{plain(area.name)}: {plain(label)}",
                    hoverinfo="text",
                    hoveron="fills",
                    showlegend=False,
                )
            )
        if not geographic and area.rings:
            ring = area.rings[0]
            fig.add_annotation(
                x=sum(p[0] for p in ring[:-1]) / max(1, len(ring) - 1),
                y=ring[0][1] + 0.8,
                text=f"{plain(area.name)}<br>{plain(label)}",
                showarrow=False,
                font={"size": 12},
            )
    if points:
        fig.add_trace(
            go.Scatter(
                x=[p.lon for p in points],
                y=[p.lat for p in points],
                mode="markers",
                marker={"size": 9, "color": "#E69F00", "line": {"color": "#000000", "width": 1}},
                text=[plain(f"{p.name} – {p.detail}" if p.detail else p.name) for p in points],
                hoverinfo="text",
                name="actors",
                showlegend=False,
            )
        )
    base_layout(fig, title)
    lats = [p[1] for a in areas for r in a.rings for p in r] + [p.lat for p in points]
    ratio = 1.0
    if geographic and lats:
        # A degree of longitude is shorter than one of latitude away from the equator.
        ratio = 1 / max(0.1, math.cos(math.radians(sum(lats) / len(lats))))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=ratio)
    fig.update_layout(height=520, hovermode="closest", plot_bgcolor="#ffffff")
    return fig


def schematic_points(areas: Sequence[Area], actors: Sequence[tuple[str, str, str]]) -> list[Point]:
    """Actors ``(area code, name, detail)`` set out on a small grid inside their square."""
    squares = {a.code: a.rings[0][0] for a in areas if a.rings}
    placed: dict[str, int] = {}
    points = []
    for code, name, detail in actors:
        if code not in squares:
            continue
        index = placed.get(code, 0)
        placed[code] = index + 1
        x, y = squares[code]
        column, row = index % 6, index // 6
        points.append(Point(x + 0.1 + 0.13 * column, y + 0.1 + 0.12 * (row % 5), name, detail))
    return points
