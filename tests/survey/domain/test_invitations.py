"""Invitation codes (one response each, anonymous mode) and "finish later" resume codes."""

from __future__ import annotations

import uuid

import httpx
import pytest

from survey.domain import jobs, webhooks
from survey.domain.access_codes import display_code, normalise_code
from survey.domain.answering import Invitation, submit_response
from survey.domain.db import connection
from survey.domain.definitions import forget, get_definition
from survey.domain.drafts import load_draft
from survey.domain.invitations import create_invitations, list_invitations
from survey.domain.job_kinds import job_registry
from survey.domain.responses import count_responses, list_responses
from survey.errors import Conflict, SurveyError
from tests.factories import VALID_ANSWERS, make_survey
from tests.factories.resident import answer_all, post_step, section_fields
from tests.factories.staff import log_in, send
from tests.htmlform import field_value, hidden_fields, post_form, text_of
from tests.survey.domain.test_mail import free_port
from tests.survey.web.test_builder_api import add_hook, log_in_admin

pytestmark = pytest.mark.usefixtures("orm")


async def survey_with_mode(mode: str):  # type: ignore[no-untyped-def]
    definition = await make_survey(access={"mode": mode})
    return definition


def test_codes_are_typed_loosely_and_shown_in_two_groups() -> None:
    assert normalise_code(" abcd-efgh ") == "ABCDEFGH"
    assert normalise_code("ab cd ef gh") == "ABCDEFGH"
    assert display_code("ABCDEFGH") == "ABCD-EFGH"


async def test_generate_fifty_codes_and_print_them(client: httpx.AsyncClient) -> None:
    await log_in(client)
    definition = await survey_with_mode("invitation")
    response = await send(client, f"/staff/surveys/{definition.slug}/codes", [("count", "50")])
    assert response.status_code == 303
    sheet = await client.get(f"/staff/surveys/{definition.slug}/codes")
    codes = await list_invitations(definition)
    assert len(codes) == len(set(codes)) == 50
    assert sheet.text.count('class="code-card"') == 50
    assert display_code(codes[0]) in sheet.text
    assert sheet.text.count("<svg") == 50
    assert "50 codes créés, dont 0 déjà utilisé." in text_of(sheet.text)


async def test_code_count_out_of_range_is_refused_next_to_the_field(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    definition = await survey_with_mode("invitation")
    for count in ("0", "5000", "abc"):
        response = await send(client, f"/staff/surveys/{definition.slug}/codes", [("count", count)])
        assert response.status_code == 422
        assert 'id="e-count"' in response.text
    assert await list_invitations(definition) == []


async def answer_with_code(client: httpx.AsyncClient, definition, code: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    page = (await client.get(f"/s/{definition.slug}?invitation={code}")).text
    assert field_value(page, "invite") == normalise_code(code)
    for step in range(len(definition.sections)):
        response = await post_step(client, definition, page, step, VALID_ANSWERS)
        page = response.text
    return response


async def test_invitation_mode_asks_for_a_code_and_uses_it_once(
    client: httpx.AsyncClient,
) -> None:
    definition = await survey_with_mode("invitation")
    await create_invitations(definition, 2)
    first, second = await list_invitations(definition)
    start = await client.get(f"/s/{definition.slug}")
    assert start.status_code == 200
    assert "Votre code d'invitation" in text_of(start.text)
    assert 'name="q_' not in start.text
    wrong = await client.get(f"/s/{definition.slug}?invitation=ZZZZ-ZZZZ")
    assert wrong.status_code == 400
    assert "Ce code n'existe pas pour ce questionnaire." in text_of(wrong.text)
    assert 'aria-describedby="invitation-help invitation-error"' in wrong.text
    done = await answer_with_code(client, definition, display_code(first).lower())
    assert done.status_code == 303
    used = await client.get(f"/s/{definition.slug}?invitation={first}")
    assert used.status_code == 409
    assert "Ce code a déjà servi" in text_of(used.text)
    assert await list_invitations(definition, unused_only=True) == [second]
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT u.used_at, u.receipt FROM invitation_uses u JOIN invitations i"
            " ON i.id = u.invitation_id WHERE i.code = $1",
            first,
        )
    assert row["used_at"] is not None
    assert row["receipt"] == done.headers["location"].split("/")[-1].split("?")[0]


async def test_anonymous_mode_keeps_no_link_between_code_and_response(
    client: httpx.AsyncClient,
) -> None:
    definition = await survey_with_mode("anonymous")
    await create_invitations(definition, 1)
    (code,) = await list_invitations(definition)
    done = await answer_with_code(client, definition, code)
    assert done.status_code == 303
    async with connection() as conn:
        use = await conn.fetchrow(
            "SELECT u.* FROM invitation_uses u JOIN invitations i ON i.id = u.invitation_id"
            " WHERE i.code = $1",
            code,
        )
        columns = {
            r["column_name"]
            for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name IN ('invitation_uses', 'invitations')"
            )
        }
    assert dict(use) == {"invitation_id": use["invitation_id"], "used_at": None, "receipt": None}
    assert not any("response" in c for c in columns)
    assert await count_responses(definition.id) == 1


