"""The builder's question page and an exclusive choice in Chromium, as people see them, on a
computer and on a phone; each page is photographed at both sizes."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from survey.domain.builder import NewSurvey, Texts, create_blank_survey, get_editor
from survey.domain.builder_questions import (
    NewQuestion,
    QuestionForm,
    TypedChoice,
    add_question,
    update_question,
)
from survey.domain.definitions import forget, get_definition
from survey.enums import QuestionKind
from tests.factories.browser import PHONE, chromium_missing, launch, staff_page_at
from tests.factories.staff import PASSWORD, staff_user

pytestmark = [
    pytest.mark.usefixtures("orm"),
    pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed"),
]
DESKTOP = {"width": 1366, "height": 900}
SHOTS = Path(os.environ.get("PARLONS_SHOTS", "/tmp/shots-build"))


async def _survey() -> tuple[str, int, int]:
    """A draft with a yes/no question and a multiple choice whose "Aucun" is exclusive."""
    slug = await create_blank_survey(
        NewSurvey(f"bf-{uuid.uuid4().hex[:8]}", Texts("Mobilité", "Mobility"))
    )
    section = (await get_editor(slug)).sections[0].id
    car = await add_question(
        slug, section, NewQuestion(QuestionKind.YES_NO, Texts("Avez-vous une voiture ?"))
    )
    modes = await add_question(
        slug, section, NewQuestion(QuestionKind.MULTIPLE, Texts("Comment vous déplacez-vous ?"))
    )
    await update_question(
        slug,
        modes,
        QuestionForm(
            QuestionKind.MULTIPLE,
            Texts("Comment vous déplacez-vous ?", "How do you get around?"),
            code="modes",
            choices=(
                TypedChoice(Texts("Bus", "Bus")),
                TypedChoice(Texts("Vélo", "Bike")),
                TypedChoice(Texts("Aucun de ces moyens", "None of these"), "aucun"),
            ),
            exclusive=frozenset({"aucun"}),
        ),
    )
    return slug, car, modes


async def _shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        await page.set_viewport_size(size)
        await page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)


async def test_builder_forms_browser_type_fields_and_exclusive_choice(live_server: str) -> None:
    from playwright.async_api import async_playwright

    email = f"bf-{uuid.uuid4().hex[:8]}@example.org"
    await staff_user(email)
    slug, car, modes = await _survey()
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await launch(p)
        page = await staff_page_at(
            browser,
            live_server,
            email,
            f"/staff/surveys/{slug}/questions/{car}",
            errors,
            viewport=DESKTOP,
        )

        # A yes/no question: its words as the heading, no choices nor scale to fill in.
        heading = page.get_by_role("heading", level=1)
        assert await heading.inner_text() == "Avez-vous une voiture ?"
        assert await page.get_by_label("Choix, un par ligne").count() == 0
        assert await page.get_by_label("Minimum").count() == 0
        await _shoot(page, "question-yes-no")

        # Made a multiple choice: saving shows its choices, the new wording kept.
        await page.set_viewport_size(DESKTOP)
        await page.get_by_label("Question – français").fill("Combien de voitures avez-vous ?")
        await page.get_by_label("Type de question").select_option("multiple")
        await page.get_by_role("button", name="Enregistrer").click()
        await page.get_by_text("Voici les réglages du type choisi").wait_for()
        assert await page.get_by_label("Choix, un par ligne").is_visible()
        assert (
            await page.get_by_label("Question – français").input_value()
            == "Combien de voitures avez-vous ?"
        )
        assert (await get_definition(slug)).question("avez_vous_une_voiture").kind == "yes_no"
        await _shoot(page, "question-retyped")

        # The multiple choice with its exclusive choice ticked, and the survey's list.
        await page.set_viewport_size(DESKTOP)
        await page.goto(f"{live_server}/staff/surveys/{slug}/questions/{modes}")
        assert await page.get_by_label("Aucun de ces moyens").is_checked()
        await _shoot(page, "question-exclusive")

        # A condition: the earlier question's answers are offered once it is picked.
        await page.set_viewport_size(DESKTOP)
        await page.get_by_label("Selon la réponse à la question").select_option(
            "avez_vous_une_voiture"
        )
        await page.get_by_role("button", name="Enregistrer").click()
        await page.get_by_text("Choisissez maintenant la réponse attendue").wait_for()
        answers = page.locator("#i-cond_value label")
        assert [t.strip() for t in await answers.all_inner_texts()] == ["Oui", "Non"]
        await page.get_by_label("Non", exact=True).check()
        await _shoot(page, "question-condition")
        await page.get_by_role("button", name="Enregistrer").click()
        await page.get_by_role("heading", name="Pages et questions").wait_for()
        # The edit was made by the served process: this one's cached copy may be older.
        forget(slug)
        condition = (await get_definition(slug)).question("modes").settings["show_if"]
        assert condition == {"question": "avez_vous_une_voiture", "op": "equals", "value": "no"}
        section = (await get_editor(slug)).sections[0].id
        await page.goto(f"{live_server}/staff/surveys/{slug}/sections/{section}")
        assert await page.get_by_role("heading", level=1).inner_text() == "Page 1"
        await _shoot(page, "section")
        await page.goto(f"{live_server}/staff/surveys/{slug}/edit")
        assert await page.get_by_text("choix exclusif : Aucun de ces moyens").is_visible()
        first_page = page.locator("h3").first
        assert await first_page.inner_text() == "Page 1"
        await _shoot(page, "editor")
        await page.goto(f"{live_server}/staff/surveys/{slug}/publication")
        assert await page.get_by_text("Aucun texte de consentement").is_visible()
        await _shoot(page, "checklist")
        await page.get_by_role("button", name="Publier quand même").click()
        await page.get_by_text("Modifications enregistrées.").wait_for()
        await page.context.close()

        # With JavaScript, ticking the exclusive choice unticks the others at once.
        scripted = await (
            await browser.new_context(
                viewport=PHONE, java_script_enabled=True, locale="fr-FR", is_mobile=True
            )
        ).new_page()
        scripted.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        scripted.on("pageerror", lambda e: errors.append(str(e)))
        await scripted.goto(f"{live_server}/s/{slug}")
        await scripted.get_by_label("Non", exact=True).check()
        await scripted.get_by_label("Bus").check()
        await scripted.get_by_label("Aucun de ces moyens").check()
        assert not await scripted.get_by_label("Bus").is_checked()
        await scripted.get_by_label("Vélo").check()
        assert not await scripted.get_by_label("Aucun de ces moyens").is_checked()

        # A resident on a phone without a car ticks "Aucun" with "Bus": refused, next to it.
        resident = await (
            await browser.new_context(
                viewport=PHONE, java_script_enabled=False, locale="fr-FR", is_mobile=True
            )
        ).new_page()
        # This page's console is not read: the refused form answers 422, which Chromium logs.
        await resident.goto(f"{live_server}/s/{slug}")
        await resident.get_by_label("Non", exact=True).check()
        await resident.get_by_label("Bus").check()
        await resident.get_by_label("Aucun de ces moyens").check()
        await resident.get_by_role("button", name="Envoyer mes réponses").click()
        message = resident.locator("#e-modes")
        await message.wait_for()
        assert await message.inner_text() == (
            "« Aucun de ces moyens » ne peut pas être coché avec une autre réponse :"
            " décochez l'un ou l'autre."
        )
        assert await resident.get_by_label("Bus").is_checked()
        assert await resident.get_by_label("Aucun de ces moyens").is_checked()
        width = await resident.evaluate("document.documentElement.scrollWidth")
        await _shoot(resident, "resident-exclusive-error")

        # The staff list's "open" button on an empty draft: refused, the reason next to it.
        # Not read either: the refusal answers 400.
        empty = await create_blank_survey(
            NewSurvey(f"bf-{uuid.uuid4().hex[:8]}", Texts("Brouillon vide"))
        )
        lister = await (await browser.new_context(viewport=DESKTOP, locale="fr-FR")).new_page()
        await lister.goto(f"{live_server}/staff/login?next=/staff")
        await lister.get_by_label("Adresse e-mail").fill(email)
        await lister.get_by_label("Mot de passe").fill(PASSWORD)
        await lister.get_by_role("button", name="Se connecter").click()
        row = lister.locator("tr").filter(has_text="Brouillon vide")
        await row.get_by_role("button", name="Ouvrir").click()
        refusal = lister.locator(f"#refused-{empty}")
        await refusal.wait_for()
        assert (await refusal.inner_text()).startswith(
            "Ajoutez au moins une question avant de publier."
        )
        assert (await get_definition(empty)).status == "draft"
        await refusal.scroll_into_view_if_needed()
        await _shoot(lister, "staff-list-refused")
        await browser.close()
    assert errors == []
    assert width <= PHONE["width"]
