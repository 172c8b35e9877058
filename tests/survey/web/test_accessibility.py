"""WCAG 2.1 AA checks (axe-core in Chromium) on residents', members' and main staff pages,
and a whole survey answered with the keyboard only."""

from __future__ import annotations

import uuid

import pytest

from survey.domain.responses import list_responses
from tests.factories import make_survey
from tests.factories.browser import PHONE, chromium_missing, launch, violations
from tests.factories.council import make_consultation, make_council
from tests.factories.needs import BUSES, CHILDCARE, DOCTORS, survey_with_answers, waiting_run
from tests.factories.staff import PASSWORD, staff_user
from tests.survey.web.test_polis_import import draft_consultation, import_url

pytestmark = [
    pytest.mark.usefixtures("orm"),
    pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed"),
]




async def check(page, url: str, found: dict[str, list[str]], status: int = 200) -> None:  # type: ignore[no-untyped-def]
    response = await page.goto(url)
    if response is None or response.status != status:  # another page would prove nothing
        found[url] = [f"HTTP {response.status if response else 'no response'}"]
        return
    problems = await violations(page)
    if problems:
        found[url] = problems


async def test_resident_and_member_pages_have_no_wcag_aa_violation(live_server: str) -> None:
    from playwright.async_api import async_playwright

    survey = await make_survey()
    council, members = await make_council(2)
    mj = await make_consultation(council, "majority_judgment", ["Crèche", "Bus du soir"])
    approval = await make_consultation(council, "approval", ["Jardin", "Médecin"])
    found: dict[str, list[str]] = {}
    async with async_playwright() as p:
        browser = await launch(p)
        context = await browser.new_context(viewport=PHONE, bypass_csp=True)
        page = await context.new_page()
        for url in (
            "/",
            f"/s/{survey.slug}",
            f"/s/{survey.slug}?lang=en",
            "/accessibilite",
            f"/s/{survey.slug}/ma-reponse",
            "/c/login",
        ):
            await check(page, live_server + url, found)
        await check(page, live_server + "/nope", found, status=404)  # the error page
        # A page with errors: sent empty (and back to French, which the English visit changed).
        await page.goto(f"{live_server}/s/{survey.slug}?lang=fr")
        await page.get_by_role("button", name="Suivant").click()
        problems = await violations(page)
        if problems:
            found["survey errors"] = problems
        # The members' pages.
        await page.goto(f"{live_server}/c/k/{members[0].token}")
        for url in ("/c", f"/c/v/{mj.id}", f"/c/v/{approval.id}"):
            await check(page, live_server + url, found)
        await browser.close()
    assert found == {}


async def test_main_staff_pages_have_no_wcag_aa_violation(live_server: str) -> None:
    from playwright.async_api import async_playwright

    survey = await survey_with_answers(CHILDCARE + BUSES + DOCTORS)
    email = f"a11y-{uuid.uuid4().hex[:6]}@example.org"
    await staff_user(email)
    council, _ = await make_council(2)
    invited = await make_survey(
        slug=f"a11y-codes-{uuid.uuid4().hex[:6]}", access={"mode": "invitation"}
    )
    statements = await draft_consultation()
    waiting = await waiting_run(survey.id)
    found: dict[str, list[str]] = {}
    async with async_playwright() as p:
        browser = await launch(p)
        context = await browser.new_context(
            viewport={"width": 1280, "height": 900}, bypass_csp=True
        )
        page = await context.new_page()
        await check(page, live_server + "/staff/login", found)
        await page.get_by_label("Adresse e-mail").fill(email)
        await page.get_by_label("Mot de passe").fill(PASSWORD)
        await page.get_by_role("button", name="Se connecter").click()
        for url in (
            "/staff",
            f"/staff/surveys/{survey.slug}",
            f"/staff/surveys/{survey.slug}/dashboard",
            f"/staff/surveys/{survey.slug}/analysis",
            f"/staff/surveys/{survey.slug}/analysis/{waiting.id}",
            "/staff/councils",
            f"/staff/councils/{council.id}",
            f"/staff/surveys/{survey.slug}/edit",
            f"/staff/surveys/{survey.slug}/codes",
            f"/staff/surveys/{invited.slug}/codes",
            f"/staff/councils/{council.id}/sortition",
            import_url(statements),
            "/staff/api-tokens",
        ):
            await check(page, live_server + url, found)
        await browser.close()
    assert found == {}


async def test_survey_answered_with_the_keyboard_only(live_server: str) -> None:
    """Tab, arrows, space and Enter only, JavaScript off, on a phone-sized screen."""
    from playwright.async_api import async_playwright

    survey = await make_survey()
    async with async_playwright() as p:
        browser = await launch(p)
        context = await browser.new_context(viewport=PHONE, java_script_enabled=False)
        page = await context.new_page()
        await page.goto(f"{live_server}/s/{survey.slug}")
        keys = page.keyboard

        async def tab_to(selector: str) -> None:
            for _ in range(80):
                await keys.press("Tab")
                if (
                    await page.evaluate_handle("document.activeElement")
                    and await page.locator(f"{selector}:focus").count()
                ):
                    return
            raise AssertionError(f"never reached {selector} with Tab")

        # Section 1: radio groups are one tab stop each; arrows choose, space confirms.
        await tab_to("input[name=q_quartier]")
        await keys.press("ArrowDown")  # second neighbourhood: Bissy
        await tab_to("input[name=q_age]")
        await keys.press("ArrowDown")
        await keys.press("ArrowDown")  # 30 à 44 ans
        await tab_to("button[value=next]")
        await keys.press("Enter")
        await page.get_by_text("Étape 2 sur 4").wait_for()
        await tab_to("input[name=q_satisfaction]")
        await keys.press("ArrowDown")
        await tab_to("textarea[name=q_manque]")
        await keys.type("Un bus le dimanche")
        await tab_to("button[value=next]")
        await keys.press("Enter")
        await page.get_by_text("Étape 3 sur 4").wait_for()
        await tab_to("button[value=next]")
        await keys.press("Enter")
        await page.get_by_text("Étape 4 sur 4").wait_for()
        await tab_to("input[name=q_conseil]")
        await keys.press("Space")  # the first choice: Oui
        await tab_to("button[value=next]")
        await keys.press("Enter")
        await page.get_by_text("Vos réponses ont bien été enregistrées.").wait_for()
        await browser.close()
    rows = await list_responses(survey.id, page=1)
    assert len(rows) == 1
    answers = rows[0]["answers"]
    assert (answers["quartier"], answers["age"]) == ("bissy", "30-44")
    assert answers["manque"] == "Un bus le dimanche"
    assert answers["satisfaction"] == 2
    assert answers["conseil"] == "yes"
