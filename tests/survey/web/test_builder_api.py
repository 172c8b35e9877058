"""The read-only API with personal tokens, its OpenAPI description, and signed webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from survey.domain import jobs, webhooks
from survey.domain.accounts import create_user
from survey.domain.db import connection
from survey.domain.job_kinds import job_registry
from survey.enums import Role
from tests.factories import VALID_ANSWERS, make_survey
from tests.factories.resident import answer_all
from tests.factories.staff import PASSWORD, log_in, login, send
from tests.htmlform import field_value, text_of

pytestmark = pytest.mark.usefixtures("orm")


async def new_token(client: httpx.AsyncClient, name: str = "Tableau de bord") -> str:
    page = await send(client, "/staff/api-tokens", [("name", name)])
    assert page.status_code == 200
    return page.text.split('id="new-token">')[1].split("<")[0]


async def test_openapi_description_is_public_and_complete(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/api/surveys",
        "/api/surveys/{slug}",
        "/api/surveys/{slug}/responses",
    }
    assert document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    assert "response.created" in document["webhooks"]


async def test_api_refuses_missing_wrong_and_revoked_tokens(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/surveys")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["error"] == "builder.api_token_missing"
    wrong = await client.get("/api/surveys", headers={"Authorization": "Bearer prl_nope"})
    assert wrong.status_code == 401
    assert wrong.json()["message"] == "Ce jeton d'API est inconnu ou a été révoqué."
    await log_in(client)
    token = await new_token(client)
    ok = await client.get("/api/surveys", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    listing = (await client.get("/staff/api-tokens")).text
    token_id = listing.split('action="/staff/api-tokens/')[1].split("/")[0]
    assert (await send(client, f"/staff/api-tokens/{token_id}/revoke", [])).status_code == 303
    revoked = await client.get("/api/surveys", headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401
    assert "Révoqué" in text_of((await client.get("/staff/api-tokens")).text)


async def test_token_is_shown_once_and_stored_hashed(client: httpx.AsyncClient) -> None:
    await log_in(client)
    token = await new_token(client, "Export nocturne")
    assert token.startswith("prl_") and len(token) > 40
    listing = (await client.get("/staff/api-tokens")).text
    assert token not in listing
    assert token[:12] in listing
    async with connection() as conn:
        stored = await conn.fetchrow(
            "SELECT token_hash FROM api_tokens WHERE prefix = $1", token[:12]
        )
    assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    empty = await send(client, "/staff/api-tokens", [("name", "  ")])
    assert empty.status_code == 422
    assert "Donnez un nom au jeton" in text_of(empty.text)


async def test_api_lists_surveys_definition_and_pages_responses(
    client: httpx.AsyncClient,
) -> None:
    definition = await make_survey()
    for _ in range(3):
        await answer_all(client, definition, VALID_ANSWERS)
        client.cookies.clear()
    await log_in(client)
    auth = {"Authorization": f"Bearer {await new_token(client)}"}
    surveys = (await client.get("/api/surveys", headers=auth)).json()
    mine = next(s for s in surveys if s["slug"] == definition.slug)
    assert mine["responses"] == 3
    assert mine["title"]["en"] == "Your needs in your neighbourhood"
    full = (await client.get(f"/api/surveys/{definition.slug}", headers=auth)).json()
    assert full["format"] == "parlons-survey"
    assert len(full["sections"]) == 4
    first = (
        await client.get(f"/api/surveys/{definition.slug}/responses?limit=2", headers=auth)
    ).json()
    assert len(first["items"]) == 2
    assert first["items"][0]["answers"]["quartier"] == "bissy"
    rest = (
        await client.get(
            f"/api/surveys/{definition.slug}/responses?limit=2&after={first['next_after']}",
            headers=auth,
        )
    ).json()
    assert len(rest["items"]) == 1
    assert rest["next_after"] is None
    bad = await client.get(f"/api/surveys/{definition.slug}/responses?limit=x", headers=auth)
    assert bad.status_code == 400
    unknown = await client.get("/api/surveys/nope-nope", headers=auth)
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "error.survey_not_found"


class _Receiver(BaseHTTPRequestHandler):
    status = 200
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    handler = type("Receiver", (_Receiver,), {"received": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    server.shutdown()
    server.server_close()


async def log_in_admin(client: httpx.AsyncClient) -> None:
    email = f"admin-{uuid.uuid4().hex[:8]}@example.org"
    await create_user(email, PASSWORD, Role.ADMIN)
    assert (await login(client, email)).status_code == 303


async def run_jobs() -> None:
    for _ in range(50):
        if await jobs.run_next(job_registry(None)) is None:
            return


async def add_hook(client: httpx.AsyncClient, slug: str, url: str) -> str:
    page = await send(client, f"/staff/surveys/{slug}/webhooks", [("url", url)])
    assert page.status_code == 200, text_of(page.text)
    return page.text.split('id="webhook-secret">')[1].split("<")[0]


async def test_webhook_gets_each_new_response_signed(client: httpx.AsyncClient, receiver) -> None:  # type: ignore[no-untyped-def]
    url, handler = receiver
    definition = await make_survey()
    await log_in_admin(client)
    secret = await add_hook(client, definition.slug, url)
    resident = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    done, last_form = await answer_all(resident, definition, VALID_ANSWERS)
    # A retried POST is the same response: it is told once.
    from tests.htmlform import post_form

    await post_form(resident, f"/s/{definition.slug}", last_form + [("action", "next")])
    await resident.aclose()
    await run_jobs()
    assert len(handler.received) == 1
    headers, body = handler.received[0]
    expected = hmac.new(
        secret.encode(), headers["X-Parlons-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Parlons-Signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert payload["event"] == "response.created"
    assert payload["survey"] == definition.slug
    receipt = done.headers["location"].split("/")[-1].split("?")[0]
    assert "receipt" not in payload["response"] and receipt not in body.decode()
    assert payload["response"]["answers"]["quartier"] == "bissy"
    log = text_of((await client.get(f"/staff/surveys/{definition.slug}/webhooks")).text)
    assert "Reçu (HTTP 200)" in log


async def test_paper_entry_also_notifies_webhooks(client: httpx.AsyncClient, receiver) -> None:  # type: ignore[no-untyped-def]
    url, handler = receiver
    definition = await make_survey()
    await log_in_admin(client)
    await add_hook(client, definition.slug, url)
    page = await client.get(f"/staff/surveys/{definition.slug}/paper")
    fields = [(k, v) for k, values in VALID_ANSWERS.items() for v in values]
    saved = await send(
        client,
        f"/staff/surveys/{definition.slug}/paper",
        [("key", field_value(page.text, "key")), ("language", "fr"), *fields],
    )
    assert saved.status_code == 303
    await run_jobs()
    assert [json.loads(b)["response"]["channel"] for _, b in handler.received] == ["paper"]


async def test_failing_webhook_is_retried_and_each_attempt_logged(
    client: httpx.AsyncClient, receiver, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    url, handler = receiver
    handler.status = 500
    monkeypatch.setattr(webhooks, "RETRY_DELAYS", (0.0, 0.0))
    definition = await make_survey()
    await log_in_admin(client)
    await add_hook(client, definition.slug, url)
    resident = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    await answer_all(resident, definition, VALID_ANSWERS)
    await resident.aclose()
    await run_jobs()
    assert len(handler.received) == 3
    async with connection() as conn:
        attempts = [
            (r["attempt"], r["status_code"])
            for r in await conn.fetch(
                "SELECT d.attempt, d.status_code FROM webhook_deliveries d JOIN webhooks w"
                " ON w.id = d.webhook_id WHERE w.survey_id = $1 ORDER BY d.id",
                definition.id,
            )
        ]
    assert attempts == [(1, 500), (2, 500), (3, 500)]
    log = text_of((await client.get(f"/staff/surveys/{definition.slug}/webhooks")).text)
    assert "Refusé (HTTP 500)" in log


async def test_webhook_address_is_checked_and_pages_are_for_admins(
    client: httpx.AsyncClient,
) -> None:
    definition = await make_survey()
    await log_in(client)  # A staff member, not an administrator.
    assert (await client.get(f"/staff/surveys/{definition.slug}/webhooks")).status_code == 403
    client.cookies.clear()
    await log_in_admin(client)
    for url in ("ftp://example.org/x", "javascript:alert(1)", "pas une adresse"):
        page = await send(client, f"/staff/surveys/{definition.slug}/webhooks", [("url", url)])
        assert page.status_code == 422
        assert "Écrivez une adresse complète commençant par https://" in text_of(page.text)
    async with connection() as conn:
        count = await conn.fetchval(
            "SELECT count(*) FROM webhooks WHERE survey_id = $1", definition.id
        )
    assert count == 0
