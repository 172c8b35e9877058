"""Imports and exports of the directory: through the staff page and the command line."""

from __future__ import annotations

import csv
import io
import itertools
import json
import uuid

import httpx
import pytest

from survey.models.actors import Actor
from tests.factories import make_survey
from tests.factories.cli import parlons
from tests.factories.staff import staff_client
from tests.htmlform import field_value, text_of

pytestmark = pytest.mark.usefixtures("orm")
_counter = itertools.count(1)
HOSTILE = '<img src=x onerror="alert(1)">'


def gogocarto_file(tag: str, **changes: object) -> bytes:
    """A small GoGoCarto export: elements with ids, categories by id, and the taxonomy."""
    elements = [
        {
            "id": f"{tag}-a",
            "name": f"Repair café {tag}",
            "geo": {"latitude": 45.57, "longitude": 5.92},
            "address": {
                "streetAddress": "3 place du Marché",
                "postalCode": "73000",
                "addressLocality": "Chambéry",
            },
            "categories": [11],
            "description": "Réparer ensemble petits appareils et vélos",
            "telephone": "04 79 12 34 56",
            "openHours": {"Sa": "09:00-12:00"},
        },
        {
            "id": f"{tag}-b",
            "name": f"{HOSTILE} Jardin {tag}",
            "lat": 45.56,
            "lng": 5.93,
            "categories": [12],
            "description": "Parcelles de jardin partagé",
            **changes,
        },
    ]
    taxonomy = [
        {
            "id": 1,
            "name": "Catégories",
            "options": [
                {"id": 11, "name": "Réparation", "subcategories": []},
                {"id": 12, "name": "Jardinage", "subcategories": []},
            ],
        }
    ]
    return json.dumps({"data": elements, "taxonomy": taxonomy}).encode()


async def upload(
    client: httpx.AsyncClient, data: bytes, name: str, **fields: str
) -> httpx.Response:
    token = field_value((await client.get("/staff/actors/import")).text, "csrf")
    return await client.post(
        "/staff/actors/import",
        data={"csrf": token, **fields},
        files={"file": (name, data, "application/octet-stream")},
    )


