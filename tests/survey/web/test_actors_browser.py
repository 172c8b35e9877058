"""In Chromium without JavaScript: import a GoGoCarto file, see and confirm suggested actors
on a need, see the gap view; pages shot on a laptop and a phone."""

from __future__ import annotations

import itertools
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from survey.domain.actors_demo import load_demo_actors
from survey.models.actors import Actor
from tests.factories.browser import PHONE, chromium_missing, launch, staff_login
from tests.factories.needs import BUS_TEXTS, survey_with_need
from tests.factories.staff import staff_user
from tests.survey.domain.test_actors_io import gogocarto_file

ROOT = Path(__file__).resolve().parents[3]
LAPTOP = {"width": 1366, "height": 900}
pytestmark = [
    pytest.mark.usefixtures("orm"),
    pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed"),
]
_counter = itertools.count(1)


async def _clear_confirmed(page: Any) -> None:
    """Undo the links the demo made by words, so the confirmation under test is the only one."""
    section = page.locator("section", has=page.locator("#h-confirmed"))
    while await section.get_by_role("button", name="Annuler").count():
        await section.get_by_role("button", name="Annuler").first.click()
        await page.wait_for_load_state()
    await page.get_by_role("heading", name="Acteurs confirmés (0)").wait_for()


async def test_import_suggest_confirm_and_gap_in_chromium(live_server: str, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    tag = uuid.uuid4().hex[:6]
    definition, run, need = await survey_with_need(f"Bus le soir {tag}", BUS_TEXTS)
    await load_demo_actors(definition, ROOT / "fixtures")
    upload = tmp_path / "gogocarto.json"
    upload.write_bytes(gogocarto_file(tag))
    email = f"actors-browser-{tag}@example.org"
    await staff_user(email)
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await launch(p)
        for viewport, name in ((LAPTOP, "laptop"), (PHONE, "phone")):
            context = await browser.new_context(
                viewport=viewport, java_script_enabled=False, locale="fr-FR"
            )
            page = await context.new_page()
            page.on(
                "console",
                lambda m: errors.append(f"{m.text} {m.location}") if m.type == "error" else None,
            )
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on(
                "response",
                lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
            )
            await staff_login(page, live_server, email)
            if name == "laptop":
                await page.goto(f"{live_server}/staff/actors/import")
                await page.get_by_label("Fichier").set_input_files(str(upload))
                await page.get_by_role("button", name="Importer", exact=True).click()
                await page.get_by_text("2 fiches ajoutées").wait_for()
            # Other tests share the database: the new entry is searched rather than paged to.
            await page.goto(f"{live_server}/staff/actors")
            await page.get_by_label("Rechercher").fill(tag)
            await page.get_by_role("button", name="Filtrer").click()
            assert await page.get_by_role("link", name=f"Repair café {tag}").count() == 1
            await page.screenshot(path=str(tmp_path / f"directory-{name}.png"), full_page=False)
            url = (
                f"{live_server}/staff/surveys/{definition.slug}/analysis/{run.id}"
                f"/needs/{need.id}/actors"
            )
            await page.goto(url)
            if name == "laptop":
                await _clear_confirmed(page)
                await page.goto(f"{live_server}/staff/actors/gaps")
                assert await page.locator(f'a[href$="/needs/{need.id}/actors"]').count() == 1
                await page.goto(url)
            suggested = page.locator(
                "section", has=page.get_by_role("heading", name="Acteurs suggérés")
            )
            first = suggested.locator("li.suggestion").first
            name_text = (await first.locator("strong").inner_text()).strip()
            assert "propose :" in await first.inner_text()
            await page.screenshot(path=str(tmp_path / f"suggestions-{name}.png"), full_page=True)
            if name == "laptop":
                await suggested.get_by_role("button", name=f"Confirmer : {name_text}").click()
                await page.wait_for_url(f"{url}#actor-*")
                confirmed = page.locator(
                    "section", has=page.get_by_role("heading", name="Acteurs confirmés (1)")
                )
                assert name_text in await confirmed.inner_text()
                await page.goto(f"{live_server}/staff/actors/gaps")
                assert await page.locator(f'a[href$="/needs/{need.id}/actors"]').count() == 0
            await page.goto(f"{live_server}/aide?quartier=hauts")
            await page.get_by_role("heading", name="Qui aide près de chez moi ?").wait_for()
            await page.screenshot(path=str(tmp_path / f"help-{name}.png"), full_page=True)
            await context.close()
        await browser.close()
    assert errors == []
    assert await Actor.filter(source_key__startswith=f"gogocarto:{tag}-").count() == 2
    print(json.dumps({"screenshots": str(tmp_path)}))


async def test_done_when_walk_in_chromium(live_server: str, tmp_path: Path) -> None:
    """Import a GoGoCarto file, see suggested actors on a need and confirm one, see the gap
    view and the map, then draft a fiche projet and print it to A4 pages; scripts on, no
    console error or CSP report on any page."""
    import re

    from playwright.async_api import async_playwright

    from tests.survey.web.test_charts_browser import DESKTOP, _staff_page

    tag = uuid.uuid4().hex[:6]
    definition, run, need = await survey_with_need(f"Bus le soir {tag}", BUS_TEXTS)
    await load_demo_actors(definition, ROOT / "fixtures")
    upload = tmp_path / "gogocarto.json"
    upload.write_bytes(gogocarto_file(tag))
    email = f"actors-walk-{tag}@example.org"
    await staff_user(email)
    shots = Path(os.environ.get("PARLONS_SCREENSHOTS") or tmp_path)
    need_url = f"{live_server}/staff/surveys/{definition.slug}/analysis/{run.id}/needs/{need.id}"
    async with async_playwright() as p:
        browser = await launch(p)
        watched = await _staff_page(browser, live_server, email, DESKTOP)
        page = watched.page
        await watched.open(f"{live_server}/staff/actors/import")
        await page.get_by_label("Fichier").set_input_files(str(upload))
        await page.get_by_role("button", name="Importer", exact=True).click()
        await page.get_by_text("2 fiches ajoutées").wait_for()
        await watched.check("walk-import")

        # The first suggestions of a served process load the word vectors: a slow start.
        await page.goto(need_url + "/actors", timeout=120_000)
        await _clear_confirmed(page)
        suggested = page.locator(
            "section", has=page.get_by_role("heading", name="Acteurs suggérés")
        )
        first = suggested.locator("li.suggestion").first
        chosen = (await first.locator("strong").inner_text()).strip()
        assert "propose :" in await first.inner_text()
        await suggested.get_by_role("button", name=f"Confirmer : {chosen}").click()
        await page.wait_for_url(f"{need_url}/actors#actor-*")
        confirmed = page.locator(
            "section", has=page.get_by_role("heading", name="Acteurs confirmés (1)")
        )
        assert chosen in await confirmed.inner_text()
        await watched.check("walk-suggestions")

        await watched.open(f"{live_server}/staff/actors/gaps")
        await page.get_by_role("heading", name="Besoins sans réponse").wait_for()
        assert await page.locator(f'a[href$="/needs/{need.id}/actors"]').count() == 0
        await watched.check("walk-gaps")

        await watched.open(f"{live_server}/staff/actors/map")
        assert (await watched.check("walk-map"))["charts"] == 1

        await page.goto(need_url + "/actors")
        await page.get_by_role("link", name="Rédiger une fiche projet").click()
        await page.get_by_label("Coût estimé").fill("Minibus : 18 000 € par an")
        await page.get_by_role("button", name="Voir la fiche à imprimer").click()
        await page.get_by_role("heading", name="Le besoin exprimé par les habitants").wait_for()
        sheet = await page.locator("article.fiche").inner_text()
        assert chosen in sheet and "Minibus : 18 000 € par an" in sheet
        await watched.check("walk-fiche")
        pdf = await page.pdf(format="A4", path=str(shots / "walk-fiche.pdf"))
        await browser.close()
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert 1 <= len(boxes) <= 2
    assert all(abs(float(w) - 595) < 2 and abs(float(h) - 842) < 2 for w, h in boxes), boxes
    assert await Actor.filter(source_key__startswith=f"gogocarto:{tag}-").count() == 2


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
async def test_offers_page_in_chromium(live_server: str, viewport: dict[str, int]) -> None:
    """The residents' offers page fits the screen, its buttons reachable; adding a
    consenting resident opens their new entry."""
    from playwright.async_api import async_playwright

    from tests.survey.domain.test_actors_offers import survey_with_offers
    from tests.survey.web.test_charts_browser import _staff_page

    definition, ids, _ = await survey_with_offers()
    email = f"offers-browser-{uuid.uuid4().hex[:6]}@example.org"
    await staff_user(email)
    async with async_playwright() as p:
        browser = await launch(p)
        watched = await _staff_page(browser, live_server, email, viewport)
        page = watched.page
        await watched.open(f"{live_server}/staff/actors/offers?survey={definition.slug}")
        await page.get_by_role("heading", name="Faire les courses des personnes âgées").wait_for()
        await watched.check(f"actors-offers-{viewport['width']}")
        row = page.locator(f"#offer-{ids[0]}")
        await row.get_by_role("button", name="Ajouter à l'annuaire").click()
        await page.get_by_text("Entrée créée depuis l'offre").wait_for()
        assert await page.get_by_label("Nom").input_value() == "Habitant·e – Bissy"
        await watched.check(f"actors-offer-entry-{viewport['width']}")
        await browser.close()
    assert await Actor.filter(response_id=ids[0]).count() == 1
