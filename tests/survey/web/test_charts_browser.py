"""Charts in Chromium under the real CSP: drawn at their height, no console error, no CSP
report, every button reachable, no link made from a label, a compact demo dashboard."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from survey.domain.db import connection
from survey.domain.demo import load_demo
from survey.domain.demo_followup import load_demo_followup
from survey.models.needs import Need, NeedAnswer
from tests.factories.browser import chromium_missing, launch
from tests.factories.needs import finished_run
from tests.factories.staff import PASSWORD, staff_user

pytestmark = [
    pytest.mark.usefixtures("orm"),
    pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed"),
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# Screenshots go where PARLONS_SCREENSHOTS points, to be looked at; nowhere otherwise.
SHOTS = os.environ.get("PARLONS_SCREENSHOTS", "")

# Recorded before any script of the page runs: every CSP violation the page meets.
_WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""

# Per drawn chart: its figure's height and the height of the box it takes on the page.
_CHART_BOXES = """
() => Array.from(document.querySelectorAll(".plot[data-figure]")).map(el => {
  const fig = JSON.parse(document.getElementById(el.dataset.figure).textContent);
  return {id: el.id, figure: (fig.layout && fig.layout.height) || 450,
          drawn: el.getBoundingClientRect().height,
          svg: el.querySelectorAll(".main-svg").length,
          links: el.querySelectorAll("a").length};
})
"""

# Every visible button (and submit input) that is not the element at its own centre.
_HIDDEN_BUTTONS = """
() => Array.from(document.querySelectorAll("button, input[type=submit]")).filter(b => {
  // Buttons inside a closed <details> are not shown, so not to be reached either.
  if (!b.checkVisibility({visibilityProperty: true})) { return false; }
  b.scrollIntoView({block: "center"});
  const s = b.getBoundingClientRect();
  const hit = document.elementFromPoint(s.left + s.width / 2, s.top + s.height / 2);
  return !(hit === b || b.contains(hit));
}).map(b => b.outerHTML.slice(0, 120))
"""

# The innermost elements that reach past the right edge of the screen.
_WIDER = """
() => Array.from(document.querySelectorAll("body *")).filter(e =>
  e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 &&
  !Array.from(e.children).some(c => c.getBoundingClientRect().right >
    document.documentElement.clientWidth + 1)
).map(e => e.tagName + "." + e.className + " " + (e.textContent || "").slice(0, 40))
"""


async def _demo_run(slug: str, labels: list[str]) -> int:
    """A finished needs analysis of the demo's free-text question, one need per label."""
    async with connection() as conn:
        ids = [
            r["id"]
            for r in await conn.fetch(
                "SELECT r.id FROM responses r JOIN surveys s ON s.id = r.survey_id"
                " WHERE s.slug = $1 ORDER BY r.id",
                slug,
            )
        ]
        survey_id = await conn.fetchval("SELECT id FROM surveys WHERE slug = $1", slug)
    run = await finished_run(survey_id, "manque", n_answers=len(ids))
    for position, label in enumerate(labels):
        members = ids[position :: len(labels)]
        need = await Need.create(
            run=run,
            label=label,
            position=position,
            size=len(members),
            quote_response_ids=members[:2],
        )
        for index, rid in enumerate(members):
            await NeedAnswer.create(
                run=run, response_id=rid, need=need, x=position + index % 7 / 10, y=index % 5
            )
    return int(run.id)


