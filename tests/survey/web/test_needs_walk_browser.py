"""The needs walk on the demo answers in Chromium: themes, needs, merge, re-run, vocabulary."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from survey.domain import needs as domain
from survey.domain.answering import load_responses
from survey.models.needs import AnalysisRun
from tests.factories import finish_jobs
from tests.factories.browser import chromium_missing, launch, staff_login
from tests.factories.needs import survey_with_answers
from tests.factories.staff import staff_user

ROOT = Path(__file__).resolve().parents[3]
SHOTS = Path("/tmp/shots-needsb")
pytestmark = pytest.mark.usefixtures("orm")

WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


async def _shoot(context, url: str, name: str, shots: Path) -> None:  # type: ignore[no-untyped-def]
    """The page at both sizes, checked for console errors like the walk itself."""
    errors: list[str] = []
    for label, viewport in (("wide", WIDE), ("phone", PHONE)):
        page = await context.new_page()
        await page.set_viewport_size(viewport)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(url)
        await page.screenshot(path=str(shots / f"{name}-{label}.png"), full_page=False)
        await page.close()
    assert errors == [], errors


async def _open_theme_of(page, need_id: int) -> None:  # type: ignore[no-untyped-def]
    """Open the theme holding a need, when the page shows it folded."""
    theme = page.locator(f"details.theme-box:has(#need-{need_id})")
    if await theme.get_attribute("open") is None:
        await theme.locator(":scope > summary").click()


@pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed")
# Two analyses of four hundred answers on a shared machine.
@pytest.mark.timeout(1500)
async def test_demo_walk_themes_needs_merge_rerun(live_server: str, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    texts = [
        item["text"]
        for item in json.loads((ROOT / "fixtures" / "demo_texts.json").read_text("utf-8"))["manque"]
    ]
    definition = await survey_with_answers(texts)
    email = f"walk-{uuid.uuid4().hex[:8]}@example.org"
    await staff_user(email)
    shots = SHOTS if SHOTS.is_dir() else tmp_path
    errors: list[str] = []
    base = f"{live_server}/staff/surveys/{definition.slug}/analysis"
    async with async_playwright() as p:
        browser = await launch(p)
        context = await browser.new_context(viewport=WIDE)
        # The served app loads the language models on its first merge proposal.
        context.set_default_timeout(180_000)
        page = await context.new_page()
        await staff_login(page, live_server, email)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on(
            "response",
            lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        page.on("pageerror", lambda e: errors.append(str(e)))

        await page.goto(base)
        await page.get_by_role("button", name="Lancer l'analyse").click()
        # Four hundred answers: here or in the served app's worker.
        await finish_jobs(domain.JOB_KIND, timeout=600)
        run_url = page.url.split("#")[0].split("?")[0]
        run = await AnalysisRun.get(id=int(run_url.rstrip("/").split("/")[-1]))
        await page.goto(run_url)

        # Themes first, then their needs, each with its residents and its quotes.
        await page.get_by_role("heading", name="Thèmes", exact=True).wait_for()
        needs = await domain.needs_of_run(run)
        shown = [n for n in needs if n.is_need]
        themes = domain.themes_of(needs, await domain.theme_residents(run))
        assert len(themes) >= 5
        summaries = page.locator("details.theme-box:not(#theme-aside) > summary")
        listed = await summaries.all_inner_texts()
        assert [item.split(" – ")[0] for item in listed] == [
            t.label or "Autres sujets" for t in themes
        ]
        # Folded: each theme opens to its needs.
        for index in range(await summaries.count()):
            await summaries.nth(index).click()
        for need in shown:
            box = page.locator(f"#need-{need.id}")
            heading = await box.locator("h4").inner_text()
            assert heading.startswith(need.label)
            assert f"cité par {need.size} personne{'s' if need.size > 1 else ''}," in heading
            # Readable names: a phrase, not two bare keywords joined by a comma.
            assert need.label and "," not in need.label, need.label
            # Quotes are answers of the need (main need or one it also speaks of).
            members = dict(await domain.need_answers(run, need.id))
            members.update(dict(await domain.need_mentions(run, need.id)))
            for quote in await box.locator("ul.quotes q").all_inner_texts():
                assert quote in members.values(), (need.label, quote)
        assert await page.locator("#agreement").inner_text() == (
            "Pas encore revu : l'accord avec votre revue s'affichera dès votre première "
            "modification."
        )
        await _shoot(context, run_url, "needs-run", shots)

        # Rename a need as a town-hall employee would.
        renamed = shown[0]
        box = page.locator(f"#need-{renamed.id}")
        await box.locator("summary").click()
        await box.get_by_label("Nouveau nom").fill("Un nom revu par l'équipe")
        await box.get_by_role("button", name="Renommer").click()
        await page.get_by_role("heading", level=4, name="Un nom revu par l'équipe").wait_for()

        # Merge asks for a name, proposed from the needs' phrases, before applying.
        first, second = shown[1], shown[2]
        for need in (first, second):
            await _open_theme_of(page, need.id)
            await (
                page.locator(f"#need-{need.id}").get_by_label("Sélectionner pour fusionner").check()
            )
        await page.get_by_role("button", name="Fusionner les besoins sélectionnés").click()
        await page.get_by_role("heading", name="Regrouper des besoins").wait_for()
        name = page.get_by_label("Nom du besoin regroupé")
        proposed = await name.input_value()
        assert proposed
        assert len(await domain.needs_of_run(run)) == len(needs)
        merge_url = page.url
        await page.screenshot(path=str(shots / "needs-merge-wide.png"))
        await page.set_viewport_size(PHONE)
        await page.screenshot(path=str(shots / "needs-merge-phone.png"))
        await page.set_viewport_size(WIDE)
        await page.get_by_role("button", name="Regrouper sous ce nom").click()
        await page.get_by_role("heading", level=4, name=proposed).wait_for()
        assert len(await domain.needs_of_run(run)) == len(needs) - 1
        assert merge_url.endswith("/merge")
        await page.locator("#agreement").get_by_text("Accord entre le regroupement").wait_for()
        await _shoot(context, run_url + "#quality", "needs-reviewed", shots)
        await _shoot(context, f"{run_url}/needs/{first.id}", "need-answers", shots)

        # More answers come in; the re-run keeps the reviewed names and says what changed.
        await load_responses(
            definition,
            [
                {
                    "key": str(uuid.uuid4()),
                    "submitted_at": "2026-10-25T10:00:00+00:00",
                    "answers": {"manque": text, "quartier": "centre"},
                }
                for text in texts[:20]
            ],
        )
        await page.goto(base)
        await page.get_by_role("button", name="Lancer l'analyse").click()
        await finish_jobs(domain.JOB_KIND, timeout=600)
        again_url = page.url.split("#")[0].split("?")[0]
        assert again_url != run_url
        await page.goto(again_url + "?theme=all")
        await page.get_by_role("heading", level=4, name="Un nom revu par l'équipe").wait_for()
        await page.get_by_role("heading", level=4, name=proposed).wait_for()
        await page.locator("#changes").wait_for()
        await _shoot(context, again_url, "needs-rerun", shots)
        await _shoot(context, base, "needs-overview", shots)
        await _shoot(context, f"{base}/vocabulary", "needs-vocabulary", shots)
        await browser.close()
    assert errors == [], errors
