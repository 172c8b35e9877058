"""The directory of actors and resources over HTTP, as staff use it without JavaScript."""

from __future__ import annotations

import itertools

import httpx
import pytest

from survey.models.actors import Actor
from tests.factories import make_survey
from tests.factories.staff import staff_client
from tests.htmlform import field_value, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")
_counter = itertools.count(1)
HOSTILE = '<script>alert("x")</script>'


async def csrf(client: httpx.AsyncClient) -> str:
    return field_value((await client.get("/staff/actors/new")).text, "csrf")


def actor_fields(token: str, **values: str) -> list[tuple[str, str]]:
    fields = {
        "name": f"Épicerie solidaire du Biollay {next(_counter)}",
        "kind": "association",
        "services": "Paniers de légumes à petit prix\nAteliers cuisine",
        "skills": "",
        "resources": "Une cuisine équipée",
        "themes": "alimentation, lien social",
        "audience": "Familles aux revenus modestes",
        "neighbourhood": "biollay",
        "commune": "Chambéry",
        "address": "12 rue des Lilas",
        "latitude": "45,566",
        "longitude": "5.921",
        "hours": "Mardi et vendredi 14 h – 18 h",
        "phone": "04 79 00 00 00",
        "email": "epicerie@example.org",
        "website": "https://epicerie.example.org",
        "source": "saisie",
        "public": "1",
        "checked_on": "01/12/2026",
        **values,
    }
    return [("csrf", token), *((k, v) for k, v in fields.items() if v is not None)]


async def test_actor_create_stores_it_and_lists_it(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    await make_survey()
    name = f"Épicerie du Biollay {next(_counter)}"
    response = await post_form(client, "/staff/actors", actor_fields(await csrf(client), name=name))
    assert response.status_code == 303
    actor = await Actor.get(name=name)
    assert response.headers["location"] == f"/staff/actors?saved={actor.id}#a-{actor.id}"
    assert actor.services == ["Paniers de légumes à petit prix", "Ateliers cuisine"]
    assert actor.themes == ["alimentation", "lien social"]
    assert actor.latitude == 45.566
    assert actor.public is True
    assert actor.checked_on is not None and actor.checked_on.isoformat() == "2026-12-01"
    page = await client.get("/staff/actors?neighbourhood=biollay&q=paniers")
    assert page.status_code == 200
    assert f'id="a-{actor.id}"' in page.text
    assert "Le Biollay" in text_of(page.text)


async def test_actor_form_errors_show_next_to_fields_with_input_kept(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    await make_survey()
    before = await Actor.all().count()
    response = await post_form(
        client,
        "/staff/actors",
        actor_fields(
            await csrf(client),
            name=HOSTILE,
            latitude="quarante-cinq",
            longitude="",
            website="javascript:alert(1)",
            neighbourhood="atlantide",
            services="",
            resources="",
        ),
    )
    assert response.status_code == 422
    assert await Actor.all().count() == before
    page = response.text
    assert 'id="e-latitude"' in page and "Latitude non reconnue" in text_of(page)
    assert 'id="e-website"' in page and "https://" in text_of(page)
    assert 'id="e-neighbourhood"' in page
    assert 'id="e-services"' in page
    # What was typed is shown again, escaped.
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert HOSTILE not in page
    assert 'value="quarante-cinq"' in page


async def test_actor_resident_needs_explicit_consent(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    token = await csrf(client)
    name = f"Marie, voisine {next(_counter)}"
    fields = actor_fields(token, name=name, kind="resident", neighbourhood="", public="")
    refused = await post_form(client, "/staff/actors", fields)
    assert refused.status_code == 422
    assert 'id="e-consent"' in refused.text
    accepted = await post_form(client, "/staff/actors", [*fields, ("consent", "1")])
    assert accepted.status_code == 303
    assert (await Actor.get(name=name)).consent is True


async def test_actor_edit_and_archive(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    token = await csrf(client)
    await post_form(client, "/staff/actors", actor_fields(token, name=HOSTILE, neighbourhood=""))
    actor = await Actor.filter(name=HOSTILE).order_by("-id").first()
    assert actor is not None
    listing = await client.get(f"/staff/actors?q={actor.name[:8]}")
    assert HOSTILE not in listing.text and "&lt;script&gt;" in listing.text
    edit = await client.get(f"/staff/actors/{actor.id}")
    assert "Paniers de légumes à petit prix\nAteliers cuisine</textarea>" in edit.text
    saved = await post_form(
        client,
        f"/staff/actors/{actor.id}",
        actor_fields(token, name="Épicerie renommée", neighbourhood="", hours="Samedi matin"),
    )
    assert saved.status_code == 303
    await actor.refresh_from_db()
    assert (actor.name, actor.hours) == ("Épicerie renommée", "Samedi matin")
    archived = await post_form(
        client, f"/staff/actors/{actor.id}/archive", [("csrf", token), ("archived", "1")]
    )
    assert archived.status_code == 303
    await actor.refresh_from_db()
    assert actor.archived is True
    live = await client.get("/staff/actors?q=renommée")
    assert f'id="a-{actor.id}"' not in live.text
    shown = await client.get("/staff/actors?q=renommée&archived=1")
    assert f'id="a-{actor.id}"' in shown.text


async def test_actor_merge_joins_offers_and_archives_the_others(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    token = await csrf(client)
    tag = next(_counter)
    first = await Actor.create(name=f"CCAS {tag}", services=["Aide aux démarches"], phone="")
    second = await Actor.create(
        name=f"C.C.A.S. {tag}", services=["Portage de repas"], phone="04 79 11 22 33"
    )
    page = await client.get(f"/staff/actors/merge?ids={first.id}&ids={second.id}")
    assert page.status_code == 200
    assert f'name="keep" value="{first.id}" checked' in page.text
    no_keep = await post_form(
        client, "/staff/actors/merge", [("csrf", token), ("ids", str(first.id))]
    )
    assert no_keep.status_code == 400
    merged = await post_form(
        client,
        "/staff/actors/merge",
        [("csrf", token), ("ids", str(first.id)), ("ids", str(second.id)), ("keep", str(first.id))],
    )
    assert merged.status_code == 303
    await first.refresh_from_db()
    await second.refresh_from_db()
    assert first.services == ["Aide aux démarches", "Portage de repas"]
    assert first.phone == "04 79 11 22 33"
    assert (second.archived, second.merged_into_id) == (True, first.id)  # type: ignore[attr-defined]


async def test_actor_pages_need_a_staff_login(client: httpx.AsyncClient) -> None:
    for path in ("/staff/actors", "/staff/actors/new", "/staff/actors/1"):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/staff/login")
    refused = await client.post("/staff/actors", data={"name": "x"})
    assert refused.status_code in (303, 403)
    assert not await Actor.exists(name="x")
