"""The team page in Chromium: an administrator adds a colleague; WCAG 2.1 AA checks."""

from __future__ import annotations

import uuid

import pytest

from survey.domain.accounts import create_user
from survey.enums import Role
from survey.models import User
from tests.factories.browser import chromium_missing, launch, violations
from tests.factories.staff import PASSWORD

pytestmark = [
    pytest.mark.usefixtures("orm"),
    pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed"),
]


async def _log_in(page, live_server: str, email: str) -> None:  # type: ignore[no-untyped-def]
    await page.goto(live_server + "/staff/login")
    await page.get_by_label("Adresse e-mail").fill(email)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()


async def test_admin_adds_a_colleague_from_the_team_page(live_server: str) -> None:
    from playwright.async_api import async_playwright

    admin = f"team-admin-{uuid.uuid4().hex[:6]}@example.org"
    colleague = f"team-new-{uuid.uuid4().hex[:6]}@example.org"
    await create_user(admin, PASSWORD, Role.ADMIN)
    errors: list[str] = []
    found: dict[str, list[str]] = {}
    async with async_playwright() as p:
        browser = await launch(p)
        page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        await _log_in(page, live_server, admin)
        await page.get_by_role("link", name="Équipe").click()
        assert page.url == live_server + "/staff/team"
        await page.locator("#f-email").fill(colleague)
        await page.get_by_label("Administration").check()
        await page.locator("#f-password").fill("un mot de passe assez long")
        await page.get_by_role("button", name="Créer le compte").click()
        # The click only starts the form's POST: wait for the page it answers with.
        await page.get_by_text("C'est enregistré.").wait_for()
        assert await page.get_by_text("C'est enregistré.").is_visible()
        assert await page.locator("tr[id^='account-']").filter(has_text=colleague).is_visible()
        created = page.locator("tr").filter(has_text="Compte administrateur créé")
        assert await created.filter(has_text=colleague).is_visible()

        # Read by axe (which needs the CSP lifted to inject itself), with and without errors.
        # The refused form answers 422, which Chromium logs: this page's console is not read.
        checker = await (
            await browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        ).new_page()
        await _log_in(checker, live_server, admin)
        await checker.goto(live_server + "/staff/team")
        found["team"] = await violations(checker)
        await checker.locator("#f-email").fill("not an address")
        await checker.get_by_label("Administration").check()
        await checker.locator("#f-password").fill("court")
        await checker.get_by_role("button", name="Créer le compte").click()
        await checker.locator("#e-email").wait_for()
        assert await checker.locator("#e-email").is_visible()
        assert await checker.locator("#f-email").input_value() == "not an address"
        assert await checker.get_by_label("Administration").is_checked()
        assert await checker.locator("#f-password").input_value() == ""
        found["team with errors"] = await violations(checker)
        await browser.close()
    assert errors == []
    assert found == {"team": [], "team with errors": []}
    assert (await User.get(email=colleague)).role == Role.ADMIN


async def test_staff_tables_fit_a_phone(live_server: str) -> None:
    """On a 390 px screen the team and surveys tables read as cards: nothing runs off the right
    edge (a long address wraps), and each value carries its column's name."""
    from playwright.async_api import async_playwright

    from tests.factories import make_survey

    admin = f"a-rather-long-address-for-a-phone-{uuid.uuid4().hex[:6]}@mairie-exemple.org"
    await create_user(admin, PASSWORD, Role.ADMIN)
    await make_survey()
    errors: list[str] = []
    widths: dict[str, int] = {}
    async with async_playwright() as p:
        browser = await launch(p)
        context = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        page = await context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        await _log_in(page, live_server, admin)
        for path in ("/staff", "/staff/team"):
            await page.goto(live_server + path)
            widths[path] = await page.evaluate("document.documentElement.scrollWidth")
        status = page.locator("td[data-label]").first
        label = await status.evaluate("e => getComputedStyle(e, '::before').content")
        await browser.close()
    assert errors == []
    assert widths == {"/staff": 390, "/staff/team": 390}
    assert label == '"Rôle : "'
