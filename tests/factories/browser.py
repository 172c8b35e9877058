"""Chromium for browser tests: launch, phone pages, accessibility checks."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.factories.staff import PASSWORD

CHROMIUM = "/usr/bin/chromium"


PHONE = {"width": 390, "height": 844}


def chromium_missing() -> bool:
    return not Path(CHROMIUM).exists() and shutil.which("chromium") is None


async def launch(playwright):  # type: ignore[no-untyped-def]
    return await playwright.chromium.launch(
        executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )


async def phone_page(browser, live_server: str, external: list[str], *, javascript: bool):  # type: ignore[no-untyped-def]
    """A 390x844 touch page in French; requests to any other host are recorded."""
    context = await browser.new_context(
        viewport=PHONE,
        java_script_enabled=javascript,
        locale="fr-FR",
        is_mobile=True,
        has_touch=True,
    )
    page = await context.new_page()
    page.on(
        "request",
        lambda r: None if r.url.startswith((live_server, "data:")) else external.append(r.url),
    )
    return page


WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


async def violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page, options=WCAG_AA)
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


async def staff_login(page, live_server: str, email: str) -> None:  # type: ignore[no-untyped-def]
    await page.goto(f"{live_server}/staff/login")
    await page.get_by_label("Adresse e-mail").fill(email)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.get_by_role("link", name="Questionnaires").first.wait_for()


async def staff_page_at(  # type: ignore[no-untyped-def]
    browser, live_server: str, email: str, path: str, errors: list[str], *, viewport: dict[str, int]
):
    """A French page without JavaScript, logged in as ``email`` through the login form and
    sent on to ``path``; console errors and page errors are appended to ``errors``."""
    context = await browser.new_context(
        viewport=viewport, java_script_enabled=False, locale="fr-FR"
    )
    page = await context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{live_server}/staff/login?next={path}")
    await page.get_by_label("Adresse e-mail").fill(email)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    return page
