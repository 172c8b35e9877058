"""Coordinates outside the territory and malformed outlines, refused with a clear message
next to their field, what was typed kept."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import httpx
import pytest

from survey.domain.actors import bounds_of
from survey.domain.actors_map import parse_outlines
from survey.models.actors import Actor
from tests.factories import make_survey
from tests.factories.staff import staff_client
from tests.htmlform import text_of
from tests.survey.domain.test_actors import actor_fields, csrf
from tests.survey.domain.test_actors_io import gogocarto_file, upload
from tests.survey.domain.test_actors_map import send

pytestmark = pytest.mark.usefixtures("orm")
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
DEMO_OUTLINES = (FIXTURES / "demo_outlines.json").read_bytes()


def typed(page: str, name: str) -> str:
    """The value an input of the page shows."""
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    assert tag is not None, name
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else ""


def test_demo_outlines_hold_every_demo_actor() -> None:
    bounds = bounds_of(parse_outlines(DEMO_OUTLINES, []))
    assert bounds is not None
    actors = json.loads((FIXTURES / "demo_actors.json").read_text("utf-8"))["actors"]
    placed = [a for a in actors if a.get("latitude") is not None]
    assert len(placed) >= 30
    for actor in placed:
        assert bounds.lat_min <= actor["latitude"] <= bounds.lat_max, actor["name"]
        assert bounds.lon_min <= actor["longitude"] <= bounds.lon_max, actor["name"]


def test_bounds_keep_a_margin_of_about_ten_kilometres() -> None:
    bounds = bounds_of([{"rings": [[(5.90, 45.57), (5.91, 45.57), (5.91, 45.58)]]}])
    assert bounds is not None
    assert (round(bounds.lat_min, 3), round(bounds.lat_max, 3)) == (45.47, 45.68)
    assert (round(bounds.lon_min, 3), round(bounds.lon_max, 3)) == (5.8, 6.01)
    assert bounds_of([]) is None


async def test_swapped_coordinates_are_refused_next_to_their_field(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    await make_survey()
    assert (await send(client, DEMO_OUTLINES)).status_code == 303
    token = await csrf(client)
    name = "Jardin partagé des Charmettes (coordonnées inversées)"
    fields = actor_fields(token, name=name, latitude="5.9301", longitude="45.5521")
    response = await client.post("/staff/actors", data=dict(fields))
    assert response.status_code == 422
    page = response.text
    errors = dict(re.findall(r'<p class="error" id="e-(\w+)">([^<]*)</p>', page))
    assert set(errors) == {"latitude", "longitude"}
    assert "hors du territoire (latitude 45.4" in text_of(errors["latitude"])
    assert "ordre latitude puis longitude" in text_of(errors["latitude"])
    assert typed(page, "latitude") == "5.9301"
    assert typed(page, "longitude") == "45.5521"
    assert typed(page, "name") == name
    assert not await Actor.exists(name=name)
    fields = actor_fields(token, name=name, latitude="45.5521", longitude="5.9301")
    assert (await client.post("/staff/actors", data=dict(fields))).status_code == 303
    assert await Actor.exists(name=name, latitude=45.5521)


async def test_import_outside_the_territory_imports_nothing(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    assert (await send(client, DEMO_OUTLINES)).status_code == 303
    tag = "far-away"
    response = await upload(client, gogocarto_file(tag, lat=48.85), "export.json")
    assert response.status_code == 422
    assert "hors du territoire" in text_of(response.text)
    assert not await Actor.filter(source_key__startswith=f"gogocarto:{tag}-").exists()


async def test_malformed_outlines_say_where_next_to_the_field(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    response = await send(client, b'{"type": "FeatureCollection",\n "features": [}')
    assert response.status_code == 400
    error = re.search(r'<p class="error" id="e-file">([^<]*)</p>', response.text)
    assert error is not None
    assert "erreur ligne 2, colonne 15" in text_of(error.group(1))
    assert 'aria-describedby="h-file e-file"' in response.text
