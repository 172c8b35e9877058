"""Keywords shown with the accents their need's answers write."""

from __future__ import annotations

import httpx
import pytest

from survey.domain.db import connection
from survey.domain.need_keywords import accented, spellings
from survey.models.needs import Need, NeedAnswer
from tests.factories.needs import CHILDCARE, finished_run, survey_with_answers
from tests.factories.staff import log_in
from tests.htmlform import text_of


def test_accented_takes_the_answers_spelling_singular_and_plural() -> None:
    texts = ["Une crèche ouverte plus tôt", "Les médecins partent", "l'arrêt de bus", "le cœur"]
    words = ["creche", "medecin", "tot", "arret", "bus", "coeur", "parc"]
    assert accented(words, spellings(texts)) == [
        "crèche",
        "médecin",
        "tôt",
        "arrêt",
        "bus",
        "cœur",
        "parc",
    ]
    # The need's own spelling first, then the other answers'.
    assert accented(
        ["ecole", "lumiere"], spellings(["ecole"]), spellings(["l'École", "lumières"])
    ) == [
        "école",
        "lumière",
    ]


@pytest.mark.usefixtures("orm")
async def test_run_page_shows_keywords_accented(client: httpx.AsyncClient) -> None:
    definition = await survey_with_answers(CHILDCARE)
    async with connection() as conn:
        ids = [
            int(r["id"])
            for r in await conn.fetch(
                "SELECT id FROM responses WHERE survey_id = $1 ORDER BY id", definition.id
            )
        ]
    run = await finished_run(definition.id, "manque", n_answers=len(ids))
    need = await Need.create(
        run=run, label="Garde", position=0, size=len(ids), keywords=["creche", "place", "tot"]
    )
    for rid in ids:
        await NeedAnswer.create(run=run, response_id=rid, need=need)
    await log_in(client)
    page = text_of((await client.get(f"/staff/surveys/{definition.slug}/analysis/{run.id}")).text)
    assert "crèche, place, tôt" in " ".join(page.split())
