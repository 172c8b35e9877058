"""The survey builder over HTTP, as a staff member without training would use it."""

from __future__ import annotations

import datetime as dt
import json
import re

import httpx
import pytest
from starlette.routing import Match

from survey.domain.definitions import get_definition
from survey.domain.responses import count_responses, list_responses
from survey.web.routes import routes
from tests.factories import VALID_ANSWERS, make_survey
from tests.factories.resident import answer_all
from tests.factories.staff import csrf, log_in, new_slug, send
from tests.htmlform import hidden_fields, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")










async def create_blank(client: httpx.AsyncClient, title: str = "Fête du quartier") -> str:
    slug = new_slug()
    response = await send(
        client,
        "/staff/surveys/new",
        [("template", ""), ("slug", slug), ("title_fr", title), ("title_en", "Street party")],
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/surveys/{slug}/edit"
    return slug


def section_ids(page: str) -> list[int]:
    return [int(v) for v in re.findall(r'name="section" value="(\d+)"', page)]


def question_ids(page: str) -> list[int]:
    return [int(v) for v in re.findall(r'<li id="q-(\d+)">', page)]


async def add_question(
    client: httpx.AsyncClient, slug: str, section: int, kind: str, text: str
) -> int:
    response = await send(
        client,
        f"/staff/surveys/{slug}/questions",
        [("section", str(section)), ("kind", kind), ("text_fr", text), ("text_en", "")],
    )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def question_fields(**values: str) -> list[tuple[str, str]]:
    base = {
        "text_fr": "Question",
        "text_en": "Question",
        "help_fr": "",
        "help_en": "",
        "kind": "short_text",
        "choices": "",
        "min": "",
        "max": "",
        "min_label_fr": "",
        "min_label_en": "",
        "max_label_fr": "",
        "max_label_en": "",
        "code": "",
        "cond_question": "",
        "cond_op": "equals",
        "cond_value": "",
        "cond_min": "",
        "cond_max": "",
    }
    base.update(values)
    return [(k, v) for k, v in base.items() if v is not None]


async def build_branching_survey(client: httpx.AsyncClient) -> str:
    """Three pages; page 2 only for people with children, a question shown on a condition."""
    slug = await create_blank(client)
    edit = (await client.get(f"/staff/surveys/{slug}/edit")).text
    first = section_ids(edit)[0]
    children = await add_question(client, slug, first, "yes_no", "Avez-vous des enfants ?")
    response = await send(
        client,
        f"/staff/surveys/{slug}/questions/{children}",
        question_fields(
            kind="yes_no",
            code="enfants",
            text_fr="Avez-vous des enfants ?",
            text_en="Do you have children?",
            required="1",
        ),
    )
    assert response.status_code == 303, text_of(response.text)
    for _ in range(2):
        assert (await send(client, f"/staff/surveys/{slug}/sections", [])).status_code == 303
    edit = (await client.get(f"/staff/surveys/{slug}/edit")).text
    _, second, third = section_ids(edit)
    response = await send(
        client,
        f"/staff/surveys/{slug}/sections/{second}",
        [
            ("title_fr", "Vos enfants"),
            ("title_en", "Your children"),
            ("description_fr", ""),
            ("description_en", ""),
            ("cond_question", "enfants"),
            ("cond_op", "equals"),
            ("cond_value", "Oui"),  # A label works as well as a code.
            ("cond_min", ""),
            ("cond_max", ""),
        ],
    )
    assert response.status_code == 303, text_of(response.text)
    care = await add_question(client, slug, second, "multiple", "Quel mode de garde ?")
    response = await send(
        client,
        f"/staff/surveys/{slug}/questions/{care}",
        question_fields(
            kind="multiple",
            code="garde",
            text_fr="Quel mode de garde utilisez-vous ?",
            text_en="Which childcare do you use?",
            choices=(
                "Crèche | Nursery | creche\nAssistante maternelle | Childminder\nFamille | Family"
            ),
            allow_other="1",
        ),
    )
    assert response.status_code == 303, text_of(response.text)
    opinion = await add_question(client, slug, third, "scale", "Votre satisfaction")
    response = await send(
        client,
        f"/staff/surveys/{slug}/questions/{opinion}",
        question_fields(kind="scale", code="note", text_fr="Votre satisfaction", min="1", max="5"),
    )
    assert response.status_code == 303, text_of(response.text)
    why = await add_question(client, slug, third, "long_text", "Pourquoi êtes-vous déçu·e ?")
    response = await send(
        client,
        f"/staff/surveys/{slug}/questions/{why}",
        question_fields(
            kind="long_text",
            code="pourquoi",
            text_fr="Pourquoi êtes-vous déçu·e ?",
            required="1",
            cond_question="note",
            cond_op="between",
            cond_min="1",
            cond_max="2",
        ),
    )
    assert response.status_code == 303, text_of(response.text)
    return slug


async def test_build_three_pages_with_conditions_stores_them(client: httpx.AsyncClient) -> None:
    await log_in(client)
    slug = await build_branching_survey(client)
    definition = await get_definition(slug)
    assert [len(s.questions) for s in definition.sections] == [1, 1, 2]
    assert definition.sections[1].settings["show_if"] == {
        "question": "enfants",
        "op": "equals",
        "value": "yes",
    }
    garde = definition.question("garde")
    assert [c.code for c in garde.choices] == ["creche", "assistante_maternelle", "famille"]
    assert garde.settings["allow_other"] is True
    assert definition.question("pourquoi").settings["show_if"]["op"] == "between"
    editor = text_of((await client.get(f"/staff/surveys/{slug}/edit")).text)
    assert "Affichée seulement si la réponse à « Avez-vous des enfants ? » est : Oui" in editor


async def test_residents_follow_both_branches(client: httpx.AsyncClient) -> None:
    await log_in(client)
    slug = await build_branching_survey(client)
    assert (
        await send(
            client,
            f"/staff/surveys/{slug}/publication",
            [("action", "publish"), ("confirm", "1")],  # no consent text: warned, confirmed
        )
    ).status_code == 303
    definition = await get_definition(slug)
    resident = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    # Branch 1: no children, happy: two pages, nothing about childcare.
    page = (await resident.get(f"/s/{slug}")).text
    assert "Étape 1 sur 2" in page
    data = hidden_fields(page) + [("q_enfants", "no"), ("q_garde", "creche"), ("action", "next")]
    page = (await post_form(resident, f"/s/{slug}", data)).text
    assert "Étape 2 sur 2" in page
    assert "Quel mode de garde" not in page
    assert "Répondez seulement si votre réponse à « Votre satisfaction » est : 1 – 2." in text_of(
        page
    )
    data = hidden_fields(page) + [("q_note", "4"), ("action", "next")]
    done = await post_form(resident, f"/s/{slug}", data)
    assert done.status_code == 303
    # Branch 2: children, disappointed: three pages, the "why" is then required.
    page = (await resident.get(f"/s/{slug}")).text
    data = hidden_fields(page) + [("q_enfants", "yes"), ("action", "next")]
    page = (await post_form(resident, f"/s/{slug}", data)).text
    assert "Étape 2 sur 3" in page
    data = hidden_fields(page) + [("q_garde", "creche"), ("action", "next")]
    page = (await post_form(resident, f"/s/{slug}", data)).text
    assert "Étape 3 sur 3" in page
    data = hidden_fields(page) + [("q_note", "1"), ("action", "next")]
    refused = await post_form(resident, f"/s/{slug}", data)
    assert refused.status_code == 422
    assert "Cette question demande une réponse." in text_of(refused.text)
    data = hidden_fields(refused.text) + [
        ("q_note", "1"),
        ("q_pourquoi", "Trop de bruit"),
        ("action", "next"),
    ]
    assert (await post_form(resident, f"/s/{slug}", data)).status_code == 303
    await resident.aclose()
    rows = sorted((r["answers"] for r in await list_responses(definition.id, page=1)), key=len)
    assert rows == [
        {"enfants": "no", "note": 4},
        {"enfants": "yes", "garde": ["creche"], "note": 1, "pourquoi": "Trop de bruit"},
    ]


async def test_back_from_after_a_skipped_page_returns_to_the_page_before(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    slug = await build_branching_survey(client)
    await send(
        client, f"/staff/surveys/{slug}/publication", [("action", "publish"), ("confirm", "1")]
    )
    page = (await client.get(f"/s/{slug}")).text
    page = (await post_form(client, f"/s/{slug}", hidden_fields(page) + [("q_enfants", "no")])).text
    back = await post_form(client, f"/s/{slug}", hidden_fields(page) + [("action", "back")])
    assert "Étape 1 sur 2" in back.text
    assert 'value="no" checked' in back.text


async def test_preview_shows_the_phone_page_and_stores_nothing(client: httpx.AsyncClient) -> None:
    await log_in(client)
    slug = await build_branching_survey(client)
    preview = await client.get(f"/staff/surveys/{slug}/preview")
    assert preview.status_code == 200
    assert 'class="phone-frame"' in preview.text
    assert f'action="/staff/surveys/{slug}/preview"' in preview.text
    assert "Enregistrer et continuer plus tard" not in preview.text
    data = hidden_fields(preview.text) + [("q_enfants", "no")]
    page = (await post_form(client, f"/staff/surveys/{slug}/preview", data)).text
    data = hidden_fields(page) + [("q_note", "5")]
    end = await post_form(client, f"/staff/surveys/{slug}/preview", data)
    assert end.status_code == 200
    assert "Rien n'a été enregistré." in text_of(end.text)
    definition = await get_definition(slug)
    assert await count_responses(definition.id) == 0


async def test_new_survey_bad_slug_keeps_what_was_typed(client: httpx.AsyncClient) -> None:
    await log_in(client)
    response = await send(
        client,
        "/staff/surveys/new",
        [("template", ""), ("slug", "Pas Valide!"), ("title_fr", ""), ("title_en", "Kept")],
    )
    assert response.status_code == 422
    text = text_of(response.text)
    assert "L'adresse courte doit contenir de 2 à 63 lettres minuscules" in text
    assert "Écrivez un titre en français." in text
    assert 'value="Pas Valide!"' in response.text
    assert 'value="Kept"' in response.text
    assert 'aria-describedby="h-slug e-slug"' in response.text


async def test_new_survey_taken_slug_is_refused_next_to_the_field(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    slug = await create_blank(client)
    again = await send(
        client,
        "/staff/surveys/new",
        [("template", ""), ("slug", slug), ("title_fr", "Autre"), ("title_en", "")],
    )
    assert again.status_code == 422
    assert f"L'adresse « {slug} » est déjà prise" in text_of(again.text)


def _new_page_reachable() -> bool:
    scope = {"type": "http", "path": "/staff/surveys/new", "method": "GET"}
    for route in routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return getattr(route, "path", "") == "/staff/surveys/new"
    return False


@pytest.mark.skipif(
    not _new_page_reachable(),
    reason="GET /staff/surveys/new is shadowed by /staff/surveys/{slug} in the routing table",
)
async def test_new_survey_page_offers_blank_templates_and_import(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    page = await client.get("/staff/surveys/new")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Questionnaire vide" in text
    assert "Vos besoins au quotidien" in text
    assert "Votre avis sur le conseil citoyen" in text
    assert 'enctype="multipart/form-data"' in page.text


@pytest.mark.parametrize("template", ["besoins-habitants", "conseil-satisfaction", "evenement"])
async def test_create_from_template_copies_it_as_a_draft(
    client: httpx.AsyncClient, template: str
) -> None:
    await log_in(client)
    slug = new_slug()
    response = await send(
        client,
        "/staff/surveys/new",
        [("template", template), ("slug", slug), ("title_fr", ""), ("title_en", "")],
    )
    assert response.status_code == 303
    definition = await get_definition(slug)
    assert definition.status == "draft"
    assert len(definition.sections) == 3
    assert all(q.text["en"] for q in definition.questions)
    assert any(q.settings.get("show_if") for q in definition.questions)


async def test_edit_bumps_version_and_residents_see_it_at_once(client: httpx.AsyncClient) -> None:
    await log_in(client)
    definition = await make_survey()
    before = definition.version
    question = (await client.get(f"/staff/surveys/{definition.slug}/edit")).text
    first = question_ids(question)[0]
    form = (await client.get(f"/staff/surveys/{definition.slug}/questions/{first}")).text
    assert 'value="quartier"' in form
    response = await send(
        client,
        f"/staff/surveys/{definition.slug}/questions/{first}",
        question_fields(
            kind="territory",
            code="quartier",
            text_fr="Votre quartier ?",
            text_en="Your area?",
            required="1",
            choices=(
                "Centre-ville | Town centre | centre\nBissy | Bissy | bissy\n"
                "Le Biollay | | biollay\nLes Hauts | | hauts\nMérande | | merande\n"
                "Charmettes | | charmettes\nAgglo | | agglo"
            ),
        ),
    )
    assert response.status_code == 303, text_of(response.text)
    after = await get_definition(definition.slug)
    assert after.version > before
    assert after.question("quartier").text["fr"] == "Votre quartier ?"
    page = (await client.get(f"/s/{definition.slug}")).text
    assert "Votre quartier ?" in page


async def test_answered_question_cannot_change_kind_code_or_lose_choices(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    definition = await make_survey()
    await answer_all(client, definition, VALID_ANSWERS)
    edit = (await client.get(f"/staff/surveys/{definition.slug}/edit")).text
    assert "1 réponse" in edit
    quartier = question_ids(edit)[0]
    form_page = (await client.get(f"/staff/surveys/{definition.slug}/questions/{quartier}")).text
    assert "son code, son type et les choix déjà cochés ne peuvent plus changer" in text_of(
        form_page
    )
    response = await send(
        client,
        f"/staff/surveys/{definition.slug}/questions/{quartier}",
        question_fields(
            kind="single",
            code="quartier_2",
            text_fr="Votre quartier ?",
            choices="Centre | | centre\nMérande | | merande",
        ),
    )
    assert response.status_code == 422
    text = text_of(response.text)
    assert "Le code ne peut plus changer : 1 réponse est enregistrée sous ce code." in text
    assert "Le type ne peut plus changer" in text
    assert "Le choix « Bissy » a déjà été coché dans 1 réponse :" in text
    assert 'value="quartier_2"' in response.text  # What was typed is kept.
    unchanged = await get_definition(definition.slug)
    assert unchanged.question("quartier").kind == "territory"


async def test_answered_question_cannot_be_deleted_but_text_can_change(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    definition = await make_survey()
    await answer_all(client, definition, VALID_ANSWERS)
    edit = (await client.get(f"/staff/surveys/{definition.slug}/edit")).text
    quartier = question_ids(edit)[0]
    # On a published survey, "delete" retires the question: its answers stay.
    retired = await send(
        client,
        f"/staff/surveys/{definition.slug}/questions/{quartier}/action",
        [("action", "delete")],
    )
    assert retired.status_code == 303
    after = await get_definition(definition.slug)
    assert after.question("quartier").retired
    assert "quartier" not in {q.code for s in after.sections for q in s.questions}


async def test_scale_range_cannot_exclude_stored_answers(client: httpx.AsyncClient) -> None:
    await log_in(client)
    definition = await make_survey()
    await answer_all(client, definition, VALID_ANSWERS)  # satisfaction = 3
    edit = (await client.get(f"/staff/surveys/{definition.slug}/edit")).text
    satisfaction = question_ids(edit)[4]
    response = await send(
        client,
        f"/staff/surveys/{definition.slug}/questions/{satisfaction}",
        question_fields(kind="scale", code="satisfaction", text_fr="Satisfait ?", min="4", max="5"),
    )
    assert response.status_code == 422
    assert "1 réponse déjà reçue sortirait de ces bornes" in text_of(response.text)


async def test_reorder_duplicate_and_delete_questions(client: httpx.AsyncClient) -> None:
    await log_in(client)
    slug = await create_blank(client)
    edit = (await client.get(f"/staff/surveys/{slug}/edit")).text
    section = section_ids(edit)[0]
    first = await add_question(client, slug, section, "short_text", "Premier")
    second = await add_question(client, slug, section, "number", "Deuxième")
    url = f"/staff/surveys/{slug}/questions"
    assert (await send(client, f"{url}/{second}/action", [("action", "up")])).status_code == 303
    assert [q.code for q in (await get_definition(slug)).questions] == ["deuxieme", "premier"]
    assert (
        await send(client, f"{url}/{first}/action", [("action", "duplicate")])
    ).status_code == 303
    assert [q.code for q in (await get_definition(slug)).questions] == [
        "deuxieme",
        "premier",
        "premier_2",
    ]
    assert (await send(client, f"{url}/{second}/action", [("action", "delete")])).status_code == 303
    assert [q.code for q in (await get_definition(slug)).questions] == ["premier", "premier_2"]


async def test_moving_a_question_above_what_it_depends_on_is_refused(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    slug = await build_branching_survey(client)
    edit = (await client.get(f"/staff/surveys/{slug}/edit")).text
    why = question_ids(edit)[-1]  # Depends on "note", just above it.
    refused = await send(
        client, f"/staff/surveys/{slug}/questions/{why}/action", [("action", "up")]
    )
    assert refused.status_code == 409
    assert "placée après" in text_of(refused.text)
    assert [q.code for q in (await get_definition(slug)).sections[2].questions] == [
        "note",
        "pourquoi",
    ]


async def test_deleting_a_question_a_condition_needs_is_refused(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    slug = await build_branching_survey(client)
    edit = (await client.get(f"/staff/surveys/{slug}/edit")).text
    children = question_ids(edit)[0]
    refused = await send(
        client, f"/staff/surveys/{slug}/questions/{children}/action", [("action", "delete")]
    )
    assert refused.status_code == 409
    assert "dépend de ce que vous voulez supprimer" in text_of(refused.text)


async def test_condition_pointing_forward_is_refused_with_explanation(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    slug = await build_branching_survey(client)
    edit = (await client.get(f"/staff/surveys/{slug}/edit")).text
    children = question_ids(edit)[0]
    response = await send(
        client,
        f"/staff/surveys/{slug}/questions/{children}",
        question_fields(
            kind="yes_no",
            code="enfants",
            text_fr="Avez-vous des enfants ?",
            cond_question="note",
            cond_op="equals",
            cond_value="3",
        ),
    )
    assert response.status_code == 422
    assert "Choisissez une question placée avant." in text_of(response.text)


async def test_pages_move_duplicate_and_delete(client: httpx.AsyncClient) -> None:
    await log_in(client)
    slug = await build_branching_survey(client)
    edit = (await client.get(f"/staff/surveys/{slug}/edit")).text
    first, second, third = section_ids(edit)
    url = f"/staff/surveys/{slug}/sections"
    refused = await send(client, f"{url}/{second}/action", [("action", "up")])
    assert refused.status_code == 409  # Page 2 depends on page 1.
    assert (
        await send(client, f"{url}/{third}/action", [("action", "duplicate")])
    ).status_code == 303
    definition = await get_definition(slug)
    assert [q.code for q in definition.sections[3].questions] == ["note_2", "pourquoi_2"]
    # The copy's condition points at the copied question.
    assert definition.sections[3].questions[1].settings["show_if"]["question"] == "note_2"
    edit = (await client.get(f"/staff/surveys/{slug}/edit")).text
    copy = section_ids(edit)[3]
    assert (await send(client, f"{url}/{copy}/action", [("action", "delete")])).status_code == 303
    assert len((await get_definition(slug)).sections) == 3


async def test_survey_settings_errors_are_shown_next_to_fields(client: httpx.AsyncClient) -> None:
    await log_in(client)
    slug = await create_blank(client)
    response = await send(
        client,
        f"/staff/surveys/{slug}/edit",
        [
            ("title_fr", ""),
            ("title_en", "Kept title"),
            ("description_fr", ""),
            ("description_en", ""),
            ("consent_fr", ""),
            ("consent_en", ""),
            ("access_mode", "open"),
            ("resume_days", "900"),
        ],
    )
    assert response.status_code == 422
    text = text_of(response.text)
    assert "Écrivez un titre en français." in text
    assert "Écrivez un nombre de jours entre 1 et 365." in text
    assert 'value="Kept title"' in response.text


async def test_publish_empty_survey_is_refused(client: httpx.AsyncClient) -> None:
    await log_in(client)
    slug = await create_blank(client)
    response = await send(client, f"/staff/surveys/{slug}/publication", [("action", "publish")])
    assert response.status_code == 400
    assert "Ajoutez au moins une question avant de publier." in text_of(response.text)


async def test_scheduled_opening_and_closing(client: httpx.AsyncClient) -> None:
    await log_in(client)
    definition = await make_survey(status="draft")
    slug = definition.slug
    later = (dt.datetime.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = await send(
        client,
        f"/staff/surveys/{slug}/publication",
        [("action", "publish"), ("opens_at", later), ("closes_at", "")],
    )
    assert response.status_code == 303
    early = await client.get(f"/s/{slug}")
    assert early.status_code == 404
    assert "Ce questionnaire ouvrira le" in text_of(early.text)
    bad = await send(
        client,
        f"/staff/surveys/{slug}/publication",
        [("action", "publish"), ("opens_at", later), ("closes_at", "2020-01-01T10:00")],
    )
    assert bad.status_code == 422
    assert "La fermeture doit venir après l'ouverture." in text_of(bad.text)
    past = (dt.datetime.now() - dt.timedelta(days=1)).strftime("%d/%m/%Y %H:%M")
    response = await send(
        client,
        f"/staff/surveys/{slug}/publication",
        [("action", "publish"), ("opens_at", ""), ("closes_at", past)],
    )
    assert response.status_code == 303
    assert (await client.get(f"/s/{slug}")).status_code == 410
    reopened = await send(client, f"/staff/surveys/{slug}/publication", [("action", "reopen")])
    assert reopened.status_code == 303
    assert (await client.get(f"/s/{slug}")).status_code == 200


async def test_close_then_reopen(client: httpx.AsyncClient) -> None:
    await log_in(client)
    definition = await make_survey()
    await send(client, f"/staff/surveys/{definition.slug}/publication", [("action", "close")])
    assert (await client.get(f"/s/{definition.slug}")).status_code == 410
    await send(client, f"/staff/surveys/{definition.slug}/publication", [("action", "reopen")])
    assert (await client.get(f"/s/{definition.slug}")).status_code == 200


async def test_definition_json_round_trip_is_lossless(client: httpx.AsyncClient) -> None:
    await log_in(client)
    slug = await build_branching_survey(client)
    await send(
        client,
        f"/staff/surveys/{slug}/edit",
        [
            ("title_fr", "Fête"),
            ("title_en", "Party"),
            ("description_fr", "Intro"),
            ("description_en", "Intro en"),
            ("consent_fr", "Consentement"),
            ("consent_en", "Consent"),
            ("access_mode", "anonymous"),
            ("resume_days", "12"),
        ],
    )
    exported = await client.get(f"/staff/surveys/{slug}/definition")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    first = exported.json()
    copy = new_slug()
    imported = await client.post(
        "/staff/surveys/import",
        data={"csrf": await csrf(client), "slug": copy},
        files={"file": ("survey.json", exported.content, "application/json")},
    )
    assert imported.status_code == 200, text_of(imported.text)
    assert "Tout a été repris." in text_of(imported.text)
    second = (await client.get(f"/staff/surveys/{copy}/definition")).json()
    assert {**second, "slug": slug} == first
    assert first["access"] == {
        "mode": "anonymous",
        "resume_days": 12,
        "opens_at": None,
        "closes_at": None,
    }


async def test_import_of_a_broken_file_changes_nothing(client: httpx.AsyncClient) -> None:
    await log_in(client)
    slug = new_slug()
    for content in (b"{not json", json.dumps({"format": "other"}).encode(), b"PK\x03\x04broken"):
        response = await client.post(
            "/staff/surveys/import",
            data={"csrf": await csrf(client), "slug": slug},
            files={"file": ("x.json", content, "application/json")},
        )
        assert response.status_code == 400
        assert 'class="error"' in response.text
    assert (await client.get(f"/staff/surveys/{slug}/definition")).status_code == 404


async def test_import_without_csrf_is_refused(client: httpx.AsyncClient) -> None:
    await log_in(client)
    response = await client.post(
        "/staff/surveys/import", files={"file": ("x.json", b"{}", "application/json")}
    )
    assert response.status_code == 403


async def test_builder_pages_escape_hostile_text(client: httpx.AsyncClient) -> None:
    await log_in(client)
    slug = await create_blank(client, title="<script>alert(1)</script>")
    page = await client.get(f"/staff/surveys/{slug}/edit")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "style=" not in page.text


async def test_add_question_errors_keep_what_was_typed(client: httpx.AsyncClient) -> None:
    await log_in(client)
    slug = await create_blank(client)
    section = section_ids((await client.get(f"/staff/surveys/{slug}/edit")).text)[0]
    response = await send(
        client,
        f"/staff/surveys/{slug}/questions",
        [("section", str(section)), ("kind", "bogus"), ("text_fr", "Gardé"), ("text_en", "Kept")],
    )
    assert response.status_code == 422
    assert "Choisissez un type de question dans la liste." in text_of(response.text)
    assert f'href="#i-add_{section}_kind"' in response.text
    assert f'id="i-add_{section}_kind"' in response.text
    assert 'value="Gardé"' in response.text
    assert 'value="Kept"' in response.text
    empty = await send(
        client,
        f"/staff/surveys/{slug}/questions",
        [("section", str(section)), ("kind", "number"), ("text_fr", " "), ("text_en", "")],
    )
    assert empty.status_code == 422
    assert "Écrivez le texte de la question en français." in text_of(empty.text)
    assert (await get_definition(slug)).questions == ()


async def test_unknown_button_is_refused_on_the_editor_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    slug = await create_blank(client)
    section = section_ids((await client.get(f"/staff/surveys/{slug}/edit")).text)[0]
    question = await add_question(client, slug, section, "short_text", "Premier")
    version = (await get_definition(slug)).version
    for url in (
        f"/staff/surveys/{slug}/questions/{question}/action",
        f"/staff/surveys/{slug}/sections/{section}/action",
    ):
        refused = await send(client, url, [("action", "sideways")])
        assert refused.status_code == 409
        assert "Le formulaire envoyé est incomplet ou abîmé." in text_of(refused.text)
    definition = await get_definition(slug)
    assert definition.version == version
    assert [q.code for q in definition.questions] == ["premier"]
