"""Editing a survey while residents answer it: no accepted answer is ever lost."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from survey.domain.answering import load_responses
from survey.domain.definitions import create_survey_from_definition, get_definition
from survey.domain.responses import count_responses, list_responses
from tests.factories.staff import log_in, send
from tests.htmlform import field_value, hidden_fields, post_form

pytestmark = pytest.mark.usefixtures("orm")

SUBMISSIONS = 40


def _definition(status: str = "open") -> dict[str, Any]:
    return {
        "slug": f"live-{uuid.uuid4().hex[:10]}",
        "status": status,
        "title": {"fr": "Vie du quartier", "en": "Neighbourhood life"},
        "sections": [
            {
                "title": {"fr": "Questions", "en": "Questions"},
                "questions": [
                    {"code": "garde", "kind": "short_text", "text": {"fr": "Votre rue ?"}},
                    {"code": "partie", "kind": "long_text", "text": {"fr": "Une idée ?"}},
                ],
            }
        ],
    }


@pytest.fixture
async def resident(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def _question_id(page: str, code: str) -> int:
    found = re.search(
        r'id="q-(\d+)"[^>]*>(?:(?!</li>).)*?<code>' + re.escape(code) + "</code>", page, re.S
    )
    assert found, code
    return int(found.group(1))


async def _submit(resident: httpx.AsyncClient, slug: str, page: str, text: str) -> httpx.Response:
    fields = [(k, str(uuid.uuid4()) if k == "key" else v) for k, v in hidden_fields(page)]
    fields += [("q_garde", "rue des Lilas"), ("q_partie", text), ("action", "next")]
    return await post_form(resident, f"/s/{slug}", fields)


async def _exports(client: httpx.AsyncClient, slug: str) -> tuple[list[dict], list[dict], str]:
    csv_text = (await client.get(f"/staff/surveys/{slug}/export?format=csv")).text
    rows = list(csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff"))))
    items = json.loads((await client.get(f"/staff/surveys/{slug}/export?format=json")).text)
    page = (await client.get(f"/staff/surveys/{slug}")).text
    return rows, items, page


async def test_live_question_delete_racing_submissions_loses_no_answer(
    client: httpx.AsyncClient, resident: httpx.AsyncClient
) -> None:
    await log_in(client)
    data = _definition()
    await create_survey_from_definition(data)
    slug = data["slug"]
    partie = _question_id((await client.get(f"/staff/surveys/{slug}/edit")).text, "partie")
    page = (await resident.get(f"/s/{slug}")).text  # every resident opened it before the edit
    assert 'name="q_partie"' in page
    csrf = field_value((await client.get("/staff")).text, "csrf")
    url = f"/staff/surveys/{slug}/questions/{partie}/action"
    posts = [_submit(resident, slug, page, f"idée numéro {n}") for n in range(SUBMISSIONS)]
    posts.insert(SUBMISSIONS // 4, post_form(client, url, [("csrf", csrf), ("action", "delete")]))
    results = await asyncio.gather(*posts)
    delete = results.pop(SUBMISSIONS // 4)
    assert delete.status_code == 303
    assert [r.status_code for r in results] == [303] * SUBMISSIONS
    definition = await get_definition(slug)
    assert definition.question("partie").retired
    assert await count_responses(definition.id) == SUBMISSIONS
    stored = {r["answers"]["partie"] for r in await list_responses(definition.id, page=1)}
    assert stored == {f"idée numéro {n}" for n in range(SUBMISSIONS)}
    rows, items, responses_page = await _exports(client, slug)
    assert {r["partie"] for r in rows} == stored
    assert {i["answers"]["partie"] for i in items} == stored
    assert all(text in responses_page for text in stored)
    # New residents no longer see it.
    assert 'name="q_partie"' not in (await resident.get(f"/s/{slug}")).text


async def test_page_rendered_before_a_retire_is_stored_after_it(
    client: httpx.AsyncClient, resident: httpx.AsyncClient
) -> None:
    await log_in(client)
    data = _definition()
    await create_survey_from_definition(data)
    slug = data["slug"]
    page = (await resident.get(f"/s/{slug}")).text
    edit = (await client.get(f"/staff/surveys/{slug}/edit")).text
    partie = _question_id(edit, "partie")
    retired = await send(
        client, f"/staff/surveys/{slug}/questions/{partie}/action", [("action", "delete")]
    )
    assert retired.status_code == 303
    builder_page = (await client.get(f"/staff/surveys/{slug}/edit")).text
    assert "Retirée" in builder_page
    late = await _submit(resident, slug, page, "Un banc sous le tilleul")
    assert late.status_code == 303
    rows, items, responses_page = await _exports(client, slug)
    assert [r["partie"] for r in rows] == ["Un banc sous le tilleul"]
    assert [i["answers"] for i in items] == [
        {"garde": "rue des Lilas", "partie": "Un banc sous le tilleul"}
    ]
    assert "Un banc sous le tilleul" in responses_page
    # Restored, it is shown again; its code could never be taken by another question.
    restored = await send(
        client, f"/staff/surveys/{slug}/questions/{partie}/action", [("action", "restore")]
    )
    assert restored.status_code == 303
    assert 'name="q_partie"' in (await resident.get(f"/s/{slug}")).text


async def test_code_of_a_published_question_cannot_change(client: httpx.AsyncClient) -> None:
    await log_in(client)
    data = _definition()
    await create_survey_from_definition(data)
    slug = data["slug"]
    partie = _question_id((await client.get(f"/staff/surveys/{slug}/edit")).text, "partie")
    response = await send(
        client,
        f"/staff/surveys/{slug}/questions/{partie}",
        [("code", "autre"), ("kind", "long_text"), ("text_fr", "Une idée ?")],
    )
    assert response.status_code == 422
    assert "Le code ne peut plus changer" in response.text
    assert (await get_definition(slug)).question("partie")


async def test_draft_delete_racing_paper_entries_keeps_exports_in_agreement(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    data = _definition(status="draft")
    await create_survey_from_definition(data)
    slug = data["slug"]
    partie = _question_id((await client.get(f"/staff/surveys/{slug}/edit")).text, "partie")
    csrf = field_value((await client.get("/staff")).text, "csrf")

    async def paper(n: int) -> httpx.Response:
        return await post_form(
            client,
            f"/staff/surveys/{slug}/paper",
            [
                ("csrf", csrf),
                ("key", str(uuid.uuid4())),
                ("language", "fr"),
                ("q_garde", f"rue {n}"),
                ("q_partie", f"papier {n}"),
            ],
        )

    url = f"/staff/surveys/{slug}/questions/{partie}/action"
    posts = [paper(n) for n in range(12)]
    posts.insert(3, post_form(client, url, [("csrf", csrf), ("action", "delete")]))
    results = await asyncio.gather(*posts)
    assert [r.status_code for r in results] == [303] * 13
    rows, items, _ = await _exports(client, slug)
    assert len(rows) == len(items) == 12
    # Whether the delete came first (the question is gone) or an entry did (it is retired),
    # every answer the JSON export holds is a column of the CSV export.
    columns = set(rows[0])
    assert {k for i in items for k in i["answers"]} <= columns
    for row, item in zip(rows, items, strict=True):
        assert {k: row[k] for k in item["answers"]} == item["answers"]


async def test_import_validated_before_a_draft_delete_is_mapped_onto_the_new_version(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    data = _definition(status="draft")
    await create_survey_from_definition(data)
    slug = data["slug"]
    stale = await get_definition(slug)  # rows were checked against this version...
    partie = _question_id((await client.get(f"/staff/surveys/{slug}/edit")).text, "partie")
    deleted = await send(
        client, f"/staff/surveys/{slug}/questions/{partie}/action", [("action", "delete")]
    )
    assert deleted.status_code == 303
    assert [q.code for q in (await get_definition(slug)).questions] == ["garde"]
    # ...and are stored after the delete: what the survey no longer has is left out.
    item = {"garde": "rue Haute", "partie": "idée"}
    stored = await load_responses(
        stale,
        [
            {
                "key": str(uuid.uuid4()),
                "answers": item,
                "channel": "import",
                "submitted_at": "2026-01-01T10:00:00+00:00",
            }
        ],
    )
    assert stored == 1
    rows, items, _ = await _exports(client, slug)
    assert [i["answers"] for i in items] == [{"garde": "rue Haute"}]
    assert [r["garde"] for r in rows] == ["rue Haute"]


async def test_duplicating_a_page_leaves_its_retired_questions_out(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    data = _definition()
    await create_survey_from_definition(data)
    slug = data["slug"]
    edit = (await client.get(f"/staff/surveys/{slug}/edit")).text
    partie = _question_id(edit, "partie")
    url = f"/staff/surveys/{slug}/questions/{partie}/action"
    assert (await send(client, url, [("action", "delete")])).status_code == 303
    section = int(re.search(r'name="section" value="(\d+)"', edit).group(1))
    copied = await send(
        client, f"/staff/surveys/{slug}/sections/{section}/action", [("action", "duplicate")]
    )
    assert copied.status_code == 303
    definition = await get_definition(slug)
    assert [[q.code for q in s.questions] for s in definition.sections] == [["garde"], ["garde_2"]]
    assert [q.code for q in definition.retired] == ["partie"]


async def test_last_page_sent_after_an_earlier_page_was_retired_is_stored(
    client: httpx.AsyncClient, resident: httpx.AsyncClient
) -> None:
    await log_in(client)
    data = _definition()
    data["sections"].append(
        {
            "title": {"fr": "Fin", "en": "End"},
            "questions": [{"code": "fin", "kind": "short_text", "text": {"fr": "Un mot ?"}}],
        }
    )
    await create_survey_from_definition(data)
    slug = data["slug"]
    first = (await resident.get(f"/s/{slug}")).text
    fields = hidden_fields(first) + [("q_garde", "rue Basse"), ("q_partie", "Des arbres")]
    second = await post_form(resident, f"/s/{slug}", [*fields, ("action", "next")])
    assert 'name="q_fin"' in second.text
    edit = (await client.get(f"/staff/surveys/{slug}/edit")).text
    page_one = int(re.search(r'name="section" value="(\d+)"', edit).group(1))
    retired = await send(
        client, f"/staff/surveys/{slug}/sections/{page_one}/action", [("action", "delete")]
    )
    assert retired.status_code == 303
    assert [[q.code for q in s.questions] for s in (await get_definition(slug)).sections] == [
        ["fin"]
    ]
    sent = await post_form(
        resident,
        f"/s/{slug}",
        [*hidden_fields(second.text), ("q_fin", "Merci"), ("action", "next")],
    )
    assert sent.status_code == 303
    _, items, _ = await _exports(client, slug)
    assert [i["answers"] for i in items] == [
        {"garde": "rue Basse", "partie": "Des arbres", "fin": "Merci"}
    ]