async def test_import_gogocarto_stores_elements_and_updates_on_second_import(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    tag = f"g{next(_counter)}"
    response = await upload(client, gogocarto_file(tag), "export.json")
    assert response.status_code == 200, text_of(response.text)
    assert "2 fiches ajoutées, 0 mise à jour" in text_of(response.text)
    repair = await Actor.get(source_key=f"gogocarto:{tag}-a")
    assert repair.themes == ["Réparation"]
    assert (repair.latitude, repair.longitude) == (45.57, 5.92)
    assert repair.address == "3 place du Marché, 73000 Chambéry"
    assert repair.hours == "Sa 09:00-12:00"
    again = await upload(client, gogocarto_file(tag), "export.json")
    assert "0 fiche ajoutée, 2 mises à jour" in text_of(again.text)
    assert await Actor.filter(source_key__startswith=f"gogocarto:{tag}-").count() == 2
    listing = await client.get(f"/staff/actors?q=Jardin {tag}")
    assert HOSTILE not in listing.text and "&lt;img src=x" in listing.text


async def test_import_bad_record_imports_nothing_and_reports_it(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    tag = f"b{next(_counter)}"
    bad = gogocarto_file(tag, lat=145.0, email="pas-une-adresse")
    response = await upload(client, bad, "export.json")
    assert response.status_code == 422
    page = text_of(response.text)
    assert "Rien n'a été importé : 2 problèmes dans un fichier de 2 lignes." in page
    assert "Latitude non reconnue" in page and "Adresse e-mail non reconnue" in page
    assert HOSTILE not in response.text
    assert not await Actor.filter(source_key__startswith=f"gogocarto:{tag}-").exists()
    broken = await upload(client, b'{"data": [', "export.json")
    assert broken.status_code == 400
    assert "pas du JSON lisible" in text_of(broken.text)


async def test_import_data_inclusion_joins_services_to_their_structure(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    tag = f"d{next(_counter)}"
    document = {
        "structures": [
            {
                "id": f"s-{tag}",
                "nom": f"CCAS de Chambéry {tag}",
                "typologie": "CCAS",
                "commune": "Chambéry",
                "code_postal": "73000",
                "adresse": "Place de l'Hôtel de Ville",
                "latitude": 45.566,
                "longitude": 5.921,
                "telephone": "04 79 60 20 00",
                "source": "dora",
                "date_maj": "2026-10-01T08:00:00",
                "thematiques": ["famille--soutien-a-la-parentalite"],
            }
        ],
        "services": [
            {
                "id": f"v-{tag}",
                "structure_id": f"s-{tag}",
                "nom": "Portage de repas à domicile",
                "presentation_resume": "Repas livrés aux personnes âgées",
                "source": "dora",
                "thematiques": ["se-nourrir--aide-alimentaire"],
                "profils": ["seniors-65"],
            }
        ],
    }
    response = await upload(
        client, json.dumps(document).encode(), "di.json", format="data-inclusion"
    )
    assert response.status_code == 200, text_of(response.text)
    actor = await Actor.get(source_key=f"data-inclusion:dora:s-{tag}")
    assert actor.kind == "public_service"
    assert actor.services == ["Portage de repas à domicile – Repas livrés aux personnes âgées"]
    assert actor.themes == ["soutien a la parentalite", "aide alimentaire"]
    assert actor.audience == "seniors 65"
    assert actor.checked_on is not None and actor.checked_on.isoformat() == "2026-10-01"


async def test_import_csv_check_proposes_mapping_and_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    await make_survey()
    tag = next(_counter)
    data = (
        "Nom;Quartier;Offre;Téléphone;Colonne inconnue\n"
        f"Covoiturage des Hauts {tag};Les Hauts-de-Chambéry;Trajets vers la zone industrielle;"
        "06 12 34 56 78;x\n"
    ).encode("cp1252")
    checked = await upload(client, data, "acteurs.csv", check="1")
    assert checked.status_code == 200
    assert "les 1 lignes peuvent être importées" in text_of(checked.text)
    assert '<option value="Nom" selected>' in checked.text
    assert "Colonne inconnue" in text_of(checked.text)
    assert not await Actor.exists(name=f"Covoiturage des Hauts {tag}")
    mapping = {"map_name": "Nom", "map_neighbourhood": "Quartier", "map_services": "Offre"}
    mapping |= {"map_skills": "Offre", "map_phone": "Téléphone", "map_commune": ""}
    done = await upload(client, data, "acteurs.csv", **mapping)
    assert done.status_code == 200
    actor = await Actor.get(name=f"Covoiturage des Hauts {tag}")
    assert actor.neighbourhood == "hauts"
    assert actor.services == ["Trajets vers la zone industrielle"]
    assert actor.skills == ["Trajets vers la zone industrielle"]


async def test_exports_csv_geojson_and_gogocarto(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    # Unique across the session: other tests' entries end with small numbers too.
    tag = uuid.uuid4().hex[:8]
    await Actor.create(
        name=f'=HYPERLINK("x") {HOSTILE} {tag}',
        services=["Aide aux devoirs"],
        themes=["enfance"],
        latitude=45.5,
        longitude=5.9,
    )
    csv_text = (await client.get("/staff/actors/export.csv")).text
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    mine = [r for r in rows if r["name"].endswith(f" {tag}")]
    assert len(mine) == 1 and mine[0]["name"].startswith("'=HYPERLINK")
    response = await client.get("/staff/actors/export.geojson")
    assert response.headers["content-type"].startswith("application/geo+json")
    assert "<img" not in response.text
    collection = json.loads(response.text)
    assert collection["type"] == "FeatureCollection"
    feature = next(f for f in collection["features"] if f["properties"]["name"].endswith(f" {tag}"))
    assert feature["geometry"] == {"type": "Point", "coordinates": [5.9, 45.5]}
    assert HOSTILE in feature["properties"]["name"]
    gogo = json.loads((await client.get("/staff/actors/export.gogocarto.json")).text)
    element = next(e for e in gogo["data"] if e["name"].endswith(f" {tag}"))
    assert element["geo"] == {"latitude": 45.5, "longitude": 5.9}
    names = {o["name"] for o in gogo["taxonomy"][0]["options"]}
    assert "enfance" in names


def test_cli_actors_import_refuses_bad_file_then_imports_and_exports(
    database_url: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    tag = f"c{next(_counter)}"
    bad = tmp_path / "bad.json"
    bad.write_bytes(gogocarto_file(tag, lng=500))
    refused = parlons(database_url, "actors", "import", str(bad))
    assert refused.returncode == 2
    assert "nothing imported, 1 problem(s) in 2 records (gogocarto)" in refused.stderr
    assert "record 2" in refused.stderr and "Longitude not recognised" in refused.stderr
    good = tmp_path / "good.json"
    good.write_bytes(gogocarto_file(tag))
    done = parlons(database_url, "actors", "import", str(good), "--format", "gogocarto")
    assert done.returncode == 0, done.stderr
    assert "2 records read (gogocarto): 2 actors added, 0 updated." in done.stdout
    exported = parlons(database_url, "actors", "export", "--format", "geojson")
    assert exported.returncode == 0, exported.stderr
    names = [f["properties"]["name"] for f in json.loads(exported.stdout)["features"]]
    assert f"Repair café {tag}" in names
    as_csv = parlons(database_url, "actors", "export", "--format", "csv")
    assert f"Repair café {tag}" in as_csv.stdout
