"""The gap view, the public directory of local help and the demo directory, over HTTP."""

from __future__ import annotations

import gzip
import itertools
import json
import re
from pathlib import Path

import httpx
import pytest

from survey.domain.actors import clean_actor
from survey.domain.actors_demo import load_demo_actors
from survey.models.actors import Actor, ActorNeedLink
from survey.web.actors import actor_draft
from tests.factories import make_survey
from tests.factories.needs import BUS_TEXTS, survey_with_need
from tests.factories.staff import staff_client
from tests.htmlform import field_value, post_form, text_of

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.usefixtures("orm")
_counter = itertools.count(1)
HOSTILE = "<script>alert(1)</script>"


async def test_gap_view_lists_needs_without_confirmed_actor(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    label = f"Bus du soir {next(_counter)}"
    definition, run, need = await survey_with_need(label, BUS_TEXTS, place="hauts")
    page = await client.get("/staff/actors/gaps")
    assert page.status_code == 200
    row = re.search(
        rf"<tr>\s*<th scope=\"row\"><a href=\"[^\"]+/needs/{need.id}/actors\">.*?</tr>",
        page.text,
        re.S,
    )
    assert row is not None
    cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(0))
    assert cells[0] == "6" and "6" in cells[1:]
    actor = await Actor.create(name=f"Navette {next(_counter)}", services=["Minibus le soir"])
    url = f"/staff/surveys/{definition.slug}/analysis/{run.id}/needs/{need.id}/actors"
    token = field_value((await client.get(url)).text, "csrf")
    await post_form(
        client, url, [("csrf", token), ("actor", str(actor.id)), ("state", "confirmed")]
    )
    after = await client.get("/staff/actors/gaps")
    assert f"/needs/{need.id}/actors" not in after.text


async def test_public_directory_shows_public_entries_only_and_is_light(
    client: httpx.AsyncClient,
) -> None:
    await make_survey()
    tag = next(_counter)
    shown = await Actor.create(
        name=f"{HOSTILE} Épicerie {tag}", services=["Paniers à petit prix"], themes=[f"aide {tag}"],
        neighbourhood="biollay", phone="04 79 00 00 01", public=True, hours="Mardi",
    )  # fmt: skip
    resident = await Actor.create(
        name=f"Karim {tag}", kind="resident", consent=True, public=True, phone="06 11 22 33 44",
        services=["Accompagner en voiture"], themes=[f"aide {tag}"], neighbourhood="biollay",
    )  # fmt: skip
    hidden = await Actor.create(name=f"Interne {tag}", services=["x"], themes=[f"aide {tag}"])
    page = await client.get(f"/aide?theme=aide {tag}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert shown.name in text and resident.name in text and hidden.name not in text
    assert HOSTILE not in page.text and "&lt;script&gt;" in page.text
    assert 'href="tel:0479000001"' in page.text
    assert "06 11 22 33 44" not in page.text
    assert "Le Biollay" in text
    assert "<script" not in page.text
    css = (ROOT / "survey" / "static" / "css" / "parlons.css").read_bytes()
    full = await client.get("/aide")
    weight = len(gzip.compress(full.content)) + len(gzip.compress(css))
    assert weight <= 14 * 1024, weight
    refs = re.findall(r'(?:src|href)="([^"]+)"', full.text)
    loaded = [r for r in re.findall(r'<link[^>]+href="([^"]+)"', full.text)]
    assert all(r.startswith(("/", "data:")) for r in loaded)
    assert not any("src=" in r for r in refs)
    english = await client.get(f"/aide?lang=en&quartier=biollay&theme=aide {tag}")
    assert "Who helps near me?" in text_of(english.text)


async def test_demo_directory_loads_once_with_valid_entries_and_matches() -> None:
    definition = await make_survey()
    first = await load_demo_actors(definition, ROOT / "fixtures")
    again = await load_demo_actors(definition, ROOT / "fixtures")
    data = json.loads((ROOT / "fixtures" / "demo_actors.json").read_text(encoding="utf-8"))
    assert 35 <= len(data["actors"]) <= 50
    assert again == 0
    assert first in (0, len(data["actors"]))  # 0 when another test loaded the demo first
    places = ["centre", "bissy", "biollay", "hauts", "merande", "charmettes", "agglo"]
    for item in data["actors"]:
        form = {k: v for k, v in item.items() if k != "needs"}
        form = {
            **{
                k: str(v)
                for k, v in form.items()
                if not isinstance(v, list | bool) and v is not None
            },
            **{k: "\n".join(v) for k, v in form.items() if isinstance(v, list)},
            **{k: "1" for k, v in form.items() if v is True},
        }
        form["themes"] = ", ".join(item["themes"])
        clean_actor(actor_draft(form), places)  # raises on any entry the form would refuse
    links = await ActorNeedLink.filter(survey_id=definition.id, state="confirmed").count()
    assert links == len(data["matches"])
