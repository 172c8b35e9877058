"""Staff import a Microsoft Forms export in Chromium: US dates are asked about, an unknown
value is recoded, and the review shows what will be stored."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from survey.domain.db import connection
from tests.factories import make_survey
from tests.factories.browser import PHONE, chromium_missing, launch, staff_page_at
from tests.factories.staff import PASSWORD, staff_user

pytestmark = pytest.mark.usefixtures("orm")
SHOTS = Path(os.environ.get("PARLONS_SHOTS", "/tmp/shots-imp"))
EXPORT = (
    "ID,Completion time,Dans quel quartier habitez-vous ?\n"
    + "1,9/3/2024 21:30,Bissy\n"
    + "2,10/4/2024 8:05,Yes\n" * 1
    + "".join(f"{n},11/5/2024 12:{n:02d},Yes\n" for n in range(3, 12))
)


@pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed")
async def test_staff_answer_the_date_order_and_recode_in_the_browser(
    live_server: str, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    email = f"imp-{uuid.uuid4().hex[:8]}@example.org"
    await staff_user(email)
    definition = await make_survey()
    export = tmp_path / "forms.csv"
    export.write_text(EXPORT, encoding="utf-8")
    errors: list[str] = []
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as p:
        browser = await launch(p)
        # On a phone the review and the recoding are looked at; on a computer the file is imported.
        for name, viewport in (("phone", PHONE), ("desktop", {"width": 1366, "height": 900})):
            page = await staff_page_at(
                browser,
                live_server,
                email,
                f"/staff/surveys/{definition.slug}/edit",
                errors,
                viewport=viewport,
            )
            await page.locator("#responses-file").set_input_files(str(export))
            await page.locator("#files").get_by_role("button", name="Envoyer le fichier").click()
            await page.get_by_role("heading", name="Importer des réponses").wait_for()
            assert await page.get_by_label("Completion time").input_value() == "__date__"
            assert await page.get_by_label("Fuseau horaire du fichier").input_value() == (
                "Europe/Paris"
            )
            await page.get_by_role("button", name="Vérifier sans importer").click()
            order = page.locator("#f-date-order")
            await order.wait_for()
            assert await order.get_by_text(
                "Les dates de ce fichier s'écrivent-elles jour/mois ou mois/jour ?"
            ).is_visible()
            assert await order.get_by_text(
                "9/3/2024 21:30 → 9 mars 2024 ou 3 septembre 2024"
            ).is_visible()
            recode = page.get_by_label("« Yes » — 10 lignes")
            assert await recode.is_visible()
            assert await recode.input_value() == "__skip__"
            await page.screenshot(path=str(SHOTS / f"import-review-{name}.png"), full_page=True)
            await order.get_by_label("mois/jour (9/3/2024 21:30 → 3 septembre 2024)").check()
            await recode.select_option(label="Centre-ville")
            await page.get_by_role("button", name="Vérifier sans importer").click()
            review = page.locator("#review")
            await review.wait_for()
            assert await review.get_by_text(
                "Enregistré comme (heure locale (Europe/Paris))"
            ).is_visible()
            assert await review.get_by_role("cell", name="03/09/2024 21:30").is_visible()
            assert await page.get_by_text("11 lignes sur 11 sont valides.").is_visible()
            await page.screenshot(path=str(SHOTS / f"import-recoded-{name}.png"), full_page=True)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"]
            if name == "desktop":
                await page.get_by_role("button", name="Importer les réponses valides").click()
                await page.get_by_text("11 réponses importées.").wait_for()
                assert await page.get_by_text("11 réponses importées.").is_visible()
                # The same file again: said, and nothing stored.
                await page.goto(f"{live_server}/staff/surveys/{definition.slug}/edit")
                await page.locator("#responses-file").set_input_files(str(export))
                await (
                    page.locator("#files").get_by_role("button", name="Envoyer le fichier").click()
                )
                await page.get_by_role("button", name="Importer les réponses valides").click()
                await page.get_by_text("Ce fichier a déjà été importé le").wait_for()
                assert await page.get_by_text("Ce fichier a déjà été importé le").is_visible()
            await page.context.close()
        await browser.close()
    assert errors == []
    async with connection() as conn:
        quartiers = await conn.fetch(
            "SELECT answers->>'quartier' AS q, count(*) AS n FROM responses"
            " WHERE survey_id = $1 GROUP BY 1",
            definition.id,
        )
    assert {r["q"]: r["n"] for r in quartiers} == {"bissy": 1, "centre": 10}


@pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed")
async def test_staff_review_questions_proposed_from_a_file_in_the_browser(
    live_server: str, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    email = f"imp-{uuid.uuid4().hex[:8]}@example.org"
    await staff_user(email)
    export = tmp_path / "quartiers.csv"
    export.write_text(
        "Horodateur,Quartier,Services utilisés,Remarque\n"
        "15/03/2024 10:22:33,Bissy,Médiathèque; Épicerie,Plus de bus le soir\n"
        "15/03/2024 11:05:10,Mérande,Médiathèque,Rien\n"
        "16/03/2024 09:00:00,Bissy,Épicerie; Centre social,Des bancs\n",
        encoding="utf-8",
    )
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await launch(p)
        for name, viewport in (("phone", PHONE), ("desktop", {"width": 1366, "height": 900})):
            context = await browser.new_context(
                viewport=viewport, java_script_enabled=False, locale="fr-FR"
            )
            page = await context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(f"{live_server}/staff/login?next=/staff")
            await page.get_by_label("Adresse e-mail").fill(email)
            await page.get_by_label("Mot de passe").fill(PASSWORD)
            await page.get_by_role("button", name="Se connecter").click()
            await page.get_by_role(
                "link", name="Créer un questionnaire depuis un fichier de réponses"
            ).click()
            await page.get_by_label("Fichier des réponses, CSV ou Excel").set_input_files(
                str(export)
            )
            await page.get_by_role("button", name="Envoyer le fichier").click()
            table = page.locator("#proposals")
            await table.wait_for()
            assert await page.get_by_label("Type de la colonne 1").input_value() == "__date__"
            assert await page.get_by_label("Type de la colonne 2").input_value() == "single"
            assert await page.get_by_label("Type de la colonne 3").input_value() == "multiple"
            assert await table.get_by_text("choix : Bissy, Mérande").is_visible()
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"]
            await page.screenshot(path=str(SHOTS / f"from-file-{name}.png"), full_page=True)
            await context.close()
        await browser.close()
    assert errors == []
