"""The territory map: uploaded outlines (GeoJSON) checked and kept, residents in needs per
area, and the actors with coordinates as points, flagged when they lie outside the outlines.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from survey.domain.actors import territory_choices
from survey.domain.queries import actors as directory
from survey.domain.queries import need_answers
from survey.errors import SurveyError
from survey.models.actors import TerritoryOutline

MAX_BYTES = 5 * 1024 * 1024
MAX_POINTS = 200_000
_NAME_KEYS = ("code", "quartier", "neighbourhood", "name", "nom", "NOM", "libelle", "nom_com")


class BadOutlines(SurveyError):
    """The uploaded file is not usable GeoJSON (a message key and its parameters)."""


def _rings(geometry: Any, feature: int) -> list[list[tuple[float, float]]]:
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise BadOutlines("actors.map_bad_geometry", n=feature)
    polygons = geometry.get("coordinates")
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    rings: list[list[tuple[float, float]]] = []
    if not isinstance(polygons, list):
        raise BadOutlines("actors.map_bad_geometry", n=feature)
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon or not isinstance(polygon[0], list):
            raise BadOutlines("actors.map_bad_geometry", n=feature)
        ring = []
        # The outer ring only: holes do not change which area a resident lives in.
        for point in polygon[0]:
            if (
                not isinstance(point, list | tuple)
                or len(point) < 2
                or not all(isinstance(v, int | float) and math.isfinite(v) for v in point[:2])
            ):
                raise BadOutlines("actors.map_bad_geometry", n=feature)
            lon, lat = float(point[0]), float(point[1])
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise BadOutlines("actors.map_bad_coordinates", n=feature)
            ring.append((lon, lat))
        if len(ring) < 4:
            raise BadOutlines("actors.map_bad_geometry", n=feature)
        rings.append(ring)
    return rings


def parse_outlines(data: bytes, places: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Areas of a GeoJSON ``FeatureCollection`` of polygons, each tied to a territory code
    when one of its properties names it (code or label), else kept under its own name."""
    if len(data) > MAX_BYTES:
        raise BadOutlines("actors.map_too_large", mb=MAX_BYTES // 2**20)
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise BadOutlines("actors.map_bad_json_at", line=exc.lineno, column=exc.colno) from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadOutlines("actors.map_bad_json") from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise BadOutlines("actors.map_not_collection")
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise BadOutlines("actors.map_no_area")
    from analysis.text import normalise

    codes = {normalise(t): p["code"] for p in places for t in (p["code"], p["fr"], p["en"]) if t}
    areas = []
    points = 0
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            raise BadOutlines("actors.map_bad_geometry", n=number)
        rings = _rings(feature.get("geometry"), number)
        points += sum(len(r) for r in rings)
        if points > MAX_POINTS:
            raise BadOutlines("actors.map_too_detailed", max=MAX_POINTS)
        given = feature.get("properties")
        properties: dict[str, Any] = given if isinstance(given, dict) else {}
        name = next(
            (str(properties[k]) for k in _NAME_KEYS if properties.get(k) not in (None, "")),
            f"{number}",
        )[:200]
        areas.append({"code": codes.get(normalise(name), name), "name": name, "rings": rings})
    return areas


async def save_outlines(data: bytes, filename: str) -> int:
    """Check and keep an outlines file; return its number of areas."""
    areas = parse_outlines(data, await territory_choices())
    await TerritoryOutline.create(filename=filename[:200], areas=areas)
    return len(areas)


@dataclass(frozen=True)
class MapData:
    areas: list[dict[str, Any]]
    geographic: bool
    residents: dict[str, int | None]
    points: list[dict[str, Any]]
    outside: list[dict[str, Any]]
    filename: str


def _inside(lon: float, lat: float, ring: list[tuple[float, float]]) -> bool:
    """Ray casting: is the point inside the ring?"""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


async def map_data(threshold: int) -> MapData:
    """What the map draws: the newest outlines (or one square per neighbourhood), residents
    in a need per area (small groups hidden), and the actors with coordinates."""
    outline = await TerritoryOutline.all().order_by("-uploaded_at", "-id").first()
    places = await territory_choices()
    counts = {r.place: r.residents for r in await need_answers.residents_in_needs_by_place()}
    actors = await directory.located()
    residents = {k: (v if v >= threshold else None) for k, v in counts.items()}
    points: list[dict[str, Any]] = []
    for row in actors:
        services = row["services"]
        points.append(
            {
                "id": row["id"],
                "name": row["name"],
                "lon": row["longitude"],
                "lat": row["latitude"],
                "detail": services[0] if services else "",
                "neighbourhood": row["neighbourhood"],
            }
        )
    if outline is None:
        return MapData([], False, residents, points, [], "")
    areas = [
        {"code": a["code"], "name": a["name"], "rings": [[tuple(p) for p in r] for r in a["rings"]]}
        for a in outline.areas
    ]
    outside = [
        p
        for p in points
        if not any(_inside(p["lon"], p["lat"], ring) for a in areas for ring in a["rings"])
    ]
    names = {p["code"]: p for p in places}
    for area in areas:
        if area["code"] in names:
            area["name"] = names[area["code"]]["fr"] or area["name"]
    return MapData(areas, True, residents, points, outside, outline.filename)
