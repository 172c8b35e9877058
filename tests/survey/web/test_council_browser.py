"""A council member votes in Chromium on a phone-sized screen with JavaScript off."""

from __future__ import annotations

import pytest

from tests.factories.browser import PHONE, chromium_missing, launch, phone_page
from tests.factories.council import ballots, make_consultation, make_council

pytestmark = pytest.mark.usefixtures("orm")


@pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed")
async def test_member_votes_by_majority_judgment_and_approval_on_a_phone(
    live_server: str,
) -> None:
    from playwright.async_api import async_playwright

    council, (member, *_) = await make_council(2)
    judged = await make_consultation(council, "majority_judgment", ["Une crèche", "Un bus"])
    approved = await make_consultation(council, "approval", ["Un marché", "Un jardin", "Un banc"])
    external: list[str] = []
    async with async_playwright() as p:
        browser = await launch(p)
        page = await phone_page(browser, live_server, external, javascript=False)
        await page.goto(f"{live_server}/c/login")
        # Typed the way it is printed on the card.
        await page.get_by_label("Code d'accès").fill(f"{member.code[:4]}-{member.code[4:]}")
        await page.get_by_role("button", name="Entrer").click()
        await page.get_by_role("heading", name="Mes consultations").wait_for()

        # Majority judgment: one grade forgotten first, the other grade is kept.
        await page.get_by_role("link", name=judged.title).click()
        creche = page.get_by_role("group", name="Une crèche")
        await creche.get_by_label("Très bien").check()
        await page.get_by_role("button", name="Envoyer mon vote").click()
        await page.get_by_text("Donnez une mention à cette proposition.").first.wait_for()
        assert (
            await page.get_by_role("group", name="Une crèche")
            .get_by_label("Très bien")
            .is_checked()
        )
        await page.get_by_role("group", name="Un bus").get_by_label("Passable").check()
        await page.get_by_role("button", name="Envoyer mon vote").click()
        await page.get_by_role("heading", name="Merci, votre vote est enregistré").wait_for()
        receipt_mj = await page.locator("#receipt").inner_text()
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # Approval: two boxes ticked.
        await page.get_by_role("link", name="Retour à mes consultations").click()
        await page.get_by_role("link", name=approved.title).click()
        await page.get_by_label("Un marché").check()
        await page.get_by_label("Un banc").check()
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        await page.get_by_role("button", name="Envoyer mon vote").click()
        await page.get_by_role("heading", name="Merci, votre vote est enregistré").wait_for()
        receipt_approval = await page.locator("#receipt").inner_text()
        await browser.close()

    assert external == []
    stored_mj = await ballots(judged)
    assert [(b["marks"], b["receipt"], b["member_id"]) for b in stored_mj] == [
        ({"0": 5, "1": 2}, receipt_mj, None)
    ]
    stored_approval = await ballots(approved)
    assert [(b["marks"], b["receipt"]) for b in stored_approval] == [
        ({"0": 1, "2": 1}, receipt_approval)
    ]
