"""Themes first in Chromium, scripts on, under the real CSP: the dashboard's themes lead to
the run page with that theme opened, a folded theme opens to its needs, a need is renamed
from there; no console error, no CSP report, charts in their boxes, no button covered."""

from __future__ import annotations

import pytest

from survey.models.needs import Need
from tests.factories.browser import PHONE, chromium_missing, launch
from tests.factories.staff import staff_user
from tests.survey.web.test_charts_browser import DESKTOP, _staff_page
from tests.survey.web.test_needs_themes_pages import HEALTH, TRANSPORT, _survey, _themed_run

pytestmark = [
    pytest.mark.usefixtures("orm"),
    pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed"),
]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_themes_open_to_their_needs_from_the_dashboard(
    live_server: str, viewport: dict[str, int]
) -> None:
    from playwright.async_api import async_playwright

    definition = await _survey()
    run, made = await _themed_run(definition)
    # Enough needs for the run page to show its themes folded.
    for index in range(5):
        await Need.create(
            run=run, label=f"Dentiste {index}", position=10 + index, theme_label=HEALTH
        )
    email = f"themes-pages-{viewport['width']}@example.org"
    await staff_user(email)
    bus = made["Bus le soir"]
    async with async_playwright() as p:
        browser = await launch(p)
        watched = await _staff_page(browser, live_server, email, viewport)
        page = watched.page
        await watched.open(f"{live_server}/staff/surveys/{definition.slug}/dashboard")
        await watched.check(f"themes-dashboard-{viewport['width']}")
        themes = page.locator("ol.themes-top li")
        assert (await themes.first.inner_text()).startswith(f"{TRANSPORT} – cité par 12 personnes")

        # The theme's link opens the run page on it, its needs shown.
        await themes.first.get_by_role("link", name=TRANSPORT).click()
        await page.wait_for_load_state("networkidle")
        need = page.locator(f"#need-{bus.id}")
        assert await need.is_visible()
        assert await page.locator(f"#need-{made['Trouver un médecin traitant'].id}").is_hidden()
        await watched.check(f"themes-run-opened-{viewport['width']}")

        # Another theme, folded, opens to its needs with a click, no script needed.
        health = page.locator("details.theme-box", has=page.locator("h3", has_text=HEALTH))
        await health.locator(":scope > summary").click()
        assert await page.locator(f"#need-{made['Trouver un médecin traitant'].id}").is_visible()

        # Renamed from there, the need comes back in its theme, opened.
        await need.locator("summary").click()
        await need.get_by_label("Nouveau nom").fill("Bus après 20 h")
        await need.get_by_role("button", name="Renommer").click()
        await page.get_by_role("heading", name="Bus après 20 h").wait_for()
        await page.wait_for_load_state("networkidle")
        await watched.check(f"themes-run-renamed-{viewport['width']}")
        await browser.close()
