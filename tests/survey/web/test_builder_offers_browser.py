"""The skills-network marks on the builder's question page in Chromium, on a computer and on
a phone: ticked, saved, shown ticked again; each page photographed at both sizes."""

from __future__ import annotations

import uuid

import pytest

from survey.domain.builder import NewSurvey, Texts, create_blank_survey, get_editor
from survey.domain.builder_questions import NewQuestion, add_question
from survey.domain.definitions import get_definition
from survey.enums import QuestionKind
from tests.factories.browser import chromium_missing, launch, staff_page_at
from tests.factories.staff import staff_user
from tests.survey.web.test_builder_forms_browser import DESKTOP, _shoot

pytestmark = [
    pytest.mark.usefixtures("orm"),
    pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed"),
]


async def test_builder_offers_browser_mark_is_ticked_and_saved(live_server: str) -> None:
    from playwright.async_api import async_playwright

    email = f"bo-{uuid.uuid4().hex[:8]}@example.org"
    await staff_user(email)
    slug = await create_blank_survey(
        NewSurvey(f"bo-{uuid.uuid4().hex[:8]}", Texts("Entraide", "Mutual aid"))
    )
    section = (await get_editor(slug)).sections[0].id
    offers = await add_question(
        slug,
        section,
        NewQuestion(QuestionKind.LONG_TEXT, Texts("Que seriez-vous prêt·e à faire ?")),
    )
    consent = await add_question(
        slug, section, NewQuestion(QuestionKind.SINGLE, Texts("Pouvons-nous vous recontacter ?"))
    )
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await launch(p)
        page = await staff_page_at(
            browser,
            live_server,
            email,
            f"/staff/surveys/{slug}/questions/{offers}",
            errors,
            viewport=DESKTOP,
        )
        mark = page.get_by_label("Les réponses sont des offres d'aide (réseau de compétences)")
        assert not await mark.is_checked()
        assert (
            await page.get_by_label("Disponibilité des personnes qui offrent de l'aide").count()
            == 0
        )
        await mark.check()
        await page.get_by_role("button", name="Enregistrer").click()
        await page.goto(f"{live_server}/staff/surveys/{slug}/questions/{offers}")
        assert await mark.is_checked()
        await _shoot(page, "question-offers")
        await page.set_viewport_size(DESKTOP)
        await page.goto(f"{live_server}/staff/surveys/{slug}/questions/{consent}")
        agreed = page.get_by_label("Accord pour être recontacté·e au sujet de l'offre d'aide")
        await agreed.check()
        await page.get_by_role("button", name="Enregistrer").click()
        await page.goto(f"{live_server}/staff/surveys/{slug}/questions/{consent}")
        assert await agreed.is_checked()
        await _shoot(page, "question-offer-consent")
        await browser.close()
    definition = await get_definition(slug)
    question = next(q for q in definition.questions if q.kind == "long_text")
    assert question.settings == {"offers": True}
    question = next(q for q in definition.questions if q.kind == "single")
    assert question.settings["offer_consent"] is True
    assert errors == []
