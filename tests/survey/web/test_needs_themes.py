"""Themes over needs in the staff pages: themes first, merge asks for a name, re-runs."""

from __future__ import annotations

import uuid

import httpx
import pytest

from survey.domain import needs as domain
from survey.domain.answering import load_responses
from survey.domain.need_themes import theme_key
from survey.models.needs import AnalysisRun
from tests.factories.needs import BUSES, CHILDCARE, DOCTORS, run_jobs, survey_with_answers
from tests.factories.staff import log_in
from tests.htmlform import field_value, hidden_fields, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")


async def _run(definition, n_clusters=None) -> AnalysisRun:  # type: ignore[no-untyped-def]
    run = await domain.start_analysis(definition.slug, "manque", n_clusters=n_clusters)
    await run_jobs()
    return await AnalysisRun.get(id=run.id)


async def test_run_page_shows_themes_then_their_needs(client: httpx.AsyncClient) -> None:
    definition = await survey_with_answers(CHILDCARE + BUSES + DOCTORS + ["rien"])
    run = await _run(definition)
    assert await domain.run_state(run) == "done"
    assert run.quality["themes"] >= 2
    assert 0 <= run.quality["unclassified_share"] <= 1
    await log_in(client)
    html = (await client.get(f"/staff/surveys/{definition.slug}/analysis/{run.id}")).text
    page = text_of(html)
    assert "Thèmes" in page
    assert "Transports et déplacements" in page
    assert "Santé et accès aux soins" in page
    assert "cohérence moyenne" in page
    # A theme's heading comes before the names of its needs.
    needs = await domain.needs_of_run(run)
    bus = next(n for n in needs if n.theme_label == "Transports et déplacements")
    heading = html.index('">Transports et déplacements</h3>')
    assert heading < html.index(f'id="need-{bus.id}"')
    # ... and the next theme's heading after it.
    following = html.find('<h3 class="theme"', heading + 1)
    assert following == -1 or html.index(f'id="need-{bus.id}"') < following


async def test_merge_proposes_a_name_and_asks(client: httpx.AsyncClient) -> None:
    definition = await survey_with_answers(CHILDCARE + BUSES + DOCTORS)
    run = await _run(definition, n_clusters=3)
    await log_in(client)
    base = f"/staff/surveys/{definition.slug}/analysis/{run.id}"
    csrf = field_value((await client.get(base)).text, "csrf")
    first, second, _ = await domain.needs_of_run(run)
    # Nothing is merged yet: the page proposes a name from the needs' phrases and asks.
    asked = await post_form(
        client, f"{base}/merge", [("csrf", csrf), ("need", str(first.id)), ("need", str(second.id))]
    )
    assert asked.status_code == 200
    assert len(await domain.needs_of_run(run)) == 3
    proposed = asked.text.split('id="f-label" name="label" type="text" maxlength="400" value="')[1]
    proposed = proposed.split('"')[0]
    assert proposed
    assert "Nom du besoin regroupé" in text_of(asked.text)
    third = [n.label for n in await domain.needs_of_run(run) if n.id not in (first.id, second.id)]
    assert proposed not in third
    merged = await post_form(
        client, f"{base}/merge", hidden_fields(asked.text) + [("label", "Crèche et bus du soir")]
    )
    assert merged.status_code == 303
    # Back to the kept need, its theme opened on the run page.
    key = theme_key(first.theme_label)
    assert merged.headers["location"] == f"{base}?theme={key}#need-{first.id}"
    after = await domain.needs_of_run(run)
    assert [n.label for n in after if n.id == first.id] == ["Crèche et bus du soir"]
    assert len(after) == 2


async def test_merge_without_a_name_is_answered_next_to_the_field(
    client: httpx.AsyncClient,
) -> None:
    definition = await survey_with_answers(CHILDCARE + BUSES + DOCTORS)
    run = await _run(definition, n_clusters=3)
    await log_in(client)
    base = f"/staff/surveys/{definition.slug}/analysis/{run.id}"
    csrf = field_value((await client.get(base)).text, "csrf")
    first, second, _ = await domain.needs_of_run(run)
    refused = await post_form(
        client,
        f"{base}/merge",
        [("csrf", csrf), ("confirm", "1"), ("need", str(first.id)), ("need", str(second.id))]
        + [("label", "   ")],
    )
    assert refused.status_code == 422
    assert 'id="e-label"' in refused.text
    assert len(await domain.needs_of_run(run)) == 3
    long = "b" * 201
    refused = await post_form(
        client,
        f"{base}/merge",
        [("csrf", csrf), ("confirm", "1"), ("need", str(first.id)), ("need", str(second.id))]
        + [("label", long)],
    )
    assert refused.status_code == 422
    assert f'value="{long}"' in refused.text


async def test_rerun_with_more_answers_keeps_names_and_says_what_grew() -> None:
    definition = await survey_with_answers(CHILDCARE + BUSES + DOCTORS)
    run = await _run(definition, n_clusters=3)
    bus = next(n for n in await domain.needs_of_run(run) if n.theme_label.startswith("Transport"))
    await domain.rename_need(run, bus.id, "Bus du soir et du dimanche")
    more = ["Un bus le samedi soir aussi", "Des bus plus tard le soir"]
    await load_responses(
        definition,
        [
            {
                "key": str(uuid.uuid4()),
                "submitted_at": "2026-10-21T10:00:00+00:00",
                "answers": {"manque": text, "quartier": "centre"},
            }
            for text in more
        ],
    )
    again = await _run(definition, n_clusters=3)
    labels = [n.label for n in await domain.needs_of_run(again)]
    assert "Bus du soir et du dimanche" in labels
    assert again.changes["previous"] == run.id
    assert "Bus du soir et du dimanche" in again.changes["grew"]
    assert again.changes["gone"] == []
