"""The residents' follow-up of a survey over HTTP: unpublished then published page, what it
shows and hides, what changed since a date, the poster, and the trail of one answer."""

from __future__ import annotations

import gzip
import itertools
import re
import uuid

import httpx
import pytest

from survey.domain.answering import load_responses
from survey.domain.consultations import open_consultation, publish_results
from survey.domain.council_ballots import record_paper_ballot
from survey.domain.council_results import close_consultation
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.publication import PublicationAction, change_publication
from survey.models import Response
from survey.models.actions import Action
from survey.models.needs import Need, NeedAnswer
from tests.factories import make_survey
from tests.factories.council import make_consultation, make_council, option_ids
from tests.factories.needs import finished_run
from tests.factories.staff import login, staff_user
from tests.htmlform import field_value, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")
_emails = itertools.count(1)
CRECHE = [f"Une place en crèche pour mon enfant n°{i}" for i in range(5)] + [
    "Une crèche, écrivez-moi à jean.dupont@example.org"
]
BUS = ["Un bus le dimanche", "Le bus du soir", "Plus de bus", "Des bus la nuit", "Un bus"]


async def followed_survey() -> tuple[SurveyDef, Need, list[int]]:
    """An open survey, its finished analysis (childcare: 6 answers, bus: 5), a closed and
    published approval vote on the childcare need, and an action on it."""
    definition = await make_survey()
    await change_publication(definition.slug, PublicationAction.PUBLISH, confirmed=True)
    items = [
        {
            "key": str(uuid.uuid4()),
            "submitted_at": "2026-10-20T10:00:00+00:00",
            "answers": {"manque": t},
        }
        for t in CRECHE + BUS
    ]
    await load_responses(definition, items)
    ids = sorted(r.id for r in await Response.filter(survey_id=definition.id))
    run = await finished_run(definition.id, "manque", n_answers=len(ids))
    creche = await Need.create(
        run=run,
        label="crèche, place",
        staff_label="Garde d'enfants",
        size=6,
        quote_response_ids=[ids[5], ids[0]],
    )
    bus = await Need.create(run=run, label="Bus", size=5, quote_response_ids=ids[6:], position=1)
    for i, response_id in enumerate(ids):
        await NeedAnswer.create(run=run, response_id=response_id, need=creche if i < 6 else bus)
    council, members = await make_council(3)
    consultation = await make_consultation(
        council, "approval", ["Halte-garderie", "Jardin"], open_now=False
    )
    options = await option_ids(consultation)
    async with connection() as conn:
        await conn.execute(
            "UPDATE consultation_options SET need_id = $1 WHERE id = $2", creche.id, options[0]
        )
    await open_consultation(council.id, consultation.id, actor="t")
    for member in members:
        await record_paper_ballot(
            council.id, consultation.id, member.id, {options[0]: 1}, actor="t"
        )
    await close_consultation(council.id, consultation.id, actor="t")
    await publish_results(council.id, consultation.id, actor="t")
    await Action.create(
        survey_id=definition.id,
        need_id=creche.id,
        title="Ouvrir une halte-garderie",
        responsible="Service petite enfance",
        status="doing",
    )
    return definition, creche, ids


async def staff(client: httpx.AsyncClient) -> None:
    await staff_user(email := f"followup{next(_emails)}@parlons.example.org")
    assert (await login(client, email)).status_code == 303


async def save(client: httpx.AsyncClient, slug: str, published: str, parts: list[str]):
    page = await client.get(f"/staff/surveys/{slug}/suivi")
    assert page.status_code == 200
    fields = [("csrf", field_value(page.text, "csrf")), ("published", published)]
    fields += [("part", p) for p in parts]
    return await post_form(client, f"/staff/surveys/{slug}/suivi", fields)


async def test_followup_unpublished_is_a_clear_page_and_a_draft_is_unknown(
    client: httpx.AsyncClient,
) -> None:
    definition = await make_survey()
    await change_publication(definition.slug, PublicationAction.UNPUBLISH)
    draft = await client.get(f"/s/{definition.slug}/suivi")
    assert draft.status_code == 404
    assert definition.title["fr"] not in draft.text
    await change_publication(definition.slug, PublicationAction.PUBLISH, confirmed=True)
    page = await client.get(f"/s/{definition.slug}/suivi")
    assert page.status_code == 200
    assert "n'est pas encore publié" in text_of(page.text)
    english = await client.get(f"/s/{definition.slug}/suivi?lang=en")
    assert "is not published yet" in text_of(english.text)


