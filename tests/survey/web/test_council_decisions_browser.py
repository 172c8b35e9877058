"""Deciding in Chromium on a phone: a member reads each option's quotes and changes their
vote; staff close voting through the confirmation page."""

from __future__ import annotations

import itertools
import os

import pytest

from survey.domain.consultation_options import create_options
from survey.domain.consultations import ConsultationDraft, create_consultation, open_consultation
from survey.models.councils import Consultation
from tests.factories.browser import PHONE, chromium_missing, launch, phone_page
from tests.factories.council import ballots, make_council
from tests.factories.staff import PASSWORD, staff_user

pytestmark = pytest.mark.usefixtures("orm")
SHOTS = os.environ.get("PARLONS_SCREENSHOTS", "")
_emails = itertools.count(1)


def watch(page, errors: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Record console errors and failed responses (a CSP refusal is a console error)."""
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)


async def quoted_consultation():  # type: ignore[no-untyped-def]
    council, (member, *_) = await make_council(2)
    draft = ConsultationDraft("Priorités du quartier", "approval", secret=True, allow_change=True)
    consultation = await create_consultation(council.id, draft, actor="test")
    await create_options(
        consultation,
        [
            ("Places en crèche", "Besoin exprimé dans 41 réponses.", None),
            ("Bus du dimanche", "", None),
        ],
        quotes=[["Aucune place pour les petits, appelez le 06 12 34 56 78", "Une crèche"], []],
        actor="test",
    )
    await open_consultation(council.id, consultation.id, actor="test")
    return council, member, consultation


@pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed")
async def test_member_reads_quotes_and_changes_the_vote_on_a_phone(live_server: str) -> None:
    from playwright.async_api import async_playwright

    council, member, consultation = await quoted_consultation()
    external: list[str] = []
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await launch(p)
        page = await phone_page(browser, live_server, external, javascript=False)
        watch(page, errors)
        await page.goto(f"{live_server}/c/k/{member.token}")
        await page.get_by_role("link", name=consultation.title).click()
        quote = page.get_by_text("Aucune place pour les petits, appelez le [téléphone]")
        assert await quote.is_visible()
        assert await page.get_by_text("Besoin exprimé dans 41 réponses.").is_visible()
        assert "06 12 34 56 78" not in await page.content()
        box = await quote.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        if SHOTS:
            await page.screenshot(path=f"{SHOTS}/ballot-quotes-phone.png", full_page=True)
        await page.get_by_label("Bus du dimanche").check()
        await page.get_by_role("button", name="Envoyer mon vote").click()
        await page.get_by_role("heading", name="Merci, votre vote est enregistré").wait_for()
        # Changing the vote, allowed until closing: the session holds the receipt and code.
        await page.goto(f"{live_server}/c/v/{consultation.id}")
        await page.get_by_label("Bus du dimanche").uncheck()
        await page.get_by_label("Places en crèche").check()
        await page.get_by_role("button", name="Envoyer mon vote").click()
        await page.get_by_role("heading", name="Merci, votre vote est enregistré").wait_for()
        receipt = await page.locator("#receipt").inner_text()
        await browser.close()
    assert external == [] and errors == []
    assert [(b["marks"], b["receipt"]) for b in await ballots(consultation)] == [
        ({"0": 1}, receipt)
    ]


@pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed")
async def test_staff_close_voting_only_once_confirmed_on_a_phone(live_server: str) -> None:
    from playwright.async_api import async_playwright

    council, _, consultation = await quoted_consultation()
    await staff_user(email := f"close-browser{next(_emails)}@example.org")
    external: list[str] = []
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await launch(p)
        page = await phone_page(browser, live_server, external, javascript=True)
        watch(page, errors)
        await page.goto(live_server + "/staff/login")
        await page.get_by_label("Adresse e-mail").fill(email)
        await page.get_by_label("Mot de passe").fill(PASSWORD)
        await page.get_by_role("button", name="Se connecter").click()
        await page.goto(
            f"{live_server}/staff/councils/{council.id}/consultations/{consultation.id}"
        )
        await page.get_by_role("button", name="Clore le vote…").click()
        await page.get_by_role("heading", name="Clore le vote").wait_for()
        assert await page.get_by_text("Clore le vote est définitif").is_visible()
        # The box starts unticked (sending it so is refused: see the HTTP test).
        box = page.get_by_label("J'ai compris : le vote sera clos définitivement.")
        assert not await box.is_checked()
        assert (await Consultation.get(id=consultation.id)).state == "open"
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        if SHOTS:
            await page.screenshot(path=f"{SHOTS}/close-confirm-phone.png", full_page=True)
        await page.get_by_label("J'ai compris : le vote sera clos définitivement.").check()
        await page.get_by_role("button", name="Clore définitivement").click()
        await page.get_by_role("link", name="Voir les résultats").wait_for()
        await browser.close()
    assert errors == [] and external == []
    assert (await Consultation.get(id=consultation.id)).state == "closed"


@pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed")
async def test_staff_edit_and_remove_a_draft_option_on_a_phone(live_server: str) -> None:
    from playwright.async_api import async_playwright

    council, _ = await make_council(0)
    consultation = await create_consultation(
        council.id, ConsultationDraft("Budget 2027", "approval", secret=True), actor="t"
    )
    await create_options(
        consultation,
        [("Crèche", "", None), ("Bus", "", None)],
        quotes=[["Plus de places", "Écrivez à awa@example.org"], []],
        actor="t",
    )
    await staff_user(email := f"option-browser{next(_emails)}@example.org")
    external: list[str] = []
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await launch(p)
        page = await phone_page(browser, live_server, external, javascript=True)
        watch(page, errors)
        await page.goto(live_server + "/staff/login")
        await page.get_by_label("Adresse e-mail").fill(email)
        await page.get_by_label("Mot de passe").fill(PASSWORD)
        await page.get_by_role("button", name="Se connecter").click()
        base = f"{live_server}/staff/councils/{council.id}/consultations/{consultation.id}"
        await page.goto(base)
        await page.get_by_role("link", name="Modifier Crèche").click()
        await page.get_by_role("heading", name="Modifier l'option").wait_for()
        assert await page.get_by_text("Écrivez à [e-mail]").is_visible()
        await page.get_by_label("Intitulé").fill("Une crèche de 30 places")
        await page.get_by_label("Écrivez à [e-mail]").uncheck()
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        await page.get_by_role("button", name="Enregistrer").click()
        await page.get_by_role("link", name="Modifier Une crèche de 30 places").wait_for()
        await page.get_by_role("button", name="Retirer Bus").click()
        await page.get_by_role("link", name="Modifier Bus").wait_for(state="detached")
        listed = await page.locator("ol.options > li > strong").all_inner_texts()
        # The audit table scrolls inside its box; the page itself fits the phone.
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        if SHOTS:
            await page.screenshot(path=f"{SHOTS}/options-phone.png", full_page=True)
        await browser.close()
    assert errors == [] and external == []
    assert listed == ["Une crèche de 30 places"]
    options = await consultation.options.all()
    assert [(o.title, o.quotes) for o in options] == [
        ("Une crèche de 30 places", ["Plus de places"])
    ]
