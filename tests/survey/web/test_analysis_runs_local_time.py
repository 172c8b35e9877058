"""The list of a survey's analysis runs shows when each ran in the instance's time zone."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from survey.models.needs import AnalysisRun
from tests.factories import make_survey
from tests.factories.needs import finished_run
from tests.factories.staff import staff_client
from tests.htmlform import text_of

pytestmark = pytest.mark.usefixtures("orm")
# 23:30 in UTC on 1 December is 00:30 on 2 December in Paris (the tests' zone).
LATE = dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC)


async def test_runs_list_shows_the_paris_wall_clock_and_says_the_zone(
    client: httpx.AsyncClient,
) -> None:
    definition = await make_survey()
    run = await finished_run(definition.id)
    await AnalysisRun.filter(id=run.id).update(created_at=LATE)
    await staff_client(client)
    url = f"/staff/surveys/{definition.slug}/analysis"
    french = " ".join(text_of((await client.get(url)).text).split())
    assert "02/12/2026 00:30" in french
    assert "23:30" not in french
    assert "heure locale (Europe/Paris)" in french
    english = " ".join(text_of((await client.get(url + "?lang=en")).text).split())
    assert "2026-12-02 00:30" in english
