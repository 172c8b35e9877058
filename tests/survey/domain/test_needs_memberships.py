"""One answer, several needs: stored, residents counted once, shown and kept by reviews."""

from __future__ import annotations

import httpx
import pytest

from survey.domain import needs as domain
from survey.domain.db import connection
from survey.models.needs import AnalysisRun, NeedMention
from tests.factories.needs import BUSES, CHILDCARE, DOCTORS, run_jobs, survey_with_answers
from tests.factories.staff import log_in
from tests.htmlform import field_value, hidden_fields, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")

BOTH = [
    "Des bus le soir. Et un médecin généraliste dans le quartier",
    "Une place en crèche, et aussi un bus le dimanche",
]


async def _residents(run: AnalysisRun) -> dict[int, set[int]]:
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT need_id, response_id FROM need_answers WHERE run_id = $1"
            " AND need_id IS NOT NULL UNION SELECT need_id, response_id FROM need_mentions"
            " WHERE run_id = $1",
            run.id,
        )
    out: dict[int, set[int]] = {}
    for r in rows:
        out.setdefault(int(r["need_id"]), set()).add(int(r["response_id"]))
    return out


async def _response_id(run: AnalysisRun, text: str) -> int:
    async with connection() as conn:
        return int(
            await conn.fetchval(
                "SELECT id FROM responses WHERE survey_id = $1 AND answers->>'manque' = $2",
                run.survey_id,  # type: ignore[attr-defined]
                text,
            )
        )


async def test_answer_with_two_needs_is_stored_and_counted_once_per_need(
    client: httpx.AsyncClient,
) -> None:
    definition = await survey_with_answers(CHILDCARE + BUSES + DOCTORS + BOTH)
    run = await domain.start_analysis(definition.slug, "manque")
    await run_jobs()
    run = await AnalysisRun.get(id=run.id)
    assert await domain.run_state(run) == "done"
    both = await _response_id(run, BOTH[0])
    mentions = await NeedMention.filter(run_id=run.id, response_id=both)
    assert len(mentions) == 1
    assert mentions[0].rank == 1
    main = await domain.need_answers(run, None)
    assert both not in dict(main)
    needs = await domain.needs_of_run(run)
    residents = await _residents(run)
    # Sizes count residents: main need or another need of their answer, once each.
    assert {n.id: n.size for n in needs} == {k: len(v) for k, v in residents.items()}
    mentioned = next(n for n in needs if n.id == mentions[0].need_id)
    assert mentioned.also >= 1
    assert run.quality["several_needs"] >= 1
    await log_in(client)
    base = f"/staff/surveys/{definition.slug}/analysis/{run.id}"
    page = text_of((await client.get(base)).text)
    plural = "s" if mentioned.size > 1 else ""
    assert f"{mentioned.label} cité par {mentioned.size} personne{plural}," in " ".join(
        page.split()
    )
    assert "en plus d'un autre besoin" in page
    need_page = (await client.get(f"{base}/needs/{mentioned.id}")).text
    assert "Ils en parlent aussi" in need_page
    assert BOTH[0] in text_of(need_page)


async def test_merging_the_two_needs_of_an_answer_counts_its_author_once(
    client: httpx.AsyncClient,
) -> None:
    definition = await survey_with_answers(CHILDCARE + BUSES + DOCTORS + BOTH)
    run = await domain.start_analysis(definition.slug, "manque")
    await run_jobs()
    run = await AnalysisRun.get(id=run.id)
    both = await _response_id(run, BOTH[0])
    mention = await NeedMention.get(run_id=run.id, response_id=both)
    async with connection() as conn:
        main_need = int(
            await conn.fetchval(
                "SELECT need_id FROM need_answers WHERE run_id = $1 AND response_id = $2",
                run.id,
                both,
            )
        )
    before = await _residents(run)
    await log_in(client)
    base = f"/staff/surveys/{definition.slug}/analysis/{run.id}"
    csrf = field_value((await client.get(base)).text, "csrf")
    asked = await post_form(
        client,
        f"{base}/merge",
        [("csrf", csrf), ("need", str(main_need)), ("need", str(mention.need_id))],
    )
    assert asked.status_code == 200
    done = await post_form(
        client, f"{base}/merge", hidden_fields(asked.text) + [("label", "Bus et médecin")]
    )
    assert done.status_code == 303
    kept = int(done.headers["location"].split("#need-")[1])
    sizes = {n.id: n.size for n in await domain.needs_of_run(run)}
    assert sizes[kept] == len(before[main_need] | before[mention.need_id])
    assert await NeedMention.filter(run_id=run.id, response_id=both).count() == 0
    # The review is measured against the machine's grouping, and kept on the run.
    run = await AnalysisRun.get(id=run.id)
    agreement = run.review["agreement"]
    assert agreement["merged"] == 1
    assert agreement["ami"] < 1.0
    assert run.review["counts"] == {"merge": 1}
    page = text_of((await client.get(base)).text)
    assert "Accord entre le regroupement proposé et votre revue" in page
    assert "Actions de revue : 1 regroupement." in " ".join(page.split())
    overview = text_of((await client.get(f"/staff/surveys/{definition.slug}/analysis")).text)
    assert f"accord avec la revue (AMI) {round(agreement['ami'], 2)}" in overview


async def test_moving_an_answer_to_its_other_need_drops_the_mention(
    client: httpx.AsyncClient,
) -> None:
    definition = await survey_with_answers(CHILDCARE + BUSES + DOCTORS + BOTH)
    run = await domain.start_analysis(definition.slug, "manque")
    await run_jobs()
    run = await AnalysisRun.get(id=run.id)
    both = await _response_id(run, BOTH[1])
    mention = await NeedMention.filter(run_id=run.id, response_id=both).first()
    assert mention is not None
    await log_in(client)
    base = f"/staff/surveys/{definition.slug}/analysis/{run.id}"
    csrf = field_value((await client.get(base)).text, "csrf")
    moved = await post_form(
        client,
        f"{base}/needs/0/move",
        [("csrf", csrf), ("response", str(both)), ("target", str(mention.need_id))],
    )
    assert moved.status_code == 303
    assert both in dict(await domain.need_answers(run, mention.need_id))
    assert (
        await NeedMention.filter(run_id=run.id, response_id=both, need_id=mention.need_id).count()
        == 0
    )
    run = await AnalysisRun.get(id=run.id)
    assert run.review["agreement"]["moved"] == 1
    assert run.review["counts"] == {"move": 1}
