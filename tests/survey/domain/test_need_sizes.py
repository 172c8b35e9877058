"""A need's size is the same on every page: the residents who cite it, main need or another
need of their answer, once each (run page, dashboard, report, public follow-up)."""

from __future__ import annotations

import re

import httpx
import pytest

from survey.domain import needs as domain
from survey.domain.db import connection
from survey.domain.queries import need_sizes
from survey.models.needs import Need, NeedAnswer, NeedMention
from tests.factories.needs import finished_run, survey_with_answers
from tests.factories.staff import log_in
from tests.htmlform import field_value, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")


def _flat(html: str) -> str:
    return " ".join(text_of(html).split())


def _cited(page: str, label: str) -> int:
    found = re.search(rf"{re.escape(label)} – cité par (\d+) personnes?", page)
    assert found is not None, (label, page[:2000])
    return int(found.group(1))


async def test_need_size_counts_every_citation_alike_on_every_page(
    client: httpx.AsyncClient,
) -> None:
    definition = await survey_with_answers([f"Réponse numéro {i}" for i in range(20)])
    async with connection() as conn:
        ids = [
            int(r["id"])
            for r in await conn.fetch(
                "SELECT id FROM responses WHERE survey_id = $1 ORDER BY id", definition.id
            )
        ]
    run = await finished_run(definition.id, "manque", n_answers=len(ids))
    childcare = await Need.create(run=run, label="Garde d'enfants", position=0, size=8)
    bus = await Need.create(run=run, label="Bus le soir", position=1, size=6)
    rent = await Need.create(run=run, label="Loyers", position=2, size=6)
    for rids, need in ((ids[:8], childcare), (ids[8:14], bus), (ids[14:], rent)):
        for rid in rids:
            await NeedAnswer.create(run=run, response_id=rid, need=need)
    # Five of the childcare residents speak of the bus too: eleven residents cite it.
    for rid in ids[:5]:
        await NeedMention.create(run=run, response_id=rid, need=bus, rank=1)

    await log_in(client)
    staff = f"/staff/surveys/{definition.slug}"
    run_page = (await client.get(f"{staff}/analysis/{run.id}")).text
    found = re.search(r"Bus le soir <small>cité par (\d+) personnes", run_page)
    assert found is not None
    on_run = int(found.group(1))
    dashboard = _flat((await client.get(f"{staff}/dashboard")).text)
    report = _flat((await client.get(f"{staff}/report")).text)
    settings = await client.get(f"{staff}/suivi")
    fields = [("csrf", field_value(settings.text, "csrf")), ("published", "1"), ("part", "needs")]
    assert (await post_form(client, f"{staff}/suivi", fields)).status_code == 303
    followup = _flat((await client.get(f"/s/{definition.slug}/suivi")).text)

    sizes = [_cited(page, "Bus le soir") for page in (dashboard, report, followup)]
    assert [on_run, *sizes] == [11, 11, 11, 11]
    # The largest need comes first everywhere.
    for page in (dashboard, report, followup):
        assert page.index("Bus le soir – cité par") < page.index("Garde d'enfants – cité par")
    assert "Dont 5 qui en parlent en plus d'un autre besoin." in _flat(run_page)
    # The run's needs are sized by the same count.
    counted = await need_sizes.residents_by_need(run.id)
    assert {n.id: n.size for n in await domain.needs_of_run(run)} == {
        i: c.residents for i, c in counted.items()
    }
    assert counted[bus.id] == need_sizes.NeedResidents(11, 5)
