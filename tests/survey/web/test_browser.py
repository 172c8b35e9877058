"""A resident answers the demo survey in Chromium on a phone-sized screen."""

from __future__ import annotations

import pytest

from survey.domain.responses import list_responses
from tests.factories import make_survey
from tests.factories.browser import chromium_missing, launch, phone_page

pytestmark = pytest.mark.usefixtures("orm")








@pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed")
@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
async def test_resident_answers_on_a_phone(live_server: str, javascript: bool) -> None:
    from playwright.async_api import async_playwright

    definition = await make_survey()
    external: list[str] = []
    async with async_playwright() as p:
        browser = await launch(p)
        page = await phone_page(browser, live_server, external, javascript=javascript)
        await page.goto(f"{live_server}/s/{definition.slug}")
        assert await page.get_by_text("Étape 1 sur 4").is_visible()

        # Section 1.
        await page.locator("#q-quartier").get_by_label("Bissy").check()
        await page.locator("#q-age").get_by_label("30 à 44 ans").check()
        await page.locator("#q-foyer").get_by_label("En famille avec enfants").check()
        await page.get_by_role("button", name="Suivant").click()
        await page.get_by_text("Étape 2 sur 4").wait_for()

        # Section 2, first sent incomplete: the message shows and the choice is kept.
        await page.locator("#q-satisfaction").get_by_label("4", exact=True).check()
        await page.get_by_role("button", name="Suivant").click()
        await page.get_by_text("Cette question demande une réponse.").first.wait_for()
        assert await page.locator("#q-satisfaction").get_by_label("4", exact=True).is_checked()
        await page.get_by_label("Qu'est-ce qui vous manque le plus").fill(
            "Pas de bus après 20h pour rentrer du travail"
        )
        await page.locator("#q-services").get_by_label("Médiathèque").check()
        await page.get_by_role("button", name="Suivant").click()
        await page.get_by_text("Étape 3 sur 4").wait_for()

        # Section 3: a ranking with selects, a number.
        for code, rank in (
            ("mobilite", "1"),
            ("enfance", "3"),
            ("sante", "2"),
            ("logement", "4"),
            ("lien", "5"),
        ):
            await page.locator(f"#i-priorites-{code}").select_option(rank)
        await page.get_by_label("Combien d'heures").fill("3")
        await page.get_by_role("button", name="Suivant").click()
        await page.get_by_text("Étape 4 sur 4").wait_for()

        # Section 4 and send.
        await page.locator("#q-conseil").get_by_label("Oui").check()
        await page.get_by_role("button", name="Envoyer mes réponses").click()
        await page.get_by_text("Vos réponses ont bien été enregistrées.").wait_for()
        receipt = (await page.locator(".receipt").inner_text()).strip()
        await browser.close()

    assert len(receipt) == 11
    assert external == []
    rows = await list_responses(definition.id, page=1)
    assert len(rows) == 1
    answers = rows[0]["answers"]
    assert answers["quartier"] == "bissy"
    assert answers["satisfaction"] == 4
    assert answers["manque"] == "Pas de bus après 20h pour rentrer du travail"
    assert answers["services"] == ["mediatheque"]
    assert answers["priorites"] == ["mobilite", "sante", "enfance", "logement", "lien"]
    assert answers["heures"] == 3
    assert answers["conseil"] == "yes"
