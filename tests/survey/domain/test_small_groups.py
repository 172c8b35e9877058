"""Small groups stay small: words from a group below the threshold are never quoted."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from survey.domain.answering import load_responses
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.models.needs import Need, NeedAnswer
from tests.factories import make_survey
from tests.factories.needs import finished_run
from tests.htmlform import text_of
from tests.survey.web.test_masking_displays import as_staff

pytestmark = pytest.mark.usefixtures("orm")


async def survey_with_groups() -> SurveyDef:
    """8 answers from the centre, all answering ``agir``; 6 from Bissy, 2 answering it.

    Needs: "Bus du soir" (the 8 + 4 from Bissy, quoting one of each) and "Piscine" (the 2
    other Bissy answers)."""
    definition = await make_survey()
    items = []
    for i in range(8):
        items.append(("centre", f"Un bus le soir, centre {i}", f"Aider au centre {i}"))
    for i in range(6):
        agir = f"Confidence de, Bissy {i}" if i < 2 else None
        manque = f"Une piscine, Bissy {i}" if i < 2 else f"Un bus le soir, Bissy {i}"
        items.append(("bissy", manque, agir))
    await load_responses(
        definition,
        [
            {
                "key": str(uuid.uuid4()),
                "submitted_at": f"2026-10-{10 + n:02d}T10:00:00+00:00",
                "answers": {"quartier": where, "manque": manque} | ({"agir": agir} if agir else {}),
            }
            for n, (where, manque, agir) in enumerate(items)
        ],
    )
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT id, answers->>'manque' AS text FROM responses WHERE survey_id = $1",
            definition.id,
        )
    ids = {r["text"]: int(r["id"]) for r in rows}
    run = await finished_run(definition.id, "manque", n_answers=14)
    bus = await Need.create(
        run=run,
        label="Bus du soir",
        quote_response_ids=[ids["Un bus le soir, Bissy 3"], ids["Un bus le soir, centre 0"]],
    )
    pool = await Need.create(
        run=run, label="Piscine", position=1, quote_response_ids=[ids["Une piscine, Bissy 0"]]
    )
    for text, rid in ids.items():
        await NeedAnswer.create(run=run, response_id=rid, need=pool if "piscine" in text else bus)
    return definition


def flat(html: str) -> str:
    return " ".join(text_of(html).split())


def needs_section(html: str) -> str:
    return html[html.index('id="h-needs"') : html.index('id="h-questions"')]


async def test_dashboard_filtered_below_threshold_quotes_no_free_text(
    client: httpx.AsyncClient,
) -> None:
    definition = await survey_with_groups()
    await as_staff(client)
    url = f"/staff/surveys/{definition.slug}/dashboard"
    bissy_page = (await client.get(url, params={"f_quartier": "bissy"})).text
    bissy = flat(bissy_page)
    # Six people from Bissy: the page is shown, but only two answered "agir".
    assert "6 réponses correspondent aux filtres (sur 14)" in bissy
    assert "Moins de 5 personnes ont répondu" in bissy
    assert "Confidence de, Bissy" not in bissy
    # Four Bissy answers in "Bus du soir", two in "Piscine": neither need is quoted.
    bissy_needs = flat(needs_section(bissy_page))
    assert "Bus du soir" in bissy_needs
    assert "Piscine" in bissy_needs
    assert "«" not in bissy_needs
    centre_page = (await client.get(url, params={"f_quartier": "centre"})).text
    # Eight from the centre: their words are quoted, and only theirs.
    assert "Aider au centre 7" in flat(centre_page)
    assert "« Un bus le soir, centre 0 »" in flat(needs_section(centre_page))
    assert re.search(r"(?:soir|piscine|Confidence de), Bissy", flat(centre_page)) is None


async def test_report_quotes_no_need_below_threshold(client: httpx.AsyncClient) -> None:
    definition = await survey_with_groups()
    await as_staff(client)
    for url in ("report", "report.html"):
        page = text_of((await client.get(f"/staff/surveys/{definition.slug}/{url}")).text)
        assert "Piscine" in page
        assert "Une piscine, Bissy 0" not in page
