"""A resident's receipt is theirs alone: never in the API, exports or staff pages; API
tokens read surveys only, within their scope, and die with "log out everywhere"."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import httpx
import pytest

from survey.domain import api_tokens
from survey.domain.accounts import create_user
from survey.domain.db import connection
from survey.enums import Role
from tests.factories import VALID_ANSWERS, make_survey
from tests.factories.resident import answer_all
from tests.factories.staff import PASSWORD, log_in, login, send
from tests.htmlform import field_value, post_form, text_of
from tests.survey.web.test_builder_api import add_hook, new_token, receiver, run_jobs

pytestmark = pytest.mark.usefixtures("orm")
__all__ = ["receiver"]  # the webhook receiver fixture, used here too


def _session(client: httpx.AsyncClient) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=client._transport, base_url="http://testserver")


async def _answered(client: httpx.AsyncClient, definition) -> str:  # type: ignore[no-untyped-def]
    """A resident answers in a session of their own; their receipt."""
    resident = _session(client)
    done, _ = await answer_all(resident, definition, VALID_ANSWERS)
    assert done.status_code == 303
    await resident.aclose()
    return done.headers["location"].split("/")[-1].split("?")[0]


async def _admin(client: httpx.AsyncClient) -> None:
    email = f"admin-{uuid.uuid4().hex[:8]}@example.org"
    await create_user(email, PASSWORD, Role.ADMIN)
    assert (await login(client, email)).status_code == 303


async def test_receipts_are_in_no_api_answer_export_or_staff_page(
    client: httpx.AsyncClient,
    receiver,  # type: ignore[no-untyped-def]
) -> None:
    url, handler = receiver
    definition = await make_survey()
    await _admin(client)
    await add_hook(client, definition.slug, url)
    receipts = [await _answered(client, definition) for _ in range(2)]
    await run_jobs()
    auth = {"Authorization": f"Bearer {await new_token(client)}"}
    api = await client.get(f"/api/surveys/{definition.slug}/responses", headers=auth)
    assert api.status_code == 200
    items = api.json()["items"]
    assert len(items) == 2 and all("receipt" not in item for item in items)
    document = (await client.get("/api/openapi.json")).json()
    schema = document["components"]["schemas"]["Response"]
    assert "receipt" not in schema["properties"] and schema["additionalProperties"] is False
    # The webhook tells other programs the same as the API.
    assert len(handler.received) == 2
    for _, body in handler.received:
        assert "receipt" not in json.loads(body)["response"]
    bodies = {
        "api": api.text,
        "webhooks": b"".join(body for _, body in handler.received).decode(),
        "csv": (await client.get(f"/staff/surveys/{definition.slug}/export?format=csv")).text,
        "json": (await client.get(f"/staff/surveys/{definition.slug}/export?format=json")).text,
    }
    xlsx = await client.get(f"/staff/surveys/{definition.slug}/export-xlsx")
    assert xlsx.status_code == 200
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as book:
        bodies["xlsx"] = "".join(book.read(n).decode() for n in book.namelist())
    for path in ("", "/dashboard", "/report", "/webhooks", "/paper"):
        staff_page = await client.get(f"/staff/surveys/{definition.slug}{path}")
        assert staff_page.status_code == 200, path
        bodies[path or "responses"] = staff_page.text
    assert "n° " in text_of(bodies["/webhooks"])  # deliveries name the response by its id
    # Typing a paper questionnaire in does not hand its receipt to staff either.
    paper = await client.get(f"/staff/surveys/{definition.slug}/paper")
    fields = [(k, v) for k, values in VALID_ANSWERS.items() for v in values]
    saved = await send(
        client,
        f"/staff/surveys/{definition.slug}/paper",
        [("key", field_value(paper.text, "key")), ("language", "fr"), *fields],
    )
    assert saved.status_code == 303
    bodies["paper saved"] = (
        saved.headers["location"] + (await client.get(saved.headers["location"])).text
    )
    assert "Questionnaire enregistré." in text_of(bodies["paper saved"])
    async with connection() as conn:
        receipts += [
            r["receipt"]
            for r in await conn.fetch(
                "SELECT receipt FROM responses WHERE survey_id = $1 AND channel = 'paper'",
                definition.id,
            )
        ]
    assert len(receipts) == 3
    leaks = [(name, r) for name, body in bodies.items() for r in receipts if r in body]
    assert leaks == []
    # The resident still sees and erases their own answer with the receipt they hold.
    resident = _session(client)
    form = (await resident.get(f"/s/{definition.slug}/ma-reponse")).text
    erased = await post_form(
        resident,
        f"/s/{definition.slug}/ma-reponse/effacer",
        [("csrf", field_value(form, "csrf")), ("receipt", receipts[0])],
    )
    assert erased.status_code == 200


async def test_token_reads_only_the_survey_of_its_scope(client: httpx.AsyncClient) -> None:
    mine, other = await make_survey(), await make_survey()
    await log_in(client)
    refused = await send(client, "/staff/api-tokens", [("name", "Mairie"), ("survey", "nope")])
    assert refused.status_code == 422
    assert "Ce questionnaire n'existe pas" in text_of(refused.text)
    assert 'value="Mairie"' in refused.text
    page = await send(client, "/staff/api-tokens", [("name", "Mairie"), ("survey", mine.slug)])
    assert page.status_code == 200
    token = page.text.split('id="new-token">')[1].split("<")[0]
    assert f"Lecture du questionnaire {mine.slug}" in text_of(page.text)
    auth = {"Authorization": f"Bearer {token}"}
    listed = (await client.get("/api/surveys", headers=auth)).json()
    assert [s["slug"] for s in listed] == [mine.slug]
    assert (await client.get(f"/api/surveys/{mine.slug}", headers=auth)).status_code == 200
    for path in (f"/api/surveys/{other.slug}", f"/api/surveys/{other.slug}/responses"):
        outside = await client.get(path, headers=auth)
        assert outside.status_code == 404
        assert outside.json()["error"] == "error.survey_not_found"
    async with connection() as conn:
        scope = await conn.fetchval("SELECT scope FROM api_tokens WHERE prefix = $1", token[:12])
    assert scope == api_tokens.READ_SURVEYS
    # Only read: the API has no route that writes.
    written = await client.post(f"/api/surveys/{mine.slug}/responses", headers=auth, json={})
    assert written.status_code == 405


async def test_log_out_everywhere_revokes_api_tokens(client: httpx.AsyncClient) -> None:
    await log_in(client)
    token = await new_token(client)
    auth = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/surveys", headers=auth)).status_code == 200
    assert (await send(client, "/staff/logout-everywhere", [])).status_code == 303
    assert (await client.get("/api/surveys", headers=auth)).status_code == 401


async def test_token_revoke_needs_csrf_its_owner_and_staff(client: httpx.AsyncClient) -> None:
    await log_in(client)
    token = await new_token(client, "Tableau")
    auth = {"Authorization": f"Bearer {token}"}
    listing = (await client.get("/staff/api-tokens")).text
    token_id = listing.split('action="/staff/api-tokens/')[1].split("/")[0]
    revoke = f"/staff/api-tokens/{token_id}/revoke"
    assert (await post_form(client, revoke, [])).status_code == 403  # no CSRF token
    someone = _session(client)
    await log_in(someone)
    assert (await send(someone, revoke, [])).status_code == 404  # not their token
    anonymous = _session(client)
    stranger = await post_form(anonymous, revoke, [("csrf", "x")])
    assert stranger.status_code in (303, 403)
    assert (await client.get("/api/surveys", headers=auth)).status_code == 200
    assert (await send(client, revoke, [])).status_code == 303
    assert (await client.get("/api/surveys", headers=auth)).status_code == 401
    page = (await client.get("/staff/api-tokens")).text
    assert "active-tokens" not in page  # listed apart, among the revoked only
    revoked = page.split('id="revoked-tokens"')[1]
    assert token[:12] in revoked and f"{token_id}/revoke" not in page
