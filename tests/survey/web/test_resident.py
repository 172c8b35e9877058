"""The resident flow over HTTP: one section per page, validation, idempotent submit."""

from __future__ import annotations

import uuid

import httpx
import pytest

from survey.domain.publication import PublicationAction, change_publication
from survey.domain.responses import count_responses, list_responses
from tests.factories import VALID_ANSWERS, make_survey
from tests.factories.resident import answer_all, post_step, section_fields
from tests.htmlform import field_value, hidden_fields, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")


async def test_survey_walk_stores_one_response(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    response, _ = await answer_all(client, definition, VALID_ANSWERS)
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/s/{definition.slug}/merci/")
    rows = await list_responses(definition.id, page=1)
    assert len(rows) == 1
    answers = rows[0]["answers"]
    assert answers["quartier"] == "bissy"
    assert answers["priorites"] == ["enfance", "mobilite", "sante", "lien", "logement"]
    assert answers["services"] == ["mediatheque", "__other__"]
    assert answers["services__other"] == "Jardin partagé"
    assert answers["heures"] == 4
    thanks = await client.get(response.headers["location"])
    assert thanks.status_code == 200
    assert response.headers["location"].split("/")[-1].split("?")[0] in thanks.text


async def test_survey_progress_shows_step_of_total(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    page = (await client.get(f"/s/{definition.slug}")).text
    assert "Étape 1 sur 4" in page
    response = await post_step(client, definition, page, 0, VALID_ANSWERS)
    assert "Étape 2 sur 4" in response.text


async def test_survey_validation_error_keeps_typed_input(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    page = (await client.get(f"/s/{definition.slug}")).text
    page = (await post_step(client, definition, page, 0, VALID_ANSWERS)).text
    bad = {
        **VALID_ANSWERS,
        "q_manque": ["Plus de bus le soir <b>svp</b>"],
        "q_urgence": ["9"],
        "q_satisfaction": [],
    }
    response = await post_step(client, definition, page, 1, bad)
    assert response.status_code == 422
    text = text_of(response.text)
    assert "Cette question demande une réponse." in text
    assert "Le nombre doit être entre 1 et 5." in text
    # What was typed is shown again, escaped.
    assert "Plus de bus le soir &lt;b&gt;svp&lt;/b&gt;" in response.text
    assert "Étape 2 sur 4" in text
    # Earlier pages' answers are still carried.
    assert ("q_quartier", "bissy") in hidden_fields(response.text)
    assert await count_responses(definition.id) == 0


async def test_survey_errors_in_english(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    page = (await client.get(f"/s/{definition.slug}?lang=en")).text
    assert "Step 1 of 4" in page
    response = await post_step(client, definition, page, 0, {})
    assert response.status_code == 422
    assert "This question needs an answer." in text_of(response.text)


async def test_survey_language_switch_keeps_answers(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    page = (await client.get(f"/s/{definition.slug}")).text
    data = hidden_fields(page) + section_fields(definition, 0, VALID_ANSWERS)
    data.append(("switch_lang", "en"))
    response = await post_form(client, f"/s/{definition.slug}", data)
    assert response.status_code == 200
    assert "Which neighbourhood do you live in?" in response.text
    assert 'value="bissy" checked' in response.text


async def test_survey_back_keeps_answers(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    page = (await client.get(f"/s/{definition.slug}")).text
    page = (await post_step(client, definition, page, 0, VALID_ANSWERS)).text
    response = await post_step(
        client, definition, page, 1, {"q_manque": ["Des bancs"]}, action="back"
    )
    assert "Étape 1 sur 4" in response.text
    assert 'value="bissy" checked' in response.text
    forward = await post_step(client, definition, response.text, 0, {})
    assert "Des bancs" in forward.text


async def test_submit_twice_with_same_key_stores_once(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    first, last_form = await answer_all(client, definition, VALID_ANSWERS)
    # A double tap or a retried POST sends the very same form again.
    again = await post_form(client, f"/s/{definition.slug}", last_form + [("action", "next")])
    assert again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert await count_responses(definition.id) == 1


async def test_closed_and_draft_surveys_get_a_clear_page(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    page = (await client.get(f"/s/{definition.slug}")).text
    await change_publication(definition.slug, PublicationAction.CLOSE)
    response = await client.get(f"/s/{definition.slug}")
    assert response.status_code == 410
    assert "Ce questionnaire est fermé" in response.text
    late = await post_step(client, definition, page, 0, VALID_ANSWERS)
    assert late.status_code == 410
    await change_publication(definition.slug, PublicationAction.UNPUBLISH)
    assert (await client.get(f"/s/{definition.slug}")).status_code == 404
    assert (await client.get("/s/does-not-exist")).status_code == 404


async def test_hostile_text_is_escaped_on_staff_page(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>\u202egnp.exe"
    response, _ = await answer_all(client, definition, {**VALID_ANSWERS, "q_manque": [hostile]})
    assert response.status_code == 303
    rows = await list_responses(definition.id, page=1)
    assert rows[0]["answers"]["manque"] == hostile


async def test_unknown_fields_and_bad_types_get_clear_errors(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    page = (await client.get(f"/s/{definition.slug}")).text
    base = hidden_fields(page)
    # An answer field no question knows (a page rendered before an edit) is ignored...
    ignored = await post_form(client, f"/s/{definition.slug}", base + [("q_nope", "1")])
    assert ignored.status_code == 422
    assert "champs inconnus" not in ignored.text
    assert "q_nope" not in ignored.text
    # ...while a field that is no answer at all is refused.
    unknown = await post_form(client, f"/s/{definition.slug}", base + [("nope", "1")])
    assert unknown.status_code == 400
    assert "champs inconnus" in unknown.text
    bad_step = [(k, "99" if k == "step" else v) for k, v in base]
    assert (await post_form(client, f"/s/{definition.slug}", bad_step)).status_code == 400
    bad_key = [(k, "not-a-uuid" if k == "key" else v) for k, v in base]
    assert (await post_form(client, f"/s/{definition.slug}", bad_key)).status_code == 400
    huge = await post_form(client, f"/s/{definition.slug}", base + [("q_manque", "x" * 400_000)])
    assert huge.status_code == 413
    assert "trop volumineux" in huge.text


async def test_missing_csrf_keeps_input_and_refuses(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    page = (await client.get(f"/s/{definition.slug}")).text
    data = [(k, v) for k, v in hidden_fields(page) if k != "csrf"]
    data += section_fields(definition, 0, VALID_ANSWERS) + [("action", "next")]
    response = await post_form(client, f"/s/{definition.slug}", data)
    assert response.status_code == 403
    assert 'value="bissy" checked' in response.text
    assert field_value(response.text, "csrf")


async def test_home_lists_open_surveys_only(client: httpx.AsyncClient) -> None:
    open_one = await make_survey()
    draft = await make_survey(status="draft")
    page = (await client.get("/")).text
    assert f'href="/s/{open_one.slug}"' in page
    assert f'href="/s/{draft.slug}"' not in page


async def test_thanks_key_reuse_across_surveys_is_refused(client: httpx.AsyncClient) -> None:
    first = await make_survey()
    second = await make_survey()
    key = str(uuid.uuid4())
    for definition in (first, second):
        page = (await client.get(f"/s/{definition.slug}")).text
        page = page.replace(field_value(page, "key"), key)
        for step in range(len(definition.sections)):
            response = await post_step(client, definition, page, step, VALID_ANSWERS)
            page = response.text
    assert await count_responses(first.id) == 1
    assert await count_responses(second.id) == 0


async def test_first_page_is_new_for_each_visit_and_follows_edits(
    client: httpx.AsyncClient,
) -> None:
    from survey.domain.builder import SurveySettings, Texts, update_survey

    definition = await make_survey(slug="first-page-fresh")
    first = (await client.get("/s/first-page-fresh")).text
    again = (await client.get("/s/first-page-fresh")).text
    # Each visit gets its own idempotency key; the CSRF token is the visitor's own.
    assert field_value(first, "key") != field_value(again, "key")
    uuid.UUID(field_value(again, "key"))
    assert field_value(first, "csrf") == field_value(again, "csrf")
    transport = httpx.ASGITransport(app=client._transport.app)  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        stranger = (await other.get("/s/first-page-fresh")).text
    assert field_value(stranger, "csrf") != field_value(first, "csrf")
    english = (await client.get("/s/first-page-fresh", cookies={"lang": "en"})).text
    assert "Your needs in your neighbourhood" in english
    assert 'lang="en"' in english
    await update_survey(
        definition.slug,
        SurveySettings(Texts("Nouveau titre du questionnaire"), access_mode="open", resume_days=30),
    )
    edited = (await client.get("/s/first-page-fresh")).text
    assert "Nouveau titre du questionnaire" in edited
    assert "Vos besoins dans votre quartier" not in edited


def test_random_uuid_is_a_version_4_uuid_in_text_form() -> None:
    import uuid

    from survey.domain.responses import random_uuid

    keys = {random_uuid() for _ in range(2000)}
    assert len(keys) == 2000
    for key in keys:
        parsed = uuid.UUID(key)
        assert str(parsed) == key
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)


async def test_draft_survey_is_answered_as_an_unknown_slug(client: httpx.AsyncClient) -> None:
    title = {"fr": "Projet secret de fermeture", "en": "Secret closure plan"}
    draft = await make_survey(status="draft", title=title)
    page = (await client.get("/")).text
    csrf = [("csrf", field_value((await client.get("/staff/login")).text, "csrf"))]
    for slug in (draft.slug, "no-such-survey"):
        answers = [
            await client.get(f"/s/{slug}"),
            await post_form(client, f"/s/{slug}", csrf + [("step", "0"), ("action", "next")]),
            await client.get(f"/s/{slug}/merci/abc"),
            await client.get(f"/s/{slug}/ma-reponse"),
            await post_form(client, f"/s/{slug}/ma-reponse", csrf + [("receipt", "x")]),
            await post_form(client, f"/s/{slug}/ma-reponse/effacer", csrf + [("receipt", "x")]),
            await client.get(f"/s/{slug}/reprendre"),
            await client.get(f"/s/{slug}/reprendre/ABCD2345"),
        ]
        for response in answers:
            assert response.status_code == 404, response.url
            text = text_of(response.text)
            assert "Ce questionnaire n'existe pas" in text, response.url
            assert "Projet secret" not in text and "Secret closure" not in text
    assert "Projet secret" not in page
