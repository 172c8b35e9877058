"""The dashboard and the report in Chromium: filters without JavaScript, one printed A4 page."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from survey.domain.answering import load_responses
from survey.domain.db import connection
from survey.domain.demo import FIXTURES
from survey.models.needs import Need, NeedAnswer
from tests.factories import make_survey
from tests.factories.browser import chromium_missing, launch
from tests.factories.needs import finished_run
from tests.factories.resident import random_items
from tests.factories.staff import PASSWORD, staff_user

pytestmark = [
    pytest.mark.usefixtures("orm"),
    pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed"),
]
LAPTOP = {"width": 1280, "height": 800}


async def _log_in(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    await page.goto(f"{base}/staff/login")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url(f"{base}/staff")


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
async def test_filter_applies_to_the_dashboard(live_server: str, javascript: bool) -> None:
    from playwright.async_api import async_playwright

    definition = await make_survey()
    await load_responses(definition, random_items(definition, 300, seed=31))
    email = f"browser-dash-{int(javascript)}@example.org"
    await staff_user(email)
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await launch(p)
        context = await browser.new_context(viewport=LAPTOP, java_script_enabled=javascript)
        page = await context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        await _log_in(page, live_server, email)
        await page.goto(f"{live_server}/staff/surveys/{definition.slug}/dashboard")
        assert "300 réponses au total." in await page.locator("#base").inner_text()

        filters = page.get_by_role("form", name="Filtres")
        await filters.get_by_label("Dans quel quartier habitez-vous ?").select_option("centre")
        await filters.get_by_label("Canal").select_option("web")
        await page.get_by_role("button", name="Appliquer les filtres").click()
        await page.wait_for_url(re.compile(r"f_quartier=centre"))
        status = await page.locator("#base").inner_text()
        matched = int(re.search(r"(\d+) réponses correspondent", status).group(1))
        assert 0 < matched < 300
        data = json.loads(await page.locator("#chart-q-quartier-data").text_content())
        assert data["data"][0]["x"][0] == matched  # every web response from the centre
        if javascript:
            await page.locator("#chart-q-quartier .main-svg").first.wait_for()
        await browser.close()
    # No console error at all: plotly.js's rules come as a file, so the CSP refuses nothing.
    assert errors == []


async def test_report_prints_on_one_a4_page(live_server: str) -> None:
    from playwright.async_api import async_playwright

    definition = await make_survey()
    items = json.loads((FIXTURES / "demo_responses.json").read_text(encoding="utf-8"))
    for item in items:
        item["key"] = str(uuid.uuid4())
    await load_responses(definition, items)
    async with connection() as conn:
        ids = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM responses WHERE survey_id = $1 ORDER BY id", definition.id
            )
        ]
    run = await finished_run(definition.id, "manque", n_answers=len(ids))
    labels = ["Transports", "Garde d'enfants", "Santé", "Propreté", "Lien entre voisins"]
    for position, label in enumerate(labels):
        members = ids[position::5]
        need = await Need.create(
            run=run, label=label, position=position, quote_response_ids=members[:2]
        )
        for rid in members:
            await NeedAnswer.create(run=run, response_id=rid, need=need)
    email = "browser-report@example.org"
    await staff_user(email)
    async with async_playwright() as p:
        browser = await launch(p)
        page = await (await browser.new_context(viewport=LAPTOP)).new_page()
        await _log_in(page, live_server, email)
        await page.goto(f"{live_server}/staff/surveys/{definition.slug}/report")
        assert await page.get_by_text("Lien entre voisins", exact=True).is_visible()
        pdf = await page.pdf(format="A4", print_background=True)
        await browser.close()
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages == 1
