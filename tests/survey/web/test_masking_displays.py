"""Contact details typed into answers never reach a staff page, a report or a ballot option."""

from __future__ import annotations

import re
import unicodedata
import uuid

import httpx
import pytest

from survey.domain.answering import load_responses
from survey.domain.consultation_options import create_options
from survey.domain.consultations import ConsultationDraft, create_consultation
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.models.councils import ConsultationOption
from survey.models.needs import Need, NeedAnswer
from tests.factories import make_survey
from tests.factories.council import make_council
from tests.factories.needs import finished_run
from tests.factories.staff import login, staff_user
from tests.htmlform import text_of

pytestmark = pytest.mark.usefixtures("orm")

ZWSP = "\u200b"
# Each way round the old masking: the address's domain is "fuite", the number 06 12 34 56 78.
PLANTED = [
    "écrivez à jean(at)fuite.org",
    "écrivez à jean [at] fuite [dot] org",
    "écrivez à jean @ fuite.org",
    "écrivez à jean＠fuite．org",
    "écrivez à jean at fuite dot org",
    "appelez le ０６ １２ ３４ ５６ ７８",
    f"appelez le 0{ZWSP}6{ZWSP}12{ZWSP}34{ZWSP}56{ZWSP}78",
    "appelez le +33 6 12 34 56 78",
    "appelez le 612345678",
    "appelez le 6 12 34 56 78",
]


def assert_nothing_leaks(html: str) -> None:
    page = unicodedata.normalize("NFKC", text_of(html) + " " + html)
    page = "".join(c for c in page if unicodedata.category(c) != "Cf")
    assert "fuite" not in page.lower()
    digits = re.sub(r"[\s.\-()+/]|&#8203;", "", page)
    assert "612345678" not in digits


async def survey_with_planted(text: str, n: int = 6) -> tuple[SurveyDef, list[int]]:
    """``n`` answers to both free-text questions, the newest carrying ``text``; one finished
    analysis whose single need quotes the newest answer and is named after it."""
    definition = await make_survey()
    items = [
        {
            "key": str(uuid.uuid4()),
            "submitted_at": f"2026-10-{10 + i:02d}T10:00:00+00:00",
            "answers": {
                "quartier": "centre",
                "manque": f"Un bus le soir, {text}" if i == n - 1 else "Un bus le soir",
                "agir": f"Aider aux devoirs, {text}" if i == n - 1 else "Aider aux devoirs",
            },
        }
        for i in range(n)
    ]
    await load_responses(definition, items)
    async with connection() as conn:
        ids = [
            int(r["id"])
            for r in await conn.fetch(
                "SELECT id FROM responses WHERE survey_id = $1 ORDER BY submitted_at DESC",
                definition.id,
            )
        ]
    run = await finished_run(definition.id, "manque", n_answers=n)
    need = await Need.create(
        run=run, label=f"Bus du soir {text}", quote_response_ids=ids[:1], size=n
    )
    for rid in ids:
        await NeedAnswer.create(run=run, response_id=rid, need=need)
    return definition, [run.id, need.id]


async def as_staff(client: httpx.AsyncClient) -> None:
    email = f"masking-{uuid.uuid4().hex[:8]}@example.org"
    await staff_user(email)
    assert (await login(client, email)).status_code == 303


@pytest.mark.parametrize("planted", PLANTED)
async def test_staff_displays_mask_contacts_planted_in_answers(
    client: httpx.AsyncClient, planted: str
) -> None:
    definition, (run_id, need_id) = await survey_with_planted(planted)
    await as_staff(client)
    base = f"/staff/surveys/{definition.slug}"
    pages = {
        "dashboard": f"{base}/dashboard",
        "dashboard filtered": f"{base}/dashboard?f_quartier=centre",
        "responses": base,
        "report": f"{base}/report",
        "report download": f"{base}/report.html",
        "needs": f"{base}/analysis/{run_id}",
        "need": f"{base}/analysis/{run_id}/needs/{need_id}",
    }
    for name, url in pages.items():
        response = await client.get(url)
        assert response.status_code == 200, name
        assert_nothing_leaks(response.text)
    dashboard = text_of((await client.get(pages["dashboard"])).text)
    # The answer is still quoted, only its contact details are gone.
    assert "Un bus le soir, " in dashboard
    assert "Aider aux devoirs, " in dashboard
    report = text_of((await client.get(pages["report"])).text)
    assert "« Un bus le soir, " in report
    assert "Bus du soir" in report


async def test_public_results_mask_contacts_in_need_labels(client: httpx.AsyncClient) -> None:
    definition, _ = await survey_with_planted(PLANTED[0])
    async with connection() as conn:
        await conn.execute("UPDATE surveys SET public_results = true WHERE id = $1", definition.id)
    response = await client.get(f"/s/{definition.slug}/resultats")
    assert response.status_code == 200
    assert "Bus du soir" in text_of(response.text)
    assert_nothing_leaks(response.text)


async def test_ballot_option_quotes_are_stored_and_shown_masked(
    client: httpx.AsyncClient,
) -> None:
    council, _ = await make_council(1)
    consultation = await create_consultation(
        council.id, ConsultationDraft("Priorités", "approval", secret=True), actor="test"
    )
    await create_options(
        consultation, [("Bus du soir", "", None)], quotes=[PLANTED[:]], actor="test"
    )
    stored = await ConsultationOption.filter(consultation_id=consultation.id).first()
    assert stored is not None
    assert len(stored.quotes) == len(PLANTED)
    assert_nothing_leaks(" ".join(stored.quotes))
    await as_staff(client)
    page = await client.get(f"/staff/councils/{council.id}/consultations/{consultation.id}")
    assert page.status_code == 200
    assert "écrivez à [e-mail]" in text_of(page.text)
    assert_nothing_leaks(page.text)