class Watched:
    """A page with its console errors and CSP reports recorded."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        # The console says a resource failed, not which: the response does.
        page.on(
            "response",
            lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )

    async def open(self, url: str) -> None:
        await self.page.goto(url)
        await self.page.wait_for_load_state("networkidle")
        if await self.page.locator(".plot[data-figure]").count():
            await self.page.locator(".plot .main-svg").first.wait_for()

    async def check(self, name: str) -> dict[str, Any]:
        """Assert the page is clean and its charts fit; return its measures."""
        page = self.page
        boxes = await page.evaluate(_CHART_BOXES)
        height = await page.evaluate("document.documentElement.scrollHeight")
        wider = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        csp = await page.evaluate("window.__csp")
        hidden = await page.evaluate(_HIDDEN_BUTTONS)
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)
        assert self.errors == [], self.errors
        assert csp == [], csp
        assert hidden == [], hidden
        assert wider <= 0, await page.evaluate(_WIDER)
        for box in boxes:
            assert box["svg"] >= 1, box
            assert box["drawn"] <= 1.3 * box["figure"], box
            assert box["links"] == 0, box
        return {"height": height, "charts": len(boxes)}


async def _staff_page(browser: Any, base: str, email: str, viewport: dict[str, int]) -> Watched:
    context = await browser.new_context(viewport=viewport, locale="fr-FR")
    await context.add_init_script(_WATCH_CSP)
    watched = Watched(await context.new_page())
    page = watched.page
    await page.goto(f"{base}/staff/login")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url(f"{base}/staff")
    return watched


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_demo_dashboard_draws_every_chart_at_its_height(
    live_server: str, viewport: dict[str, int]
) -> None:
    from playwright.async_api import async_playwright

    slug, _added = await load_demo()
    # With its analysed needs, whichever tests ran before: the page at its tallest.
    await load_demo_followup(slug)
    email = f"charts-{viewport['width']}@example.org"
    await staff_user(email)
    async with async_playwright() as p:
        browser = await launch(p)
        watched = await _staff_page(browser, live_server, email, viewport)
        await watched.open(f"{live_server}/staff/surveys/{slug}/dashboard?rows=quartier&cols=age")
        measures = await watched.check(f"dashboard-{viewport['width']}")
        await browser.close()
    assert measures["charts"] >= 5
    if viewport == DESKTOP:
        # About six screens with the needs section (one quote a need, two columns); a
        # theme that took in another is named after both, which may take a line more.
        assert measures["height"] <= 6.25 * DESKTOP["height"]


HOSTILE = '<a href="https://example.org/x">Cliquez ici</a>'
NEED_LABELS = [
    "Transports",
    HOSTILE,
    "<b>Garde</b> d'enfants<br>après l'école",
    "Plus de bus le dimanche soir pour aller au centre-ville et en revenir sans voiture",
    "Santé",
]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_needs_page_draws_its_charts_and_makes_no_link_of_a_label(
    live_server: str, viewport: dict[str, int]
) -> None:
    from playwright.async_api import async_playwright

    slug, _added = await load_demo()
    run_id = await _demo_run(slug, NEED_LABELS)
    email = f"charts-needs-{viewport['width']}@example.org"
    await staff_user(email)
    async with async_playwright() as p:
        browser = await launch(p)
        watched = await _staff_page(browser, live_server, email, viewport)
        await watched.open(f"{live_server}/staff/surveys/{slug}/analysis/{run_id}?by=quartier")
        measures = await watched.check(f"needs-{viewport['width']}")
        sizes_chart = watched.page.locator(".plot").first
        sizes = await sizes_chart.text_content()
        hovers = []
        for index in range(await sizes_chart.locator(".point path").count()):
            # plotly.js listens on the layer above the bars, so no check of what is on top.
            await sizes_chart.locator(".point path").nth(index).hover(force=True)
            await watched.page.wait_for_timeout(150)  # plotly.js draws hover labels throttled
            hovers.append(await sizes_chart.locator(".hoverlayer").text_content())
        legend = await watched.page.locator(".plot").nth(1).locator(".legend").text_content()
        await browser.close()
    assert measures["charts"] == 3  # sizes, map of answers, needs by neighbourhood
    # Labels are drawn as typed, as text (no link, no bold, no break): in the legend, and as
    # tick labels on at most two lines each, every need with its own.
    assert '<a href="https://example.org/x">Cliquez…' in legend  # cut to 40 characters
    assert "<b>Garde</b> d'enfants<br>après l'école" in legend
    assert '<ahref="https://example.org…' in sizes  # '<a' and the rest on the second line
    assert "<b>Garde</b>d'enfants<br>après l'école" in sizes
    assert "Plus de bus le dimanchesoir pour aller au…" in sizes
    assert "Transports" in sizes and "Santé" in sizes
    # Hovering a bar gives its need's whole name.
    assert any(NEED_LABELS[3] in hover for hover in hovers), hovers
    assert any(HOSTILE in hover for hover in hovers), hovers


@pytest.mark.parametrize("method", ["majority_judgment", "ranked", "budget", "approval"])
async def test_council_results_draw_for_staff_and_without_charts_for_residents(
    live_server: str, method: str
) -> None:
    from playwright.async_api import async_playwright

    from tests.survey.web.test_council_results_page import _published

    council, consultation = await _published(method)
    email = f"charts-council-{method}@example.org"
    await staff_user(email)
    async with async_playwright() as p:
        browser = await launch(p)
        watched = await _staff_page(browser, live_server, email, DESKTOP)
        await watched.open(
            f"{live_server}/staff/councils/{council}/consultations/{consultation}/results"
        )
        staff = await watched.check(f"council-staff-{method}")
        resident = await browser.new_context(viewport=PHONE, locale="fr-FR")
        await resident.add_init_script(_WATCH_CSP)
        public = Watched(await resident.new_page())
        await public.open(f"{live_server}/c/results/{consultation}")
        scripts = await public.page.locator("script").count()
        bars = await public.page.locator("svg.bar").count()
        first_bar = await public.page.locator("svg.bar").first.bounding_box()
        measures = await public.check(f"council-public-{method}")
        await browser.close()
    assert staff["charts"] == (2 if method == "budget" else 1)
    assert measures["charts"] == 0 and scripts == 0
    assert bars >= 2
    assert first_bar["width"] > 50 and first_bar["height"] > 8  # drawn, not collapsed


async def test_opinion_map_draws_for_staff_and_public_statements_have_bars(
    live_server: str,
) -> None:
    from playwright.async_api import async_playwright

    from survey.domain.consultations import publish_results
    from tests.survey.web.test_council import closed_two_camp_consultation

    council, consultation = await closed_two_camp_consultation()
    await publish_results(council.id, consultation.id, actor="t")
    email = "charts-opinion@example.org"
    await staff_user(email)
    async with async_playwright() as p:
        browser = await launch(p)
        watched = await _staff_page(browser, live_server, email, PHONE)
        await watched.open(
            f"{live_server}/staff/councils/{council.id}/consultations/{consultation.id}/results"
        )
        staff = await watched.check("council-staff-statements-390")
        await watched.open(f"{live_server}/c/results/{consultation.id}")
        public = await watched.check("council-public-statements-390")
        bars = await watched.page.locator("svg.bar").count()
        await browser.close()
    assert staff["charts"] == 1  # the opinion map
    assert public["charts"] == 0 and bars == 4
