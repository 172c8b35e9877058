"""Staff review the needs of the demo-like survey in Chromium: run, rename, merge, split."""

from __future__ import annotations

import uuid

import pytest

from survey.domain import needs as domain
from survey.models.needs import AnalysisRun
from tests.factories.browser import chromium_missing, launch, staff_login
from tests.factories.needs import (
    BUSES,
    CHILDCARE,
    DOCTORS,
    finish_waiting,
    survey_with_answers,
    waiting_run,
)
from tests.factories.staff import PASSWORD, staff_user

pytestmark = pytest.mark.usefixtures("orm")


@pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed")
async def test_staff_review_needs_in_the_browser(live_server: str) -> None:
    from playwright.async_api import async_playwright

    definition = await survey_with_answers(CHILDCARE + BUSES + DOCTORS)
    email = f"review-{uuid.uuid4().hex[:8]}@example.org"
    await staff_user(email)
    async with async_playwright() as p:
        browser = await launch(p)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await page.goto(f"{live_server}/staff/surveys/{definition.slug}/analysis")
        await page.get_by_label("Adresse e-mail").fill(email)
        await page.get_by_label("Mot de passe").fill(PASSWORD)
        await page.get_by_role("button", name="Se connecter").click()
        await page.get_by_label("Nombre de besoins (facultatif)").fill("3")
        await page.get_by_role("button", name="Lancer l'analyse").click()
        # The worker of the served app runs the job; the page refreshes itself meanwhile.
        await page.get_by_role("heading", name="Besoins", exact=True).wait_for(timeout=90_000)
        run_id = int(page.url.rstrip("/").split("/")[-1].split("#")[0])
        run = await AnalysisRun.get(id=run_id)
        needs = await domain.needs_of_run(run)
        assert len(needs) == 3

        first = page.locator(f"#need-{needs[0].id}")
        await first.locator("summary").click()
        await first.get_by_label("Nouveau nom").fill("Besoin renommé")
        await first.get_by_role("button", name="Renommer").click()
        await page.get_by_role("heading", name="Besoin renommé").wait_for()

        for need in needs[1:]:
            await (
                page.locator(f"#need-{need.id}").get_by_label("Sélectionner pour fusionner").check()
            )
        await page.get_by_role("button", name="Fusionner les besoins sélectionnés").click()
        # Merging asks for a name first, proposed from the needs' phrases.
        name = page.get_by_label("Nom du besoin regroupé")
        assert await name.input_value()
        await page.get_by_role("button", name="Regrouper sous ce nom").click()
        await page.get_by_role("heading", name="Besoins", exact=True).wait_for()
        merged = next(n for n in await domain.needs_of_run(run) if n.id == needs[1].id)
        assert merged.size == 12

        box = page.locator(f"#need-{merged.id}")
        await box.locator("summary").click()
        await box.get_by_label("Scinder en combien (facultatif)").fill("2")
        await box.get_by_role("button", name="Scinder").click()
        await page.get_by_role("heading", name="Besoins", exact=True).wait_for()
        await browser.close()
    final = await domain.needs_of_run(run)
    assert len(final) == 3
    assert "Besoin renommé" in [n.label for n in final]




@pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed")
async def test_waiting_analysis_page_follows_progress_in_place_while_the_box_is_ticked(
    live_server: str,
) -> None:
    """No meta refresh: a link without JavaScript; with it, the status is checked in the
    background (no reload while waiting), the box stops the checks, and the finished run's
    page comes by itself."""
    from playwright.async_api import async_playwright

    definition = await survey_with_answers(CHILDCARE + BUSES)
    # Its job is due tomorrow: the served app's worker leaves it, so it stays queued.
    run = await waiting_run(definition.id)
    url = f"{live_server}/staff/surveys/{definition.slug}/analysis/{run.id}"
    email = f"wait-{uuid.uuid4().hex[:8]}@example.org"
    await staff_user(email)
    label = "Suivre l'avancement automatiquement (toutes les 3 secondes)"
    try:
        async with async_playwright() as p:
            browser = await launch(p)
            for javascript in (False, True):
                context = await browser.new_context(java_script_enabled=javascript)
                page = await context.new_page()
                await staff_login(page, live_server, email)
                loads: list[str] = []
                checks: list[str] = []
                page.on("load", lambda _, seen=loads: seen.append("load"))
                page.on(
                    "request",
                    lambda r, seen=checks: (
                        seen.append(r.url) if r.resource_type == "fetch" else None
                    ),
                )
                await page.goto(url)
                assert await page.locator("meta[http-equiv=refresh]").count() == 0
                link = page.get_by_role("link", name="Actualiser", exact=True)
                assert await link.get_attribute("href") == url.removeprefix(live_server)
                box = page.get_by_label(label)
                if not javascript:
                    assert not await box.is_visible()
                    await page.wait_for_timeout(3_500)
                    assert (loads, checks) == (["load"], [])
                    await context.close()
                    continue
                assert await box.is_checked()
                await page.wait_for_timeout(3_800)
                assert checks == [url], "the status was not checked in the background"
                assert loads == ["load"], "the page reloaded while waiting"
                await box.uncheck()
                await page.wait_for_timeout(3_800)
                assert len(checks) == 1, "checks went on with the box unticked"
                await box.check()
                await finish_waiting(run)
                await page.get_by_role("heading", name="Besoins", exact=True).wait_for(
                    timeout=10_000
                )
                assert await page.locator("#wait-status").count() == 0
                await context.close()
            await browser.close()
    finally:
        await run.delete()
