"""The offline territory map: shapes shaded by value, names escaped, schematic layout."""

from __future__ import annotations

from analysis.charts.territory import (
    Area,
    Point,
    schematic_areas,
    schematic_points,
    territory_map,
)

RING = [(5.9, 45.5), (5.91, 45.5), (5.91, 45.51), (5.9, 45.51), (5.9, 45.5)]


def test_territory_map_shades_areas_and_escapes_names() -> None:
    areas = [Area("a", "<b>Nord</b>", [RING]), Area("b", "Sud", [RING]), Area("c", "Est", [RING])]
    fig = territory_map(
        areas,
        {"a": 10, "b": 5, "c": None},
        [Point(5.905, 45.505, "<i>Club</i>", "Jeux")],
        title="Carte",
        value_label="habitants",
        hidden_label="moins de 5",
    )
    shapes = [t for t in fig.data if t.fill == "toself"]
    assert [t.text for t in shapes] == [
        "&lt;b&gt;Nord&lt;/b&gt;: 10 habitants",
        "Sud: 5 habitants",
        "Est: moins de 5",
    ]
    assert shapes[0].fillcolor == "rgb(8,48,107)"
    assert shapes[2].fillcolor == "rgb(247,251,255)"
    markers = fig.data[-1]
    assert markers.text == ("&lt;i&gt;Club&lt;/i&gt; – Jeux",)
    assert fig.layout.yaxis.scaleratio > 1.4  # one degree of longitude is shorter at 45°N


def test_schematic_places_actors_inside_their_square() -> None:
    areas = schematic_areas(["x", "y"], {"x": "Centre"})
    assert [a.name for a in areas] == ["Centre", "y"]
    points = schematic_points(areas, [("y", "A", ""), ("y", "B", ""), ("z", "C", "")])
    assert [p.name for p in points] == ["A", "B"]
    x0, y0 = areas[1].rings[0][0]
    assert all(x0 < p.lon < x0 + 0.9 and y0 < p.lat < y0 + 0.9 for p in points)
