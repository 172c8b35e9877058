"""Needs analysis in the app: a background run, staff review over HTTP, re-runs, breakdown."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from survey.domain import needs as domain
from survey.domain.definitions import SurveyDef
from survey.errors import Conflict
from survey.models.needs import AnalysisRun, Need
from tests.factories.needs import BUSES, CHILDCARE, DOCTORS, run_jobs, survey_with_answers
from tests.factories.staff import log_in
from tests.htmlform import field_value, hidden_fields, post_form, text_of

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.usefixtures("orm")







async def test_analysis_run_groups_answers_into_needs() -> None:
    definition = await survey_with_answers(CHILDCARE + BUSES + DOCTORS + ["rien", "nsp"])
    run = await domain.start_analysis(definition.slug, "manque", n_clusters=3)
    await run_jobs()
    await run.refresh_from_db()
    assert await domain.run_state(run) == "done"
    assert run.n_answers == 20
    assert run.n_non_answers == 2
    needs = await domain.needs_of_run(run)
    assert len(needs) == 3
    assert sorted(n.size for n in needs) == [6, 6, 6]
    groups = {n.label: set(dict(await domain.need_answers(run, n.id)).values()) for n in needs}
    assert sorted(map(frozenset, groups.values())) == sorted(
        map(frozenset, [set(CHILDCARE), set(BUSES), set(DOCTORS)])
    )
    for need in needs:
        assert len(need.quotes) == 3
        assert set(need.quotes) <= set(CHILDCARE + BUSES + DOCTORS)


async def test_analysis_one_run_at_a_time_per_question() -> None:
    definition = await survey_with_answers(CHILDCARE + BUSES)
    await domain.start_analysis(definition.slug, "manque")
    with pytest.raises(Conflict):
        await domain.start_analysis(definition.slug, "manque")
    await run_jobs()
    await domain.start_analysis(definition.slug, "manque")  # free again once done
    await run_jobs()


async def test_analysis_with_too_few_answers_fails_clearly() -> None:
    definition = await survey_with_answers(CHILDCARE[:2])
    run = await domain.start_analysis(definition.slug, "manque")
    await run_jobs()
    await run.refresh_from_db()
    assert (await domain.run_state(run), run.error) == ("failed", "analysis.too_few")


async def test_analysis_masks_contact_details_in_quotes() -> None:
    texts = [t + " appelez-moi au 06 12 34 56 78" for t in CHILDCARE] + BUSES
    definition = await survey_with_answers(texts)
    run = await domain.start_analysis(definition.slug, "manque", n_clusters=2)
    await run_jobs()
    answers = await domain.need_answers(await AnalysisRun.get(id=run.id), None)
    needs = await domain.needs_of_run(await AnalysisRun.get(id=run.id))
    shown = " ".join(q for n in needs for q in n.quotes) + " ".join(t for _, t in answers)
    assert "06 12 34 56 78" not in shown
    assert "appelez-moi" in shown


async def _done_run(texts: list[str], k: int) -> tuple[SurveyDef, AnalysisRun]:
    definition = await survey_with_answers(texts)
    run = await domain.start_analysis(definition.slug, "manque", n_clusters=k)
    await run_jobs()
    return definition, await AnalysisRun.get(id=run.id)


async def test_review_rename_merge_split_over_http(client: httpx.AsyncClient) -> None:
    definition, run = await _done_run(CHILDCARE + BUSES + DOCTORS, 3)
    await log_in(client)
    base = f"/staff/surveys/{definition.slug}/analysis/{run.id}"
    page = (await client.get(base)).text
    csrf = field_value(page, "csrf")
    needs = await domain.needs_of_run(run)
    bus = next(n for n in needs if any("bus" in q for q in n.quotes))

    renamed = await post_form(
        client, f"{base}/needs/{bus.id}/rename", [("csrf", csrf), ("label", "Transports le soir")]
    )
    assert renamed.status_code == 303
    assert "Transports le soir" in (await client.get(base)).text

    others = [n for n in needs if n.id != bus.id]
    # Merging asks for the merged need's name first, then applies.
    asked = await post_form(
        client,
        f"{base}/merge",
        [("csrf", csrf), ("need", str(others[0].id)), ("need", str(others[1].id))],
    )
    assert asked.status_code == 200
    merged = await post_form(client, f"{base}/merge", hidden_fields(asked.text) + [("label", "x")])
    assert merged.status_code == 303
    after = await domain.needs_of_run(run)
    assert len(after) == 2
    mixed = next(n for n in after if n.id == others[0].id)
    assert mixed.size == 12

    split = await post_form(client, f"{base}/needs/{mixed.id}/split", [("csrf", csrf), ("k", "2")])
    assert split.status_code == 303
    final = await domain.needs_of_run(run)
    assert len(final) == 3
    groups = [set(dict(await domain.need_answers(run, n.id)).values()) for n in final]
    assert set(CHILDCARE) in groups and set(DOCTORS) in groups
    assert await Need.filter(id=mixed.id).count() == 0


async def test_review_move_and_not_a_need(client: httpx.AsyncClient) -> None:
    definition, run = await _done_run(CHILDCARE + BUSES, 2)
    await log_in(client)
    base = f"/staff/surveys/{definition.slug}/analysis/{run.id}"
    csrf = field_value((await client.get(base)).text, "csrf")
    needs = await domain.needs_of_run(run)
    source, target = needs
    rid, text = (await domain.need_answers(run, source.id))[0]
    moved = await post_form(
        client,
        f"{base}/needs/{source.id}/move",
        [("csrf", csrf), ("response", str(rid)), ("target", str(target.id))],
    )
    assert moved.status_code == 303
    assert text in dict(await domain.need_answers(run, target.id)).values()
    toggled = await post_form(client, f"{base}/needs/{target.id}/toggle", [("csrf", csrf)])
    assert toggled.status_code == 303
    page = text_of((await client.get(base)).text)
    assert "pas un besoin" in page
    forged = await post_form(client, f"{base}/needs/{target.id}/toggle", [])
    assert forged.status_code == 403


async def test_rerun_keeps_staff_names_and_reports_changes() -> None:
    definition, run = await _done_run(CHILDCARE + BUSES, 2)
    needs = await domain.needs_of_run(run)
    await domain.rename_need(run, needs[0].id, "Nom choisi par l'équipe")
    again = await domain.start_analysis(definition.slug, "manque", n_clusters=2)
    await run_jobs()
    again = await AnalysisRun.get(id=again.id)
    labels = [n.label for n in await domain.needs_of_run(again)]
    assert "Nom choisi par l'équipe" in labels
    assert again.changes["previous"] == run.id
    assert len(again.changes["kept"]) == 2


async def test_breakdown_hides_small_groups(client: httpx.AsyncClient) -> None:
    definition = await survey_with_answers(CHILDCARE + BUSES, territory=["centre"] * 5 + ["bissy"])
    run = await domain.start_analysis(definition.slug, "manque", n_clusters=2)
    await run_jobs()
    run = await AnalysisRun.get(id=run.id)
    codes, counts = await domain.breakdown(run, definition, "quartier", threshold=5)
    assert "centre" in codes
    values = list(counts.values())
    assert None in values  # the one-person "bissy" groups are hidden
    assert all(v is None or v >= 5 for v in values)
    await log_in(client)
    page = (
        await client.get(f"/staff/surveys/{definition.slug}/analysis/{run.id}?by=quartier")
    ).text
    assert "&lt; 5" in page


async def test_start_page_refuses_bad_input_and_keeps_it(client: httpx.AsyncClient) -> None:
    definition = await survey_with_answers(CHILDCARE)
    await log_in(client)
    url = f"/staff/surveys/{definition.slug}/analysis"
    csrf = field_value((await client.get(url)).text, "csrf")
    response = await post_form(
        client, url, [("csrf", csrf), ("question", "manque"), ("k", "99"), ("seed", "7")]
    )
    assert response.status_code == 400
    assert "entre 2 et 60" in text_of(response.text)
    assert 'value="99"' in response.text
    started = await post_form(
        client, url, [("csrf", csrf), ("question", "manque"), ("k", ""), ("seed", "7")]
    )
    assert started.status_code == 303
    run_id = int(re.search(r"/analysis/(\d+)$", started.headers["location"]).group(1))
    page = await client.get(started.headers["location"])
    assert "En attente" in page.text or "En cours" in page.text
    await run_jobs()
    assert await domain.run_state(await AnalysisRun.get(id=run_id)) == "done"


def test_demo_texts_exist_for_the_walkthrough() -> None:
    data = json.loads((ROOT / "fixtures" / "demo_responses.json").read_text("utf-8"))
    assert sum(1 for r in data if r["answers"].get("manque")) >= 300
