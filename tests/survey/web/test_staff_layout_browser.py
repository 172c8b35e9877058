"""Staff pages in Chromium on a laptop and a phone: no page scrolls sideways, tables read as
tables on a laptop (cards only on a phone), a ticked box sits inside its own box and the
scheduling fields are full-size fields."""

from __future__ import annotations

from typing import Any

import pytest

from survey.domain.demo import load_demo
from survey.domain.demo_followup import COUNCIL, load_demo_followup
from survey.models.councils import Consultation
from tests.factories.browser import PHONE, chromium_missing, launch
from tests.factories.staff import PASSWORD, staff_user
from tests.survey.web.test_charts_browser import _WATCH_CSP, _WIDER, Watched

pytestmark = [
    pytest.mark.usefixtures("orm"),
    pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed"),
]
LAPTOP = {"width": 1366, "height": 900}

# How an offer's row is laid out, and whether the table's header shows above the rows.
_OFFER_LAYOUT = """
() => {
  const row = document.querySelector("tr[id^=offer-]");
  const head = row.closest("table").querySelector("thead");
  return {row: getComputedStyle(row).display, head: head.getBoundingClientRect().height};
}
"""

# How far a tick box sits inside the box of its label, on each side.
_TICK_INSET = """
() => {
  const box = document.querySelector("input[type=checkbox][name=archived]");
  const b = box.getBoundingClientRect(), l = box.closest("label").getBoundingClientRect();
  return Math.min(b.left - l.left, b.top - l.top, l.bottom - b.bottom);
}
"""


async def _page(browser: Any, base: str, email: str, viewport: dict[str, int]) -> Watched:
    phone = viewport == PHONE
    context = await browser.new_context(
        viewport=viewport, locale="fr-FR", is_mobile=phone, has_touch=phone
    )
    await context.add_init_script(_WATCH_CSP)
    watched = Watched(await context.new_page())
    await watched.page.goto(f"{base}/staff/login")
    await watched.page.get_by_label("E-mail").fill(email)
    await watched.page.get_by_label("Mot de passe").fill(PASSWORD)
    await watched.page.get_by_role("button", name="Se connecter").click()
    await watched.page.wait_for_url(f"{base}/staff")
    return watched


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
async def test_staff_pages_fit_the_screen_and_keep_their_layout(
    live_server: str, viewport: dict[str, int]
) -> None:
    from playwright.async_api import async_playwright

    slug, _added = await load_demo()
    await load_demo_followup(slug)
    consultation = await Consultation.filter(council__name=COUNCIL).order_by("id").first()
    assert consultation is not None
    email = f"layout-{viewport['width']}@example.org"
    await staff_user(email)
    pages = [
        f"/staff/surveys/{slug}/analysis",
        f"/staff/surveys/{slug}/report",
        f"/staff/surveys/{slug}/suivi",
        f"/staff/surveys/{slug}/edit",
        f"/staff/actors/offers?survey={slug}",
        "/staff/actors",
        "/staff/councils",
        f"/staff/councils/{consultation.council_id}/consultations/{consultation.id}",
    ]
    async with async_playwright() as p:
        browser = await launch(p)
        watched = await _page(browser, live_server, email, viewport)
        page = watched.page
        wider = {}
        for path in pages:
            await watched.open(f"{live_server}{path}")
            past = await page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if past > 0:
                wider[path] = (past, await page.evaluate(_WIDER))
        await watched.open(f"{live_server}/staff/actors/offers?survey={slug}")
        offers = await page.evaluate(_OFFER_LAYOUT)
        await watched.open(f"{live_server}/staff/actors")
        inset = await page.evaluate(_TICK_INSET)
        await watched.open(f"{live_server}/staff/surveys/{slug}/edit")
        opens = await page.locator("#i-opens_at").bounding_box()
        await browser.close()
    assert wider == {}
    assert watched.errors == []
    if viewport == LAPTOP:
        assert offers["row"] == "table-row" and offers["head"] > 0, offers
    else:
        assert offers == {"row": "block", "head": 1}, offers
    assert inset >= 4
    assert opens is not None and opens["height"] >= 44
