"""The follow-up walked in Chromium on a phone with JavaScript off: page, poster, receipt."""

from __future__ import annotations

import os

import pytest

from survey.domain.db import connection
from survey.domain.followup import PARTS, set_followup
from tests.factories.browser import PHONE, chromium_missing, launch, phone_page, violations
from tests.survey.domain.test_followup import followed_survey

pytestmark = [
    pytest.mark.usefixtures("orm"),
    pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed"),
]
SHOTS = os.environ.get("PARLONS_SCREENSHOTS")  # a folder to keep screenshots in, to look at


async def test_followup_walk_on_a_phone_without_javascript(live_server: str) -> None:
    from playwright.async_api import async_playwright

    definition, _, ids = await followed_survey()
    await set_followup(
        definition.slug,
        published=True,
        parts=frozenset(PARTS),
        address=f"{live_server}/s/{definition.slug}/suivi",
    )
    async with connection() as conn:
        receipt = await conn.fetchval("SELECT receipt FROM responses WHERE id = $1", ids[0])
    external: list[str] = []
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await launch(p)
        page = await phone_page(browser, live_server, external, javascript=False)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on(
            "response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None
        )
        await page.goto(f"{live_server}/s/{definition.slug}/suivi")
        assert await page.get_by_role("heading", name="Ce que votre avis est devenu").is_visible()
        assert await page.get_by_text("Garde d'enfants – cité par 6 personnes").is_visible()
        summary = page.get_by_text(
            "« Halte-garderie » l'emporte, approuvée sur 100 % des bulletins."
        )
        assert await summary.first.is_visible()
        assert await page.get_by_text("Ouvrir une halte-garderie").first.is_visible()
        # Nothing is wider than the phone.
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
        if SHOTS:
            await page.screenshot(path=f"{SHOTS}/followup-phone.png", full_page=True)
        # What changed since a date, asked with the page's own form.
        await page.get_by_label("Voir ce qui a changé depuis le").fill("2020-01-01")
        await page.get_by_role("button", name="Afficher").click()
        await page.get_by_text("Depuis le 01/01/2020").wait_for()
        assert await page.get_by_text("Depuis le 01/01/2020").is_visible()
        # The poster.
        await page.get_by_role("link", name="Affiche à imprimer").click()
        await page.locator(".poster-qr svg").wait_for()
        assert await page.locator(".poster-qr svg").is_visible()
        if SHOTS:
            await page.screenshot(path=f"{SHOTS}/followup-poster.png", full_page=True)
        # A resident with a receipt sees where the answer went, then the follow-up.
        await page.goto(f"{live_server}/s/{definition.slug}/ma-reponse")
        await page.get_by_label("Code de réponse").fill(receipt)
        await page.get_by_role("button", name="Voir mes réponses").click()
        trail = page.locator("ul.trail li").first
        assert "Garde d'enfants" in await trail.inner_text()
        assert "action : Ouvrir une halte-garderie – En cours" in await trail.inner_text()
        await page.get_by_role("link", name="Ce que deviennent les réponses").click()
        assert page.url.endswith(f"/s/{definition.slug}/suivi")
        await browser.close()
    assert external == []
    assert errors == []


async def test_followup_pages_have_no_wcag_aa_violation(live_server: str) -> None:
    from playwright.async_api import async_playwright

    definition, _, _ = await followed_survey()
    await set_followup(definition.slug, published=True, parts=frozenset(PARTS))
    found: dict[str, list[str]] = {}
    async with async_playwright() as p:
        browser = await launch(p)
        context = await browser.new_context(viewport=PHONE, bypass_csp=True)
        page = await context.new_page()
        for url in (
            f"/s/{definition.slug}/suivi",
            f"/s/{definition.slug}/suivi?lang=en",
            f"/s/{definition.slug}/suivi?depuis=abc",
            f"/s/{definition.slug}/suivi/affiche",
            f"/s/{definition.slug}/suivi/abonnement",
        ):
            response = await page.goto(live_server + url)
            assert response is not None and response.status == 200, url
            problems = await violations(page)
            if problems:
                found[url] = problems
        await browser.close()
    assert found == {}