async def test_submit_with_used_code_is_refused_but_a_retry_gets_its_receipt() -> None:
    definition = await survey_with_mode("invitation")
    await create_invitations(definition, 1)
    (code,) = await list_invitations(definition)
    key = uuid.uuid4()
    receipt = await submit_response(
        definition, {"quartier": "bissy"}, key=key, language="fr", via=Invitation(code)
    )
    again = await submit_response(
        definition, {"quartier": "bissy"}, key=key, language="fr", via=Invitation(code)
    )
    assert again == receipt
    with pytest.raises(Conflict):
        await submit_response(
            definition,
            {"quartier": "centre"},
            key=uuid.uuid4(),
            language="fr",
            via=Invitation(code),
        )
    assert await count_responses(definition.id) == 1


async def test_code_of_another_survey_is_refused() -> None:
    one = await survey_with_mode("invitation")
    other = await survey_with_mode("invitation")
    await create_invitations(one, 1)
    (code,) = await list_invitations(one)
    with pytest.raises(SurveyError) as caught:
        await submit_response(other, {}, key=uuid.uuid4(), language="fr", via=Invitation(code))
    assert caught.value.key == "builder.invitation_unknown"


async def test_open_survey_posts_need_no_code(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    assert definition.needs_code is False
    page = (await client.get(f"/s/{definition.slug}")).text
    assert 'name="invite"' not in page


async def test_save_and_resume_brings_answers_back(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    page = (await client.get(f"/s/{definition.slug}")).text
    page = (await post_step(client, definition, page, 0, VALID_ANSWERS)).text
    data = hidden_fields(page) + section_fields(definition, 1, VALID_ANSWERS)
    data = [(k, v) for k, v in data if k != "q_urgence"] + [("q_urgence", "9")]
    saved = await post_form(client, f"/s/{definition.slug}", data + [("action", "save")])
    assert saved.status_code == 200
    text = text_of(saved.text)
    assert "Réponses enregistrées" in text
    code = saved.text.split('id="resume-code">')[1].split("<")[0]
    assert len(code) == 9 and code[4] == "-"
    link = f"/s/{definition.slug}/reprendre/{normalise_code(code)}"
    assert link in saved.text
    assert "Vos réponses sont gardées jusqu'au" in text
    # Later, maybe on another phone: a new session.
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    typed = await other.get(f"/s/{definition.slug}/reprendre?code={code.lower()}")
    assert typed.status_code == 303
    assert typed.headers["location"] == link
    back = await other.get(link)
    assert back.status_code == 200
    assert "Étape 2 sur 4" in back.text
    assert "Vos réponses enregistrées sont de retour." in text_of(back.text)
    assert "Une crèche, il n'y a aucune place" in text_of(back.text)
    assert 'value="9" checked' not in back.text  # A scale only offers 1 to 5...
    assert ("q_quartier", "bissy") in hidden_fields(back.text)  # ...earlier pages are kept.
    assert field_value(back.text, "resume") == normalise_code(code)
    page = back.text
    for step in range(1, len(definition.sections)):
        page = (await post_step(other, definition, page, step, VALID_ANSWERS)).text
    await other.aclose()
    assert await count_responses(definition.id) == 1
    with pytest.raises(SurveyError):  # The draft is gone once the survey is sent.
        await load_draft(definition, code)


async def test_resume_unknown_or_expired_code_gets_a_clear_message(
    client: httpx.AsyncClient,
) -> None:
    definition = await make_survey()
    unknown = await client.get(f"/s/{definition.slug}/reprendre/ABCDEFGH")
    assert unknown.status_code == 404
    assert "Ce code de reprise n'existe pas." in text_of(unknown.text)
    page = (await client.get(f"/s/{definition.slug}")).text
    saved = await post_form(
        client, f"/s/{definition.slug}", hidden_fields(page) + [("action", "save")]
    )
    code = normalise_code(saved.text.split('id="resume-code">')[1].split("<")[0])
    async with connection() as conn:
        await conn.execute(
            "UPDATE resume_drafts SET expires_at = now() - interval '1 day' WHERE code = $1", code
        )
    expired = await client.get(f"/s/{definition.slug}/reprendre/{code}")
    assert expired.status_code == 400
    assert "Ce code a expiré" in text_of(expired.text)


async def test_resume_delay_follows_the_survey_setting(client: httpx.AsyncClient) -> None:
    definition = await make_survey(access={"mode": "open", "resume_days": 3})
    page = (await client.get(f"/s/{definition.slug}")).text
    saved = await post_form(
        client, f"/s/{definition.slug}", hidden_fields(page) + [("action", "save")]
    )
    code = saved.text.split('id="resume-code">')[1].split("<")[0]
    draft = await load_draft(definition, code)
    async with connection() as conn:
        days = await conn.fetchval(
            "SELECT extract(day FROM expires_at - created_at) FROM resume_drafts WHERE code = $1",
            draft.code,
        )
    assert int(days) == 3


async def test_invitation_code_survives_save_and_resume(client: httpx.AsyncClient) -> None:
    definition = await survey_with_mode("invitation")
    await create_invitations(definition, 1)
    (code,) = await list_invitations(definition)
    page = (await client.get(f"/s/{definition.slug}?invitation={code}")).text
    saved = await post_form(
        client, f"/s/{definition.slug}", hidden_fields(page) + [("action", "save")]
    )
    resume_code = normalise_code(saved.text.split('id="resume-code">')[1].split("<")[0])
    back = await client.get(f"/s/{definition.slug}/reprendre/{resume_code}")
    assert field_value(back.text, "invite") == code
    forget(definition.slug)
    assert (await get_definition(definition.slug)).needs_code


async def test_paper_entry_stores_with_paper_channel_then_fresh_form(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    definition = await make_survey()
    page = await client.get(f"/staff/surveys/{definition.slug}/paper")
    assert page.status_code == 200
    key = field_value(page.text, "key")
    fields = [(k, v) for k, values in VALID_ANSWERS.items() for v in values]
    bad = [(k, v) for k, v in fields if k != "q_satisfaction"] + [("q_heures", "beaucoup")]
    refused = await send(
        client, f"/staff/surveys/{definition.slug}/paper", [("key", key), ("language", "fr"), *bad]
    )
    assert refused.status_code == 422
    text = text_of(refused.text)
    assert "Cette question demande une réponse." in text
    assert ">Aider aux devoirs le mercredi</textarea>" in refused.text
    assert await count_responses(definition.id) == 0
    key = field_value(refused.text, "key")
    saved = await send(
        client,
        f"/staff/surveys/{definition.slug}/paper",
        [("key", key), ("language", "fr"), *fields],
    )
    assert saved.status_code == 303
    fresh = await client.get(saved.headers["location"])
    assert "Questionnaire enregistré. Saisissez le suivant." in text_of(fresh.text)
    assert "1 questionnaire papier saisi" in text_of(fresh.text)
    assert 'value="bissy" checked' not in fresh.text
    rows = await list_responses(definition.id, page=1)
    assert [r["channel"] for r in rows] == ["paper"]
    assert rows[0]["answers"]["quartier"] == "bissy"


async def test_poster_has_local_qr_code_and_address(client: httpx.AsyncClient) -> None:
    await log_in(client)
    definition = await make_survey()
    poster = await client.get(f"/staff/surveys/{definition.slug}/poster")
    assert poster.status_code == 200
    assert "<svg viewBox=" in poster.text  # Scalable to the printed size, not cropped.
    assert f"http://testserver/s/{definition.slug}" in poster.text
    assert "Vos besoins dans votre quartier" in poster.text
    assert "https://" not in poster.text
    assert "<script" not in poster.text


async def test_failing_webhook_waits_in_the_queue_between_attempts_then_fails(
    client: httpx.AsyncClient,
) -> None:
    definition = await make_survey()
    await log_in_admin(client)
    await add_hook(client, definition.slug, f"http://127.0.0.1:{free_port()}/hook")
    resident = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    await answer_all(resident, definition, VALID_ANSWERS)
    await resident.aclose()

    async def state() -> dict:  # type: ignore[type-arg]
        async with connection() as conn:
            row = await conn.fetchrow(
                "SELECT j.id, j.state, j.error, j.run_after > now() AS later,"
                " extract(epoch FROM j.run_after - now()) AS wait,"
                " (SELECT array_agg(d.attempt ORDER BY d.id) FROM webhook_deliveries d"
                "  JOIN webhooks w ON w.id = d.webhook_id WHERE w.survey_id = $1) AS attempts"
                " FROM jobs j JOIN webhooks w ON w.id = (j.payload->>'webhook')::int"
                " WHERE j.kind = 'webhook' AND w.survey_id = $1",
                definition.id,
            )
        return dict(row)

    async def run_due() -> list[int]:
        ran = []
        while (job_id := await jobs.run_next(job_registry(None))) is not None:
            ran.append(job_id)
        return ran

    await run_due()
    first = await state()
    assert (first["state"], first["attempts"], first["later"]) == ("queued", [1], True)
    assert webhooks.RETRY_DELAYS[0] - 10 < first["wait"] <= webhooks.RETRY_DELAYS[0]
    assert "Connection refused" in first["error"]
    assert first["id"] not in await run_due()  # the worker does not wait for it
    for _ in webhooks.RETRY_DELAYS:
        async with connection() as conn:  # as if the delay were over
            await conn.execute("UPDATE jobs SET run_after = now() WHERE id = $1", first["id"])
        assert first["id"] in await run_due()
    last = await state()
    assert last["attempts"] == [1, 2, 3, 4]
    assert last["state"] == "failed"
    assert "the last" in last["error"]
    log = text_of((await client.get(f"/staff/surveys/{definition.slug}/webhooks")).text)
    assert log.count("Connection refused") == 4
