"""Publishing from the builder and from the staff list: one verb, one set of rules, and a
checklist of what is missing before a draft goes out."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

from survey.domain.definitions import get_definition
from tests.factories import make_survey
from tests.factories.staff import log_in, send
from tests.htmlform import text_of
from tests.survey.domain.test_builder import add_question, create_blank, question_ids, section_ids

pytestmark = pytest.mark.usefixtures("orm")


def _row(page: str, slug: str) -> str:
    """The staff list's table row of ``slug``."""
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    return next(r for r in rows if f"/s/{slug} " in r or f"/s/{slug}<" in r)


def _items(page: str) -> list[tuple[str, str]]:
    """The checklist's lines: their words and the link to fix each."""
    found = re.findall(r'<li class="(?:blocking|warning)">(.*?)<a href="([^"]+)">', page, re.S)
    return [(" ".join(text_of(words).split()), link) for words, link in found]


async def _one_question_draft(client: httpx.AsyncClient) -> str:
    slug = await create_blank(client)
    first = section_ids((await client.get(f"/staff/surveys/{slug}/edit")).text)[0]
    await add_question(client, slug, first, "short_text", "Votre rue ?")
    return slug


async def _first_question(client: httpx.AsyncClient, slug: str) -> int:
    return question_ids((await client.get(f"/staff/surveys/{slug}/edit")).text)[0]


async def test_publication_staff_list_refuses_an_empty_draft_next_to_its_button(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    slug = await create_blank(client)
    response = await send(client, f"/staff/surveys/{slug}/status", [("status", "open")])
    assert response.status_code == 400
    row = _row(response.text, slug)
    assert "Ajoutez au moins une question avant de publier." in text_of(row)
    assert f'href="/staff/surveys/{slug}/publication"' in row
    assert (await get_definition(slug)).status == "draft"


async def test_publication_staff_list_sends_a_draft_with_warnings_to_its_checklist(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    slug = await _one_question_draft(client)
    response = await send(client, f"/staff/surveys/{slug}/status", [("status", "open")])
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/surveys/{slug}/publication"
    assert (await get_definition(slug)).status == "draft"
    page = (await client.get(response.headers["location"])).text
    items = _items(page)
    question = await _first_question(client, slug)
    assert [link for _, link in items] == [
        f"/staff/surveys/{slug}/edit#i-consent_fr",
        f"/staff/surveys/{slug}/questions/{question}#i-text_en",
        f"/staff/surveys/{slug}/edit#i-retention_days",
    ]
    assert items[0][0].startswith("À vérifier : Aucun texte de consentement")
    assert "1 question n'a pas de version anglaise (texte ou choix)." in items[1][0]
    confirmed = await send(
        client,
        f"/staff/surveys/{slug}/publication",
        [("action", "publish"), ("opens_at", ""), ("closes_at", ""), ("confirm", "1")],
    )
    assert confirmed.status_code == 303
    assert (await get_definition(slug)).status == "open"


async def test_publication_builder_asks_to_confirm_warnings_and_keeps_typed_dates(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    slug = await _one_question_draft(client)
    later = "2030-06-01T10:00"
    response = await send(
        client,
        f"/staff/surveys/{slug}/publication",
        [("action", "publish"), ("opens_at", later), ("closes_at", "")],
    )
    assert response.status_code == 409
    text = text_of(response.text)
    assert "Relisez ces points avant de publier" in text
    assert "3 points à vérifier" in text
    assert f'name="opens_at" value="{later}"' in response.text
    assert "Publier quand même" in text
    assert (await get_definition(slug)).status == "draft"


async def test_publication_complete_draft_publishes_at_once_in_the_instance_zone(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    definition = await make_survey(status="draft")
    checklist = text_of((await client.get(f"/staff/surveys/{definition.slug}/publication")).text)
    assert "Rien ne manque : le questionnaire peut être publié." in checklist
    response = await send(
        client,
        f"/staff/surveys/{definition.slug}/publication",
        [("action", "publish"), ("opens_at", "2030-06-01T10:00"), ("closes_at", "")],
    )
    assert response.status_code == 303
    stored = await get_definition(definition.slug)
    assert stored.status == "open"
    assert stored.opens_at == dt.datetime(2030, 6, 1, 8, 0, tzinfo=dt.UTC)  # Paris, summer
    page = (await client.get(f"/staff/surveys/{definition.slug}/edit")).text
    assert "ouvre le 01/06/2030 10:00 (heure locale (Europe/Paris))" in text_of(page)
    assert 'value="2030-06-01T10:00"' in page


async def test_publication_retention_is_set_in_the_builder_with_errors_next_to_it(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    slug = await _one_question_draft(client)
    fields = [
        ("title_fr", "Fête"),
        ("title_en", "Party"),
        ("description_fr", ""),
        ("description_en", ""),
        ("consent_fr", "Vos réponses servent à préparer la fête."),
        ("consent_en", "Your answers help prepare the party."),
        ("access_mode", "open"),
        ("resume_days", "30"),
    ]
    bad = await send(client, f"/staff/surveys/{slug}/edit", [*fields, ("retention_days", "abc")])
    assert bad.status_code == 422
    assert 'id="e-retention_days"' in bad.text
    assert 'name="retention_days" type="text" value="abc"' in bad.text
    good = await send(client, f"/staff/surveys/{slug}/edit", [*fields, ("retention_days", "365")])
    assert good.status_code == 303
    assert (await get_definition(slug)).retention_days == 365
    links = [
        link for _, link in _items((await client.get(f"/staff/surveys/{slug}/publication")).text)
    ]
    question = await _first_question(client, slug)
    assert links == [f"/staff/surveys/{slug}/questions/{question}#i-text_en"]


async def test_publication_staff_list_closes_and_reopens_through_the_same_rules(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    definition = await make_survey()
    closed = await send(client, f"/staff/surveys/{definition.slug}/status", [("status", "closed")])
    assert closed.status_code == 303
    assert (await get_definition(definition.slug)).status == "closed"
    reopened = await send(client, f"/staff/surveys/{definition.slug}/status", [("status", "open")])
    assert reopened.status_code == 303
    assert (await get_definition(definition.slug)).status == "open"


async def test_publication_unknown_button_is_refused_and_the_draft_stays_a_draft(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    slug = await _one_question_draft(client)
    refused = await send(client, f"/staff/surveys/{slug}/publication", [("action", "launch")])
    assert refused.status_code == 400
    assert "Le formulaire envoyé est incomplet ou abîmé." in text_of(refused.text)
    assert (await get_definition(slug)).status == "draft"
