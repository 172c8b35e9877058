"""The printable report, the downloadable report file and the public results page."""

from __future__ import annotations

import re

import httpx
import pytest

from survey.domain.answering import load_responses
from survey.domain.db import connection
from survey.models.needs import Need, NeedAnswer
from tests.factories import make_survey
from tests.factories.needs import finished_run
from tests.factories.resident import random_items
from tests.factories.staff import login, staff_user
from tests.htmlform import field_value, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")


async def _survey_with_needs(n: int = 60):  # type: ignore[no-untyped-def]
    definition = await make_survey()
    items = random_items(definition, n, seed=21)
    for item in items:
        item["answers"]["manque"] = "Un bus le soir après 20 h"
    await load_responses(definition, items)
    async with connection() as conn:
        ids = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM responses WHERE survey_id = $1 ORDER BY id", definition.id
            )
        ]
    run = await finished_run(definition.id, "manque", n_answers=n)
    need = await Need.create(run=run, label="Transports du soir", quote_response_ids=ids[:1])
    for rid in ids:
        await NeedAnswer.create(run=run, response_id=rid, need=need)
    return definition


async def _as_staff(client: httpx.AsyncClient, email: str) -> None:
    await staff_user(email)
    assert (await login(client, email)).status_code == 303


async def test_report_shows_who_answered_needs_and_quotes(client: httpx.AsyncClient) -> None:
    definition = await _survey_with_needs()
    await _as_staff(client, "report@example.org")
    response = await client.get(f"/staff/surveys/{definition.slug}/report")
    assert response.status_code == 200
    page = " ".join(text_of(response.text).split())
    assert "60 personnes ont répondu" in page
    assert "Transports du soir – cité par 60 personnes (100 %)" in page
    assert "« Un bus le soir après 20 h »" in page
    assert "Aucune décision du conseil pour l'instant." in page
    assert "/static/css/print.css" in response.text


async def test_report_file_is_a_self_contained_download(client: httpx.AsyncClient) -> None:
    definition = await _survey_with_needs()
    await _as_staff(client, "reportfile@example.org")
    response = await client.get(f"/staff/surveys/{definition.slug}/report.html?lang=en")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{definition.slug}-rapport.html"'
    )
    page = response.text
    assert "<style>" in page and "@page{size:A4" in page
    assert "<svg" in page  # bars drawn as static SVG
    # Nothing to fetch: no linked style sheet, script or image, so it opens offline.
    assert re.findall(r"<(?:link|script|img)\b", page) == []
    assert re.findall(r'(?:src|href)="(?!#)', page) == []
    assert "60 people answered" in text_of(page)


async def test_public_results_follow_the_staff_toggle(client: httpx.AsyncClient) -> None:
    definition = await _survey_with_needs()
    public_url = f"/s/{definition.slug}/resultats"
    assert (await client.get(public_url)).status_code == 404

    await _as_staff(client, "publish@example.org")
    report = await client.get(f"/staff/surveys/{definition.slug}/report")
    csrf = field_value(report.text, "csrf")
    published = await post_form(
        client, f"/staff/surveys/{definition.slug}/publish", [("csrf", csrf), ("publish", "1")]
    )
    assert published.status_code == 303

    anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with anonymous:
        page = await anonymous.get(public_url)
        assert page.status_code == 200
        text = " ".join(text_of(page.text).split())
        assert "Ce que nous avons entendu" in text
        assert "Transports du soir" in text
        # Residents' words stay with staff; no chart library on public pages.
        assert "Un bus le soir" not in text
        assert "plotly" not in page.text and "<script" not in page.text

        await post_form(
            client, f"/staff/surveys/{definition.slug}/publish", [("csrf", csrf), ("publish", "0")]
        )
        assert (await anonymous.get(public_url)).status_code == 404


async def test_publish_refuses_a_bad_value(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    await _as_staff(client, "badpublish@example.org")
    report = await client.get(f"/staff/surveys/{definition.slug}/report")
    response = await post_form(
        client,
        f"/staff/surveys/{definition.slug}/publish",
        [("csrf", field_value(report.text, "csrf")), ("publish", "maybe")],
    )
    assert response.status_code == 400


async def test_report_of_a_tiny_survey_shows_nothing(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    await load_responses(definition, random_items(definition, 3, seed=2))
    await _as_staff(client, "tiny@example.org")
    page = text_of((await client.get(f"/staff/surveys/{definition.slug}/report")).text)
    assert "rien n'est affiché" in page
    assert "3 personnes" not in page
