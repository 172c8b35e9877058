"""Splitting a need with no number: no sub-need below the small-group size; a number given
by staff is theirs. The run page then tells the split once, as a review action."""

from __future__ import annotations

import re

import httpx
import pytest

from survey.domain import needs as domain
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.models.needs import AnalysisRun, Need, NeedAnswer
from tests.factories.needs import BUSES, CHILDCARE, DOCTORS, finished_run, survey_with_answers
from tests.factories.staff import log_in
from tests.htmlform import field_value, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")

# Three subjects, and four answers each on a subject of their own.
ODD = [
    "Un banc devant la mairie",
    "Des toilettes publiques au parc",
    "Un distributeur de billets",
    "Une piscine ouverte le soir",
]


async def _one_need(texts: list[str]) -> tuple[SurveyDef, AnalysisRun, Need]:
    definition = await survey_with_answers(texts)
    async with connection() as conn:
        ids = [
            int(r["id"])
            for r in await conn.fetch(
                "SELECT id FROM responses WHERE survey_id = $1 ORDER BY id", definition.id
            )
        ]
    run = await finished_run(definition.id, "manque", n_answers=len(ids))
    need = await Need.create(run=run, label="Tout", position=0, size=len(ids), theme_label="T")
    for index, rid in enumerate(ids):
        await NeedAnswer.create(run=run, response_id=rid, need=need, x=index, y=0)
    return definition, run, need


async def test_split_chosen_automatically_offers_no_group_below_small_group_size(
    client: httpx.AsyncClient,
) -> None:
    definition, run, need = await _one_need(BUSES + DOCTORS + CHILDCARE + ODD)
    await log_in(client)
    base = f"/staff/surveys/{definition.slug}/analysis/{run.id}"
    csrf = field_value((await client.get(base)).text, "csrf")
    split = await post_form(client, f"{base}/needs/{need.id}/split", [("csrf", csrf), ("k", "")])
    assert split.status_code == 303
    sizes = [n.size for n in await domain.needs_of_run(run)]
    assert len(sizes) >= 2
    assert min(sizes) >= 5, sizes
    assert sum(sizes) == len(BUSES + DOCTORS + CHILDCARE + ODD)
    page = " ".join(text_of((await client.get(base)).text).split())
    # The split is told once, as what staff did.
    assert "Actions de revue : 1 scission" in page
    assert len(re.findall(r"scission", page)) == 1


async def test_split_of_a_need_too_small_for_groups_asks_for_a_number(
    client: httpx.AsyncClient,
) -> None:
    definition, run, need = await _one_need(BUSES[:4] + DOCTORS[:4])
    await log_in(client)
    base = f"/staff/surveys/{definition.slug}/analysis/{run.id}"
    csrf = field_value((await client.get(base)).text, "csrf")
    refused = await post_form(client, f"{base}/needs/{need.id}/split", [("csrf", csrf), ("k", "")])
    assert refused.status_code == 422
    found = re.search(rf'<p class="error" id="e-k-{need.id}">(.*?)</p>', refused.text)
    assert found is not None
    assert text_of(found.group(1)) == (
        "Scindé automatiquement, ce besoin donnerait des groupes de moins de 5 personnes :"
        " indiquez un nombre de sous-besoins."
    )
    # Staff's own number is theirs.
    forced = await post_form(client, f"{base}/needs/{need.id}/split", [("csrf", csrf), ("k", "2")])
    assert forced.status_code == 303
    assert len(await domain.needs_of_run(run)) == 2
