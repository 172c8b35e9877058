"""The territory map over HTTP: outlines uploaded, checked, drawn offline with the actors."""

from __future__ import annotations

import json
import re
import uuid

import httpx
import pytest

from survey.models.actors import Actor
from tests.factories import make_survey
from tests.factories.staff import staff_client
from tests.htmlform import field_value, text_of

pytestmark = pytest.mark.usefixtures("orm")
HOSTILE = "<script>alert(1)</script>"


def square(lon: float, lat: float, size: float = 0.01) -> list[list[float]]:
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


async def send(client: httpx.AsyncClient, data: bytes) -> httpx.Response:
    token = field_value((await client.get("/staff/actors/map")).text, "csrf")
    return await client.post(
        "/staff/actors/map",
        data={"csrf": token},
        files={"file": ("quartiers.geojson", data, "application/geo+json")},
    )


async def test_map_refuses_malformed_outlines_with_a_clear_message(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    for data, message in (
        (b"{not json", "pas du JSON lisible"),
        (b'{"type": "Feature"}', "pas une FeatureCollection"),
        (
            json.dumps({"type": "FeatureCollection", "features": [
                {"type": "Feature", "properties": {}, "geometry": {"type": "Point",
                 "coordinates": [5.9, 45.5]}}]}).encode(),
            "L'élément 1 n'est pas un polygone valide",
        ),
        (
            json.dumps({"type": "FeatureCollection", "features": [
                {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
                 "coordinates": [square(500, 45.5)]}}]}).encode(),
            "hors des longitudes et latitudes possibles",
        ),
    ):  # fmt: skip
        response = await send(client, data)
        assert response.status_code == 400
        assert message in text_of(response.text)


async def test_map_draws_uploaded_outlines_and_flags_actors_outside(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    await make_survey()
    tag = uuid.uuid4().hex[:6]
    inside = await Actor.create(
        name=f"{HOSTILE} Dedans {tag}", services=["Aide"], latitude=45.585, longitude=5.945
    )
    outside = await Actor.create(
        name=f"Dehors {tag}", services=["Aide"], latitude=48.85, longitude=2.35
    )
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"nom": "Les Hauts-de-Chambéry"},
         "geometry": {"type": "Polygon", "coordinates": [square(5.94, 45.58)]}},
        {"type": "Feature", "properties": {"name": f"{HOSTILE} Zone {tag}"},
         "geometry": {"type": "MultiPolygon", "coordinates": [[square(5.90, 45.57)]]}},
    ]}  # fmt: skip
    saved = await send(client, json.dumps(collection).encode())
    assert saved.status_code == 303
    page = await client.get("/staff/actors/map")
    assert page.status_code == 200
    assert HOSTILE not in page.text
    figure = json.loads(
        re.search(
            r'<script type="application/json" id="[^"]+">(.*?)</script>', page.text, re.S
        ).group(1)
    )
    texts = [t.get("text") for t in figure["data"]]
    assert any(isinstance(t, str) and t.startswith("Les Hauts-de-Chambéry") for t in texts)
    assert any(isinstance(t, str) and "&lt;script&gt;" in t for t in texts)
    markers = next(t for t in figure["data"] if t.get("mode") == "markers")
    assert any("&lt;script&gt;" in t and tag in t for t in markers["text"])
    listed = text_of(page.text).split("hors des contours", 1)[1]
    assert outside.name in listed and inside.name not in listed
    # Nothing is fetched from another host: scripts and styles are ours.
    for ref in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert not ref.startswith(("http:", "https:", "//")), ref
