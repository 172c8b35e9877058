"""The builder's skills-network marks: a survey built by staff collects offers of help that
the offers page groups, only the kinds of question that can carry a mark show it."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from survey.domain.db import connection
from survey.domain.definitions import get_definition
from survey.models.actors import Actor
from survey.models.needs import Need, NeedAnswer
from tests.factories import make_survey
from tests.factories.needs import finished_run
from tests.factories.staff import log_in, send
from tests.htmlform import field_value, hidden_fields, post_form, text_of
from tests.survey.domain.test_builder import (
    add_question,
    create_blank,
    question_fields,
    section_ids,
)
from tests.survey.web.test_builder_forms import _names

pytestmark = pytest.mark.usefixtures("orm")

MARKS = {"offers", "availability", "offer_consent"}
CONSENT_CHOICES = "Non, merci | No, thank you | non\nOui, l'équipe peut me joindre | Yes | equipe"


def _form_fields(page: str) -> list[tuple[str, str]]:
    """What the question form sends as shown: its inputs, ticked boxes, texts and selections."""
    form = page[page.index('<form method="post" action="/staff/surveys/') :]
    form = form[: form.index("</form>")]
    fields: list[tuple[str, str]] = []
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and ('type="checkbox"' not in tag or " checked" in tag):
            fields.append((name.group(1), html.unescape(value.group(1) if value else "")))
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        fields.append((name, html.unescape(text)))
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        picked = re.search(r'<option value="([^"]*)" selected', options)
        fields.append((name, html.unescape(picked.group(1)) if picked else ""))
    return fields


def _question_id(editor: str, code: str) -> int:
    found = re.search(rf'<li id="q-(\d+)"[^>]*>(?:(?!<li ).)*?<code>{code}</code>', editor, re.S)
    assert found is not None, code
    return int(found.group(1))


def _checked(page: str, name: str) -> bool:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert tag is not None, name
    return " checked" in tag.group(0)


async def _marked_survey(client: httpx.AsyncClient) -> tuple[str, list[int]]:
    """A survey built in the builder: offers (long text), hours (number), consent (single)."""
    slug = await create_blank(client, "Entraide au Biollay")
    first = section_ids((await client.get(f"/staff/surveys/{slug}/edit")).text)[0]
    kinds = (
        ("long_text", "Que seriez-vous prêt·e à faire ?"),
        ("number", "Combien d'heures par mois ?"),
        ("single", "Pouvons-nous vous recontacter ?"),
    )
    ids = [await add_question(client, slug, first, kind, text) for kind, text in kinds]
    base = f"/staff/surveys/{slug}/questions"
    forms = (
        question_fields(kind="long_text", text_fr=kinds[0][1], code="agir", offers="1"),
        question_fields(kind="number", text_fr=kinds[1][1], code="heures", availability="1"),
        question_fields(
            kind="single",
            text_fr=kinds[2][1],
            code="accord",
            choices=CONSENT_CHOICES,
            offer_consent="1",
        ),
    )
    for question, fields in zip(ids, forms, strict=True):
        saved = await send(client, f"{base}/{question}", fields)
        assert saved.status_code == 303, text_of(saved.text)
    return slug, ids


async def test_builder_offers_marks_are_saved_as_the_demo_has_them(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    slug, (agir, heures, accord) = await _marked_survey(client)
    definition = await get_definition(slug)
    assert definition.question("agir").settings == {"offers": True}
    assert definition.question("heures").settings == {"availability": True}
    assert definition.question("accord").settings["offer_consent"] is True
    base = f"/staff/surveys/{slug}/questions"
    page = (await client.get(f"{base}/{agir}")).text
    assert _checked(page, "offers")
    assert "Les réponses sont des offres d'aide (réseau de compétences)" in text_of(page)
    page = (await client.get(f"{base}/{heures}")).text
    assert _checked(page, "availability")
    assert "Disponibilité des personnes qui offrent de l'aide" in text_of(page)
    assert _checked((await client.get(f"{base}/{accord}")).text, "offer_consent")
    # Unticking removes the mark.
    fields = question_fields(kind="number", text_fr="Heures ?", code="heures")
    assert (await send(client, f"{base}/{heures}", fields)).status_code == 303
    assert "availability" not in (await get_definition(slug)).question("heures").settings
    assert not _checked((await client.get(f"{base}/{heures}")).text, "availability")


async def test_builder_offers_mark_is_kept_when_the_form_has_an_error(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    slug, (_, heures, _) = await _marked_survey(client)
    fields = question_fields(kind="number", code="heures", min="10", max="2", availability="1")
    refused = await send(client, f"/staff/surveys/{slug}/questions/{heures}", fields)
    assert refused.status_code == 422
    assert _checked(refused.text, "availability")
    fields = question_fields(kind="number", code="heures", min="10", max="2")
    refused = await send(client, f"/staff/surveys/{slug}/questions/{heures}", fields)
    assert not _checked(refused.text, "availability")


async def test_builder_offers_marks_only_on_their_kinds(client: httpx.AsyncClient) -> None:
    await log_in(client)
    slug = await create_blank(client)
    first = section_ids((await client.get(f"/staff/surveys/{slug}/edit")).text)[0]
    expected = {
        "long_text": {"offers"},
        "short_text": {"availability"},
        "number": {"availability"},
        "single": {"offer_consent"},
        "yes_no": set(),
        "multiple": set(),
        "scale": set(),
        "date": set(),
        "ranking": set(),
        "territory": set(),
        "contact": set(),
    }
    for kind, marks in expected.items():
        question = await add_question(client, slug, first, kind, f"Question {kind}")
        page = (await client.get(f"/staff/surveys/{slug}/questions/{question}")).text
        assert _names(page) & MARKS == marks, kind
        assert ("Réseau de compétences" in text_of(page)) == bool(marks), kind
    # A mark sent for a kind that cannot carry it is not saved.
    fields = question_fields(kind="scale", min="1", max="5", offers="1", availability="1")
    saved_page = await send(client, f"/staff/surveys/{slug}/questions/{question}", fields)
    assert saved_page.status_code == 303
    saved = (await get_definition(slug)).questions[-1].settings
    assert MARKS & set(saved) == set()


async def test_builder_offers_survey_feeds_the_offers_page(client: httpx.AsyncClient) -> None:
    await log_in(client)
    slug, _ = await _marked_survey(client)
    published = await send(
        client, f"/staff/surveys/{slug}/publication", [("action", "publish"), ("confirm", "1")]
    )
    assert published.status_code == 303
    resident = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    answers = (
        ("Faire les courses des voisins âgés le samedi", "4", "equipe"),
        ("Porter les courses d'une voisine", "3 h", "non"),
    )
    for offer, hours, consent in answers:
        page = (await resident.get(f"/s/{slug}")).text
        data = hidden_fields(page) + [
            ("q_agir", offer),
            ("q_heures", hours.split()[0]),
            ("q_accord", consent),
            ("action", "next"),
        ]
        done = await post_form(resident, f"/s/{slug}", data)
        assert done.status_code == 303, text_of(done.text)
    await resident.aclose()
    definition = await get_definition(slug)
    async with connection() as conn:
        ids = [
            int(r["id"])
            for r in await conn.fetch(
                "SELECT id FROM responses WHERE survey_id = $1 ORDER BY id", definition.id
            )
        ]
    assert len(ids) == 2
    run = await finished_run(definition.id, "agir", n_answers=len(ids))
    need = await Need.create(run=run, label="Courses des aînés", quote_response_ids=ids, size=2)
    for rid in ids:
        await NeedAnswer.create(run=run, response_id=rid, need=need)
    listed = await client.get("/staff/actors/offers")
    assert f'value="{slug}"' in listed.text
    page = await client.get(f"/staff/actors/offers?survey={slug}")
    assert page.status_code == 200
    text = " ".join(text_of(page.text).split())
    assert "2 offres d'aide, dont 1 d'accord pour être recontacté·es." in text
    assert "Courses des aînés (2)" in text
    assert "7 h par mois en tout (2 réponses, médiane 3.5 h)" in text
    assert page.text.count('name="response"') == 1
    fields = [
        ("csrf", field_value(page.text, "csrf")),
        ("survey", slug),
        ("response", str(ids[0])),
    ]
    assert (await post_form(client, "/staff/actors/offers", fields)).status_code == 303
    actor = await Actor.get(response_id=ids[0])
    assert (actor.services, actor.hours) == (
        ["Faire les courses des voisins âgés le samedi"],
        "4 h par mois",
    )
    page = await client.get(f"/staff/actors/offers?survey={slug}")
    assert f'href="/staff/actors/{actor.id}"' in page.text


async def test_builder_offers_short_text_availability_counts_the_first_number(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    slug = await create_blank(client, "Coups de main")
    first = section_ids((await client.get(f"/staff/surveys/{slug}/edit")).text)[0]
    base = f"/staff/surveys/{slug}/questions"
    offer = await add_question(client, slug, first, "long_text", "Que proposez-vous ?")
    hours = await add_question(client, slug, first, "short_text", "Combien de temps ?")
    for question, fields in (
        (offer, question_fields(kind="long_text", code="agir", offers="1")),
        (hours, question_fields(kind="short_text", code="temps", availability="1")),
    ):
        assert (await send(client, f"{base}/{question}", fields)).status_code == 303
    published = await send(
        client, f"/staff/surveys/{slug}/publication", [("action", "publish"), ("confirm", "1")]
    )
    assert published.status_code == 303
    resident = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    for offer_text, time in (("Réparer des vélos", "3 h environ"), ("Jardiner", "1,5")):
        page = (await resident.get(f"/s/{slug}")).text
        data = hidden_fields(page) + [("q_agir", offer_text), ("q_temps", time)]
        assert (
            await post_form(resident, f"/s/{slug}", [*data, ("action", "next")])
        ).status_code == 303
    await resident.aclose()
    page = await client.get(f"/staff/actors/offers?survey={slug}")
    text = " ".join(text_of(page.text).split())
    assert "4.5 h par mois en tout (2 réponses, médiane 2.25 h)" in text


async def test_builder_offers_demo_marks_are_shown_and_kept_on_save(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    definition = await make_survey()
    editor = (await client.get(f"/staff/surveys/{definition.slug}/edit")).text
    ids = {code: _question_id(editor, code) for code in ("agir", "heures", "aide_contact")}
    base = f"/staff/surveys/{definition.slug}/questions"
    for code, mark in (
        ("agir", "offers"),
        ("heures", "availability"),
        ("aide_contact", "offer_consent"),
    ):
        page = (await client.get(f"{base}/{ids[code]}")).text
        assert _checked(page, mark), code
        saved = await send(client, f"{base}/{ids[code]}", _form_fields(page))
        assert saved.status_code == 303, text_of(saved.text)
    after = await get_definition(definition.slug)
    for code in ("agir", "heures", "aide_contact"):
        assert after.question(code).settings == definition.question(code).settings
