"""The demo answers' themes and needs in Chromium, as a town-hall employee sees them."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from survey.domain import needs as domain
from tests.factories import finish_jobs
from tests.factories.browser import chromium_missing, launch, staff_login
from tests.factories.needs import survey_with_answers
from tests.factories.staff import staff_user

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.usefixtures("orm")


@pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed")
async def test_demo_needs_page_shows_themes_then_needs(live_server: str, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    texts = [
        item["text"]
        for item in json.loads((ROOT / "fixtures" / "demo_texts.json").read_text("utf-8"))["manque"]
    ]
    definition = await survey_with_answers(texts)
    run = await domain.start_analysis(definition.slug, "manque")
    # Four hundred answers: the served app's worker may take the job and load its models.
    await finish_jobs(domain.JOB_KIND, timeout=600)
    needs = await domain.needs_of_run(run)
    themes = domain.themes_of(needs, await domain.theme_residents(run))
    email = f"themes-{uuid.uuid4().hex[:8]}@example.org"
    await staff_user(email)
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await launch(p)
        # Without JavaScript, as the staff pages are meant to work: the reading is the text.
        context = await browser.new_context(
            viewport={"width": 1280, "height": 900}, java_script_enabled=False
        )
        page = await context.new_page()
        await staff_login(page, live_server, email)
        # From here on, the needs page under test: every console error and failed load.
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on(
            "response",
            lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(f"{live_server}/staff/surveys/{definition.slug}/analysis/{run.id}")
        await page.get_by_role("heading", name="Thèmes", exact=True).wait_for()
        # Each theme a disclosure: its name, residents and needs, opened to its needs.
        listed = await page.locator(
            "details.theme-box:not(#theme-aside) > summary"
        ).all_inner_texts()
        assert [item.split(" – ")[0] for item in listed] == [
            t.label or "Autres sujets" for t in themes
        ]
        headings = await page.locator("h3.theme").all_inner_texts()
        assert headings == [t.label or "Autres sujets" for t in themes]
        await page.screenshot(
            path=os.environ.get("NEEDS_SCREENSHOT") or str(tmp_path / "needs.png"), full_page=False
        )
        await page.locator("h3.theme").first.scroll_into_view_if_needed()
        await page.screenshot(
            path=(os.environ.get("NEEDS_SCREENSHOT") or str(tmp_path / "needs.png")).replace(
                ".png", "-needs.png"
            )
        )
        await browser.close()
    assert errors == [], errors
    assert len(themes) >= 5
