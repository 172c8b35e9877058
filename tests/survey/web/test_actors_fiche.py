"""The fiche projet drafted from a need: over HTTP, and printed to A4 by Chromium."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import httpx
import pytest

from survey.models.actors import Actor, ActorNeedLink
from tests.factories.browser import chromium_missing, launch, staff_login
from tests.factories.needs import BUS_TEXTS, survey_with_need
from tests.factories.staff import staff_client, staff_user
from tests.htmlform import field_value, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")
HOSTILE = "<script>alert(1)</script>"
SHOTS = os.environ.get("PARLONS_SCREENSHOTS", "")
# An A4 page at 96 pixels to the inch.
A4_PIXELS = {"width": 794, "height": 1123}


async def need_with_partner() -> tuple[str, Actor, Actor]:
    tag = uuid.uuid4().hex[:6]
    definition, run, need = await survey_with_need(f"Bus le soir {tag}", BUS_TEXTS)
    partner = await Actor.create(name=f"Navette {tag}", services=["Minibus le soir"])
    volunteer = await Actor.create(
        name=f"Karim {tag}", kind="resident", consent=True, services=["Conduire le mardi"]
    )
    for actor in (partner, volunteer):
        await ActorNeedLink.create(
            actor=actor, survey_id=definition.id, question_code="manque",
            need_id=need.id, need_label=need.label, state="confirmed",
        )  # fmt: skip
    return (
        f"/staff/surveys/{definition.slug}/analysis/{run.id}/needs/{need.id}/fiche",
        partner,
        volunteer,
    )


async def test_fiche_prefills_partners_and_prints_the_need(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    url, partner, volunteer = await need_with_partner()
    form = await client.get(url)
    assert form.status_code == 200
    assert f'name="partners" value="{partner.id}" checked' in form.text
    assert "LEADER (fonds européen), CAF, DLA, Département" in form.text
    token = field_value(form.text, "csrf")
    fields = [("csrf", token), ("title", f"Navette du soir {HOSTILE}"),
              ("target", "Habitants sans voiture\nPersonnes âgées"),
              ("hours", "Du lundi au samedi"),
              ("cost", "12 000 € par an"), ("funders", "CAF"), ("notes", ""),
              ("partners", str(partner.id)), ("partners", str(volunteer.id))]  # fmt: skip
    sheet = await post_form(client, url, fields)
    assert sheet.status_code == 200
    page = " ".join(text_of(sheet.text).split())
    assert HOSTILE not in sheet.text and "&lt;script&gt;" in sheet.text
    assert "6 habitants ont exprimé ce besoin" in page
    assert "« Des bus le soir, après 20h il n'y a plus rien »" in page
    assert f"{partner.name} – Minibus le soir" in page
    assert "1 habitant bénévole : Conduire le mardi" in page
    assert volunteer.name not in page  # a volunteer resident is not named on a printed sheet
    assert "Les Hauts-de-Chambéry 6" in page
    edit = await post_form(client, url, [*fields, ("edit", "1")])
    assert "Habitants sans voiture\nPersonnes âgées</textarea>" in edit.text


async def test_fiche_reads_in_english_from_the_catalogue(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    url, partner, _ = await need_with_partner()
    form = await client.get(url + "?lang=en")
    assert "Answering the need: Bus le soir" in form.text
    assert "LEADER (EU rural fund)" in form.text
    token = field_value(form.text, "csrf")
    fields = [("csrf", token), ("title", "Evening shuttle"), ("cost", "12,000 € a year"),
              ("partners", str(partner.id))]  # fmt: skip
    sheet = await post_form(client, url, fields)
    page = " ".join(text_of(sheet.text).split())
    assert '<article class="report fiche" lang="en">' in sheet.text
    assert "6 residents voiced this need in the survey" in page
    assert "The need residents voiced" in page and "Estimated cost" in page
    assert "Neighbourhood Residents" in page
    assert "habitants" not in page.lower().replace("habitants sans", "")


@pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed")
async def test_fiche_prints_on_at_most_two_a4_pages(live_server: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright

    url, _, _ = await need_with_partner()
    email = f"fiche-{uuid.uuid4().hex[:6]}@example.org"
    await staff_user(email)
    shots = Path(SHOTS) if SHOTS else tmp_path
    async with async_playwright() as p:
        browser = await launch(p)
        page = await (await browser.new_context(java_script_enabled=False)).new_page()
        await staff_login(page, live_server, email)
        # The first suggestions of a served process load the word vectors: a slow start.
        await page.goto(live_server + url, timeout=120_000)
        await page.get_by_label("Coût estimé").fill("12 000 € par an\n" * 5)
        await page.get_by_role("button", name="Voir la fiche à imprimer").click()
        await page.get_by_role("heading", name="Le besoin exprimé par les habitants").wait_for()
        pdf = await page.pdf(format="A4", path=str(shots / "fiche.pdf"))
        # What the printed pages look like, for a person to look at.
        await page.emulate_media(media="print")
        await page.set_viewport_size(A4_PIXELS)
        await page.screenshot(path=str(shots / "fiche-print.png"), full_page=True)
        printed = await page.evaluate("document.documentElement.scrollHeight")
        await browser.close()
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert 1 <= len(boxes) <= 2
    # A4 is 595 × 842 points.
    assert all(abs(float(w) - 595) < 2 and abs(float(h) - 842) < 2 for w, h in boxes), boxes
    assert printed <= 2 * A4_PIXELS["height"]