async def test_followup_published_shows_needs_decision_and_action(
    client: httpx.AsyncClient,
) -> None:
    definition, _, _ = await followed_survey()
    await staff(client)
    saved = await save(client, definition.slug, "1", ["needs", "quotes", "decisions", "actions"])
    assert saved.status_code == 303
    page = await client.get(f"/s/{definition.slug}/suivi")
    text = " ".join(text_of(page.text).split())
    assert "Garde d'enfants – cité par 6 personnes" in text
    assert "Bus – cité par 5 personnes" in text
    assert "Une place en crèche pour mon enfant n°0" in text
    assert "jean.dupont@example.org" not in page.text
    assert "« Halte-garderie » l'emporte, approuvée sur 100 % des bulletins." in text
    assert "Ouvrir une halte-garderie – En cours" in text
    assert "porté par Service petite enfance" in text
    assert "besoin : Garde d'enfants" in text
    # No script and nothing from another host; within the first round trip.
    assert "<script" not in page.text
    refs = re.findall(r"""(?:href|src|action)\s*=\s*["']([^"']+)["']""", page.text)
    assert [r for r in refs if r.startswith(("http:", "https:", "//"))] == []
    css = await client.get(re.search(r'href="(/static/css/followup\.css[^"]*)"', page.text)[1])
    base = await client.get(re.search(r'href="(/static/css/parlons\.css[^"]*)"', page.text)[1])
    weight = sum(len(gzip.compress(r.content)) for r in (page, css, base))
    assert weight <= 14 * 1024


async def test_followup_parts_left_out_are_not_shown(client: httpx.AsyncClient) -> None:
    definition, _, _ = await followed_survey()
    await staff(client)
    await save(client, definition.slug, "1", ["needs", "decisions"])
    text = text_of((await client.get(f"/s/{definition.slug}/suivi")).text)
    assert "Garde d'enfants" in text
    assert "Une place en crèche pour mon enfant" not in text
    assert "Ouvrir une halte-garderie" not in text
    assert "Halte-garderie" in text


async def test_followup_since_marks_what_changed_and_refuses_a_bad_date(
    client: httpx.AsyncClient,
) -> None:
    definition, _, _ = await followed_survey()
    await staff(client)
    await save(client, definition.slug, "1", ["needs", "decisions", "actions"])
    old = " ".join(
        text_of((await client.get(f"/s/{definition.slug}/suivi?depuis=2020-01-01")).text).split()
    )
    assert "Depuis le 01/01/2020 : décisions nouvelles : 1 ; actions mises à jour : 1." in old
    assert "nouveau" in old
    future = text_of((await client.get(f"/s/{definition.slug}/suivi?depuis=2099-01-01")).text)
    assert "décisions nouvelles : 0 ; actions mises à jour : 0." in " ".join(future.split())
    bad = await client.get(f"/s/{definition.slug}/suivi?depuis=12/03/26")
    assert bad.status_code == 200
    assert "Cette date n'est pas valide" in text_of(bad.text)
    assert 'value="12/03/26"' in bad.text
    assert 'aria-invalid="true"' in bad.text


async def test_followup_poster_carries_a_qr_code_to_the_page(client: httpx.AsyncClient) -> None:
    definition, _, _ = await followed_survey()
    await staff(client)
    await save(client, definition.slug, "1", ["needs", "decisions", "actions"])
    poster = await client.get(f"/s/{definition.slug}/suivi/affiche")
    assert poster.status_code == 200
    assert "<svg" in poster.text
    assert f"http://testserver/s/{definition.slug}/suivi" in text_of(poster.text)
    assert "Halte-garderie" in text_of(poster.text)


async def test_followup_settings_need_staff_and_csrf(client: httpx.AsyncClient) -> None:
    definition, _, _ = await followed_survey()
    anonymous = await client.post(
        f"/staff/surveys/{definition.slug}/suivi", data={"published": "1"}
    )
    assert anonymous.status_code in (303, 401, 403)
    await staff(client)
    forged = await client.post(
        f"/staff/surveys/{definition.slug}/suivi", data={"published": "1", "part": "needs"}
    )
    assert forged.status_code == 403
    page = text_of((await client.get(f"/s/{definition.slug}/suivi")).text)
    assert "n'est pas encore publié" in page


async def test_receipt_names_the_needs_the_answer_fed_and_what_followed(
    client: httpx.AsyncClient,
) -> None:
    definition, _, ids = await followed_survey()
    async with connection() as conn:
        receipt = await conn.fetchval("SELECT receipt FROM responses WHERE id = $1", ids[0])
    page = (await client.get(f"/s/{definition.slug}/ma-reponse")).text
    shown = await post_form(
        client,
        f"/s/{definition.slug}/ma-reponse",
        [("csrf", field_value(page, "csrf")), ("receipt", receipt)],
    )
    # Not published yet: a link only.
    assert "Votre réponse compte dans" not in text_of(shown.text)
    assert f'href="/s/{definition.slug}/suivi"' in shown.text
    await staff(client)
    await save(client, definition.slug, "1", ["needs", "decisions", "actions"])
    page = (await client.get(f"/s/{definition.slug}/ma-reponse")).text
    shown = await post_form(
        client,
        f"/s/{definition.slug}/ma-reponse",
        [("csrf", field_value(page, "csrf")), ("receipt", receipt)],
    )
    text = " ".join(text_of(shown.text).split())
    assert "Votre réponse compte dans : Garde d'enfants" in text
    assert "« Halte-garderie » l'emporte" in text
    assert "action : Ouvrir une halte-garderie – En cours" in text
    assert "Bus" not in text
