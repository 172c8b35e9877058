"""Residents' offers of help: kinds of help on a staff page, a consenting resident added to
the directory, offers in the suggestions and the gap view, erasure and purge, over HTTP."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import httpx
import pytest

from survey.domain.answering import load_responses
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.privacy import erase_by_receipt, processing_register, purge_expired
from survey.enums import ActorKind
from survey.models.actors import Actor, ActorNeedLink
from survey.models.needs import Need, NeedAnswer
from tests.factories import PARIS, make_survey
from tests.factories.needs import finished_run, survey_with_need
from tests.factories.staff import staff_client
from tests.htmlform import field_value, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")
_counter = itertools.count(1)

# (offer, neighbourhood, hours, consent, contact)
OFFERS = [
    ("Faire les courses pour une voisine âgée le samedi", "bissy", 4, "equipe", "ana@example.org"),
    ("Porter les courses des anciens de l'immeuble", "bissy", 2, "public", "06 00 00 11 22"),
    ("Aider les personnes âgées à faire leurs courses", "biollay", 6, "non", "lea@example.org"),
    ("Donner des cours de français aux nouveaux arrivants", "centre", 8, "equipe", ""),
    ("Cours de français le mercredi soir", "biollay", None, "", ""),
]
HOSTILE = '<img src=x onerror="alert(1)">Réparer des vélos'


async def survey_with_offers(
    offers: list[tuple[str, str, int | None, str, str]] = OFFERS,
) -> tuple[SurveyDef, list[int], list[str]]:
    """A survey whose offers were grouped: the first three into "courses", the rest into
    "français"; (definition, response ids, receipts)."""
    definition = await make_survey()
    items = []
    for text, place, hours, consent, contact in offers:
        answers: dict[str, object] = {
            "quartier": place,
            "age": "30-44",
            "satisfaction": 3,
            "manque": "Un café associatif",
            "conseil": "no",
            "agir": text,
        }
        if hours is not None:
            answers["heures"] = hours
        if consent:
            answers["aide_contact"] = consent
        if contact:
            answers["contact"] = contact
        items.append(
            {"key": str(uuid.uuid4()), "answers": answers, "submitted_at": dt.datetime.now(dt.UTC)}
        )
    await load_responses(definition, items)
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT id, receipt FROM responses WHERE survey_id = $1 ORDER BY id", definition.id
        )
    ids = [int(r["id"]) for r in rows]
    run = await finished_run(definition.id, "agir", n_answers=len(ids))
    groups = {"Faire les courses des personnes âgées": ids[:3], "Cours de français": ids[3:]}
    for label, members in groups.items():
        need = await Need.create(run=run, label=label, quote_response_ids=members[:2], size=3)
        for rid in members:
            await NeedAnswer.create(run=run, response_id=rid, need=need)
    return definition, ids, [str(r["receipt"]) for r in rows]


async def test_offers_page_groups_offers_with_places_and_hours(client: httpx.AsyncClient) -> None:
    definition, ids, _ = await survey_with_offers()
    await staff_client(client)
    page = await client.get(f"/staff/actors/offers?survey={definition.slug}")
    assert page.status_code == 200
    text = " ".join(text_of(page.text).split())
    assert "5 offres d'aide, dont 3 d'accord pour être recontacté·es." in text
    assert "Faire les courses des personnes âgées (3)" in text
    assert "12 h par mois en tout (3 réponses, médiane 4 h)" in text
    assert "Quartiers : Bissy (2), Le Biollay (1)" in text
    assert "Cours de français (2)" in text
    # One button per consenting offer, none for the others.
    assert page.text.count('name="response"') == 3
    assert f'name="response" value="{ids[2]}"' not in page.text


async def test_offer_without_its_own_question_shows_none(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    page = await client.get("/staff/actors/offers?survey=no-such-survey")
    assert page.status_code == 200


async def test_consenting_offer_becomes_staff_only_resident(client: httpx.AsyncClient) -> None:
    definition, ids, _ = await survey_with_offers()
    await staff_client(client)
    page = await client.get(f"/staff/actors/offers?survey={definition.slug}")
    token = field_value(page.text, "csrf")
    fields = [("csrf", token), ("survey", definition.slug), ("response", str(ids[0]))]
    added = await post_form(client, "/staff/actors/offers", fields)
    assert added.status_code == 303
    actor = await Actor.get(response_id=ids[0])
    assert actor.kind == ActorKind.RESIDENT
    assert (actor.name, actor.neighbourhood, actor.hours) == (
        "Habitant·e – Bissy",
        "bissy",
        "4 h par mois",
    )
    assert actor.services == ["Faire les courses pour une voisine âgée le samedi"]
    assert (actor.email, actor.public, actor.consent) == ("ana@example.org", False, True)
    again = await post_form(client, "/staff/actors/offers", fields)
    assert again.headers["location"] == added.headers["location"]
    assert await Actor.filter(response_id=ids[0]).count() == 1
    page = await client.get(f"/staff/actors/offers?survey={definition.slug}")
    assert f'href="/staff/actors/{actor.id}"' in page.text


async def test_offer_chosen_public_is_listed_without_contact(client: httpx.AsyncClient) -> None:
    definition, ids, _ = await survey_with_offers()
    await staff_client(client)
    token = field_value((await client.get("/staff/actors/offers")).text, "csrf")
    fields = [("csrf", token), ("survey", definition.slug), ("response", str(ids[1]))]
    assert (await post_form(client, "/staff/actors/offers", fields)).status_code == 303
    actor = await Actor.get(response_id=ids[1])
    assert (actor.public, actor.phone) == (True, "06 00 00 11 22")
    public = await client.get("/aide?quartier=bissy")
    assert "Porter les courses des anciens" in public.text
    assert "06 00 00 11 22" not in public.text


async def test_offer_without_consent_is_refused(client: httpx.AsyncClient) -> None:
    definition, ids, _ = await survey_with_offers()
    await staff_client(client)
    token = field_value((await client.get("/staff/actors/offers")).text, "csrf")
    for rid in (ids[2], ids[4]):
        fields = [("csrf", token), ("survey", definition.slug), ("response", str(rid))]
        refused = await post_form(client, "/staff/actors/offers", fields)
        assert refused.status_code == 400
        assert "n'a pas accepté d'être recontactée" in text_of(refused.text)
    assert not await Actor.filter(response_id__in=[ids[2], ids[4]]).exists()


async def test_erased_or_purged_answer_takes_its_entry(client: httpx.AsyncClient) -> None:
    definition, ids, receipts = await survey_with_offers()
    await staff_client(client)
    token = field_value((await client.get("/staff/actors/offers")).text, "csrf")
    for rid in (ids[0], ids[3]):
        fields = [("csrf", token), ("survey", definition.slug), ("response", str(rid))]
        assert (await post_form(client, "/staff/actors/offers", fields)).status_code == 303
    erased = await Actor.get(response_id=ids[0])
    register = {e["survey"]: e for e in await processing_register(PARIS)}
    assert register[definition.slug]["directory_residents"] == 2
    need_def, need_run, need = await survey_with_need("Courses", ["Aide aux courses"] * 5)
    await ActorNeedLink.create(
        actor=erased,
        survey_id=need_def.id,
        question_code="manque",
        need_id=need.id,
        need_label="Courses",
        state="confirmed",
    )
    await erase_by_receipt(definition, receipts[0])
    assert not await Actor.exists(id=erased.id)
    assert not await ActorNeedLink.exists(actor_id=erased.id)
    async with connection() as conn:
        await conn.execute("UPDATE surveys SET retention_days = 30 WHERE id = $1", definition.id)
        await conn.execute(
            "UPDATE responses SET submitted_at = now() - interval '60 days' WHERE id = $1", ids[3]
        )
    await purge_expired()
    assert not await Actor.exists(response_id=ids[3])
    register = {e["survey"]: e for e in await processing_register(PARIS)}
    assert register[definition.slug]["directory_residents"] == 0
    page = await client.get(f"/staff/actors/offers?survey={definition.slug}")
    assert "voisine âgée" not in page.text
    assert "nouveaux arrivants" not in page.text


async def test_offers_take_part_in_suggestions_and_gaps(client: httpx.AsyncClient) -> None:
    offered, _, _ = await survey_with_offers()
    texts = [
        "Quelqu'un pour faire les courses des personnes âgées",
        "Les anciens n'arrivent plus à porter leurs courses",
        "Aide pour les courses de ma mère âgée",
        "Faire les courses quand on ne peut plus marcher",
        "Les courses des personnes âgées isolées",
    ]
    definition, run, need = await survey_with_need(f"Courses des aînés {next(_counter)}", texts)
    await staff_client(client)
    page = await client.get(
        f"/staff/surveys/{definition.slug}/analysis/{run.id}/needs/{need.id}/actors"
    )
    assert page.status_code == 200
    text = " ".join(text_of(page.text).split())
    assert "Faire les courses des personnes âgées : 3 offres, 2 joignables" in text
    gaps_page = (await client.get("/staff/actors/gaps")).text
    gaps = " ".join(text_of(gaps_page).split())
    assert need.label in gaps
    assert "Faire les courses des personnes âgées : 3 offres, 2 joignables" in gaps
    # The kinds of help are not needs nobody answers: no gap row of the offers' survey (other
    # surveys, such as the demo's, may have a need worded like a kind of help).
    assert f"/staff/surveys/{offered.slug}/analysis/" not in gaps_page


async def test_hostile_offer_is_escaped(client: httpx.AsyncClient) -> None:
    definition, _, _ = await survey_with_offers([(HOSTILE, "bissy", 1, "equipe", "")])
    await staff_client(client)
    page = await client.get(f"/staff/actors/offers?survey={definition.slug}")
    assert "<img src=x" not in page.text
    assert "&lt;img src=x onerror=" in page.text
