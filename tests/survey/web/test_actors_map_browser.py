"""The territory map in Chromium under the real CSP: no console error, no CSP report, the
chart drawn inside its box, every button reachable, hostile names shown as text on hover."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from survey.domain.actors_map import save_outlines
from survey.models.actors import Actor
from tests.factories.browser import chromium_missing, launch
from tests.factories.staff import staff_user
from tests.survey.web.test_charts_browser import DESKTOP, PHONE, _staff_page

pytestmark = [
    pytest.mark.usefixtures("orm"),
    pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed"),
]
ROOT = Path(__file__).resolve().parents[3]
HOSTILE = '<img src=x onerror="window.__pwned=1">'
SHOTS = os.environ.get("PARLONS_SCREENSHOTS", "")

# Where a point of the markers trace is drawn on the screen, from Plotly's own axes.
_POINT = """
([name]) => {
  const gd = document.querySelector(".plot[data-figure] .js-plotly-plot")
    || document.querySelector(".js-plotly-plot");
  const layout = gd._fullLayout;
  for (const trace of gd._fullData) {
    if (trace.mode !== "markers") { continue; }
    const i = trace.text.findIndex(t => t.includes(name));
    if (i < 0) { continue; }
    const box = gd.getBoundingClientRect();
    return {x: box.left + layout._size.l + layout.xaxis.l2p(trace.x[i]),
            y: box.top + layout._size.t + layout.yaxis.l2p(trace.y[i])};
  }
  return null;
}
"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_map_page_is_clean_and_hover_shows_names_as_text(
    live_server: str, viewport: dict[str, int]
) -> None:
    from playwright.async_api import async_playwright

    tag = uuid.uuid4().hex[:6]
    await save_outlines((ROOT / "fixtures" / "demo_outlines.json").read_bytes(), "demo.json")
    await Actor.create(
        name=f"{HOSTILE} Atelier {tag}",
        services=[f"{HOSTILE} Réparer"],
        neighbourhood="merande",
        # Alone in the east of Mérande, so that the pointer meets it first.
        latitude=45.5655,
        longitude=5.9537,
    )
    email = f"map-browser-{tag}@example.org"
    await staff_user(email)
    async with async_playwright() as p:
        browser = await launch(p)
        watched = await _staff_page(browser, live_server, email, viewport)
        page = watched.page
        await watched.open(f"{live_server}/staff/actors/map")
        assert await page.locator(".plot .main-svg").count() >= 1
        measures = await watched.check(f"actors-map-{viewport['width']}")
        assert measures["charts"] == 1
        # What lies above the map grows with other tests' data: scroll the point to the
        # middle of the window before pointing at it.
        point = await page.evaluate(_POINT, [f"Atelier {tag}"])
        assert point is not None
        await page.evaluate(
            "(y) => window.scrollBy(0, y - window.innerHeight / 2)", point["y"]
        )
        point = await page.evaluate(_POINT, [f"Atelier {tag}"])
        assert point is not None
        await page.mouse.move(point["x"], point["y"])
        hover = page.locator(".hoverlayer .hovertext")
        await hover.first.wait_for()
        text = await hover.first.text_content()
        assert f"{HOSTILE} Atelier {tag}" in (text or "")
        assert await page.evaluate("window.__pwned === undefined")
        assert await page.locator(".hoverlayer img").count() == 0
        assert watched.errors == []
        assert await page.evaluate("window.__csp") == []
        if SHOTS:
            shot = Path(SHOTS) / f"actors-map-hover-{viewport['width']}.png"
            await page.screenshot(path=str(shot))
        await browser.close()
