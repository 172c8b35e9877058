"""In Chromium without JavaScript: import a GoGoCarto file, see and confirm suggested actors
on a need, see the gap view; pages shot on a laptop and a phone."""

from __future__ import annotations

import itertools
import json
import uuid
from pathlib import Path

import pytest

from survey.domain.actors_demo import load_demo_actors
from survey.models.actors import Actor
from tests.survey.test_actors_io import gogocarto_file
from tests.survey.test_actors_matching import BUS_TEXTS, survey_with_need
from tests.survey.test_browser import PHONE, chromium_missing, launch
from tests.survey.test_needs_browser import staff_login
from tests.survey.test_staff import staff_user

ROOT = Path(__file__).resolve().parents[2]
LAPTOP = {"width": 1366, "height": 900}
pytestmark = [
    pytest.mark.usefixtures("orm"),
    pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed"),
]
_counter = itertools.count(1)


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
                await page.get_by_text("2 fiche(s) ajoutée(s)").wait_for()
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
