"""Staff build a survey with a condition in Chromium; residents answer both branches on a
phone-sized screen, JavaScript off."""

from __future__ import annotations

import uuid

import pytest

from survey.domain.builder import NewSurvey, Texts, create_blank_survey
from survey.domain.definitions import get_definition
from survey.domain.responses import list_responses
from tests.factories.browser import PHONE, chromium_missing, launch
from tests.factories.staff import PASSWORD, staff_user

pytestmark = pytest.mark.usefixtures("orm")


async def _add_question(page, section: int, kind: str, text: str) -> None:  # type: ignore[no-untyped-def]
    form = page.locator("form.add-question").nth(section)
    await form.get_by_label("Type de question").select_option(kind)
    await form.get_by_label("Question – français").fill(text)
    await form.get_by_role("button", name="Ajouter la question").click()
    # The edit page is headed by the question's own words.
    await page.get_by_role("heading", name=text, exact=True).wait_for()


@pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed")
async def test_staff_build_condition_and_residents_take_both_branches(live_server: str) -> None:
    from playwright.async_api import async_playwright

    email = f"browser-{uuid.uuid4().hex[:8]}@example.org"
    await staff_user(email)
    slug = await create_blank_survey(
        NewSurvey(f"br-{uuid.uuid4().hex[:8]}", Texts("Vie de quartier"))
    )
    external: list[str] = []
    async with async_playwright() as p:
        browser = await launch(p)
        # Staff build on a computer; residents answer on a phone.
        context = await browser.new_context(
            viewport={"width": 1280, "height": 900}, java_script_enabled=False, locale="fr-FR"
        )
        page = await context.new_page()
        page.on(
            "request",
            lambda r: None if r.url.startswith((live_server, "data:")) else external.append(r.url),
        )
        await page.goto(f"{live_server}/staff/login?next=/staff/surveys/{slug}/edit")
        await page.get_by_label("Adresse e-mail").fill(email)
        await page.get_by_label("Mot de passe").fill(PASSWORD)
        await page.get_by_role("button", name="Se connecter").click()
        await page.get_by_role("heading", name="Construire : Vie de quartier").wait_for()

        # Page 1: a yes/no question, required.
        await _add_question(page, 0, "yes_no", "Avez-vous une voiture ?")
        await page.get_by_label("Question – anglais").fill("Do you have a car?")
        await page.get_by_label("Réponse obligatoire").check()
        await page.get_by_label("Code", exact=True).fill("voiture")
        await page.get_by_role("button", name="Enregistrer").click()
        await page.get_by_role("heading", name="Pages et questions").wait_for()

        # Page 2, only for people without a car.
        await page.get_by_role("button", name="Ajouter une page").click()
        await page.get_by_label("Titre de la page – français").fill("Sans voiture")
        await page.get_by_label("Selon la réponse à la question").select_option("voiture")
        # Saving once shows the question's answers to pick from, nothing saved yet.
        await page.get_by_role("button", name="Enregistrer").click()
        await page.get_by_text("Choisissez maintenant la réponse attendue").wait_for()
        await page.get_by_label("Non", exact=True).check()
        await page.get_by_role("button", name="Enregistrer").click()
        await page.get_by_text(
            "Affichée seulement si la réponse à « Avez-vous une voiture ? »"
        ).wait_for()
        await _add_question(page, 1, "multiple", "Comment vous déplacez-vous ?")
        await page.get_by_label("Choix, un par ligne").fill(
            "Bus | Bus | bus\nVélo | Bike | velo\nÀ pied | On foot | pied"
        )
        await page.get_by_role("button", name="Enregistrer").click()
        await page.get_by_role("heading", name="Pages et questions").wait_for()

        # Page 3 for everyone.
        await page.get_by_role("button", name="Ajouter une page").click()
        await page.get_by_label("Titre de la page – français").fill("Votre avis")
        await page.get_by_role("button", name="Enregistrer").click()
        await _add_question(page, 2, "long_text", "Une idée pour le quartier ?")
        await page.get_by_role("button", name="Enregistrer").click()

        # Preview at phone size, then publish.
        await page.get_by_role("link", name="Aperçu téléphone").click()
        await page.get_by_text("Aperçu à la taille d'un téléphone").wait_for()
        await page.goto(f"{live_server}/staff/surveys/{slug}/edit")
        await page.get_by_role("button", name="Publier", exact=True).click()
        # No consent text nor retention period: the checklist asks to confirm.
        await page.get_by_text("Aucun texte de consentement").wait_for()
        await page.get_by_role("button", name="Publier quand même").click()
        await page.get_by_text("Modifications enregistrées.").wait_for()
        await context.close()

        answers = []
        for has_car, steps in (("Oui", 2), ("Non", 3)):
            context = await browser.new_context(
                viewport=PHONE, java_script_enabled=False, locale="fr-FR", is_mobile=True
            )
            resident = await context.new_page()
            resident.on(
                "request",
                lambda r: (
                    None if r.url.startswith((live_server, "data:")) else external.append(r.url)
                ),
            )
            await resident.goto(f"{live_server}/s/{slug}")
            await resident.get_by_text("Étape 1 sur 2").wait_for()
            await resident.get_by_label(has_car, exact=True).check()
            await resident.get_by_role("button", name="Suivant").click()
            await resident.get_by_text(f"Étape 2 sur {steps}").wait_for()
            if has_car == "Non":
                await resident.get_by_label("Vélo").check()
                await resident.get_by_role("button", name="Suivant").click()
                await resident.get_by_text("Étape 3 sur 3").wait_for()
            await resident.get_by_label("Une idée pour le quartier ?").fill(f"Idée {has_car}")
            await resident.get_by_role("button", name="Envoyer mes réponses").click()
            await resident.get_by_text("Vos réponses ont bien été enregistrées.").wait_for()
            width = await resident.evaluate("document.documentElement.scrollWidth")
            answers.append(width)
            await context.close()
        await browser.close()

    assert external == []
    assert all(width <= PHONE["width"] for width in answers)
    definition = await get_definition(slug)
    rows = sorted((r["answers"] for r in await list_responses(definition.id, page=1)), key=len)
    assert rows == [
        {"voiture": "yes", "une_idee_pour_le_quartier": "Idée Oui"},
        {
            "voiture": "no",
            "comment_vous_deplacez_vous": ["velo"],
            "une_idee_pour_le_quartier": "Idée Non",
        },
    ]


@pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed")
@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
async def test_same_page_condition_on_a_phone(live_server: str, javascript: bool) -> None:
    """Without JavaScript the question shows with its hint; with it, it appears on demand.
    Either way the server keeps the answer only when the condition holds."""
    from playwright.async_api import async_playwright

    from survey.domain.definitions import create_survey_from_definition

    slug = f"sp-{uuid.uuid4().hex[:8]}"
    await create_survey_from_definition(
        {
            "slug": slug,
            "status": "open",
            "title": {"fr": "Transports", "en": "Transport"},
            "sections": [
                {
                    "title": {"fr": "Vos trajets", "en": "Your trips"},
                    "questions": [
                        {"code": "bus", "kind": "yes_no", "text": {"fr": "Prenez-vous le bus ?"}},
                        {
                            "code": "ligne",
                            "kind": "short_text",
                            "required": True,
                            "text": {"fr": "Quelle ligne ?"},
                            "settings": {
                                "show_if": {"question": "bus", "op": "equals", "value": "yes"}
                            },
                        },
                    ],
                }
            ],
        }
    )
    async with async_playwright() as p:
        browser = await launch(p)
        context = await browser.new_context(
            viewport=PHONE, java_script_enabled=javascript, locale="fr-FR", is_mobile=True
        )
        page = await context.new_page()
        await page.goto(f"{live_server}/s/{slug}")
        line = page.get_by_label("Quelle ligne ?")
        assert await line.is_visible() is (not javascript)
        await page.get_by_label("Non", exact=True).check()
        assert await line.is_visible() is (not javascript)
        await page.get_by_label("Oui", exact=True).check()
        assert await line.is_visible()
        await line.fill("Ligne 3")
        await page.get_by_label("Non", exact=True).check()
        await page.get_by_role("button", name="Envoyer mes réponses").click()
        await page.get_by_text("Vos réponses ont bien été enregistrées.").wait_for()
        await browser.close()
    definition = await get_definition(slug)
    rows = await list_responses(definition.id, page=1)
    assert [r["answers"] for r in rows] == [{"bus": "no"}]
