"""Every way a response comes in goes through one store: a closed survey refuses them all,
and a double submit stays one response (through HTTP)."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from survey.domain import answering, forms
from survey.domain.invitations import create_invitations, list_invitations
from survey.domain.responses import count_responses
from tests.factories import ROOT, VALID_ANSWERS, make_survey
from tests.factories.resident import answer_all, post_step
from tests.factories.staff import csrf, log_in, send
from tests.htmlform import field_value, hidden_fields, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")
CLOSED = "Ce questionnaire n'accepte plus de réponses."
PAPER_FIELDS = [(k, v) for k, values in VALID_ANSWERS.items() for v in values]


async def _paper(client: httpx.AsyncClient, slug: str, key: str) -> httpx.Response:
    return await send(
        client, f"/staff/surveys/{slug}/paper", [("key", key), ("language", "fr"), *PAPER_FIELDS]
    )


async def test_closed_survey_refuses_paper_entry(client: httpx.AsyncClient) -> None:
    definition = await make_survey(status="closed")
    await log_in(client)
    page = await client.get(f"/staff/surveys/{definition.slug}/paper")
    refused = await _paper(client, definition.slug, field_value(page.text, "key"))
    assert refused.status_code == 409
    assert CLOSED in text_of(refused.text)
    assert await count_responses(definition.id) == 0


async def test_closed_survey_refuses_a_file_import(client: httpx.AsyncClient) -> None:
    definition = await make_survey(status="closed")
    await log_in(client)
    uploaded = await client.post(
        f"/staff/surveys/{definition.slug}/responses-import",
        data={"csrf": await csrf(client)},
        files={"file": ("a.csv", (ROOT / "tests/fixtures/google_forms.csv").read_bytes())},
    )
    assert uploaded.status_code == 303
    url = uploaded.headers["location"]
    page = (await client.get(url)).text
    # The columns as proposed by the mapping page (each select's chosen option).
    mapping = []
    for name, body in re.findall(r'<select id="m-\d+" name="(col_\d+)">(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        mapping.append((name, chosen.group(1) if chosen else ""))
    assert ("col_1", "quartier") in mapping
    checked = await post_form(
        client, url, [("csrf", await csrf(client)), *mapping, ("action", "check")]
    )
    assert "3 lignes sur 4 sont valides." in text_of(checked.text)
    done = await post_form(
        client, url, [("csrf", await csrf(client)), *mapping, ("action", "import")]
    )
    assert done.status_code == 409
    assert CLOSED in text_of(done.text)
    assert await count_responses(definition.id) == 0


async def test_closed_survey_refuses_an_invited_resident(client: httpx.AsyncClient) -> None:
    definition = await make_survey(access={"mode": "invitation"})
    await create_invitations(definition, 1)
    (code,) = await list_invitations(definition)
    page = (await client.get(f"/s/{definition.slug}?invitation={code}")).text
    closed = await make_survey(status="closed", access={"mode": "invitation"})
    await create_invitations(closed, 1)
    (closed_code,) = await list_invitations(closed)
    assert (await client.get(f"/s/{closed.slug}?invitation={closed_code}")).status_code == 410
    # A page kept from the open one, sent to the closed survey with its own code.
    data = [(k, closed_code if k == "invite" else v) for k, v in hidden_fields(page)]
    sent = await post_form(client, f"/s/{closed.slug}", [*data, ("q_quartier", "bissy")])
    assert sent.status_code == 410
    assert await count_responses(closed.id) == 0
    assert await list_invitations(closed, unused_only=True) == [closed_code]


async def test_api_takes_no_submission(client: httpx.AsyncClient) -> None:
    definition = await make_survey(status="closed")
    sent = await client.post(f"/api/surveys/{definition.slug}/responses", json={"answers": {}})
    assert sent.status_code == 405
    assert await count_responses(definition.id) == 0


async def test_double_submit_of_the_last_page_stays_one_response(
    client: httpx.AsyncClient,
) -> None:
    definition = await make_survey()
    first, last_form = await answer_all(client, definition, VALID_ANSWERS)
    again = await post_form(client, f"/s/{definition.slug}", [*last_form, ("action", "next")])
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert await count_responses(definition.id) == 1


async def test_double_paper_entry_stays_one_response(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    await log_in(client)
    key = str(uuid.uuid4())
    for _ in range(2):
        assert (await _paper(client, definition.slug, key)).status_code == 303
    assert await count_responses(definition.id) == 1


async def test_a_page_post_walks_the_earlier_pages_once(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    definition = await make_survey()
    calls: list[object] = []
    walk = forms.walk_sections

    def counted(*args: object, **kwargs: object) -> forms.Walk:
        calls.append(kwargs.get("stop"))
        return walk(*args, **kwargs)  # type: ignore[arg-type]

    page = (await client.get(f"/s/{definition.slug}")).text
    monkeypatch.setattr(forms, "walk_sections", counted)
    monkeypatch.setattr(answering, "walk_sections", counted)
    for step in range(len(definition.sections) - 1):
        calls.clear()
        response = await post_step(client, definition, page, step, VALID_ANSWERS)
        assert response.status_code == 200
        assert len(calls) == 1
        page = response.text
    calls.clear()
    back = await post_step(client, definition, page, step + 1, VALID_ANSWERS, action="back")
    assert back.status_code == 200
    assert len(calls) == 1
