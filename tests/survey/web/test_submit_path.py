"""A resident's last page reaches the database in at most five hops: route, form parsing,
the answering verb, storing, the one statement."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import httpx
import pytest

from survey.domain.queries import responses as response_rows
from tests.factories import VALID_ANSWERS, make_survey
from tests.factories.resident import answer_all

pytestmark = pytest.mark.usefixtures("orm")
SURVEY = Path(__file__).resolve().parents[3] / "survey"
MAX_HOPS = 5


async def test_resident_submit_reaches_its_statement_in_five_hops(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    definition = await make_survey()
    chains: list[list[str]] = []
    insert = response_rows.insert_checked

    async def recorded(*args: Any, **kwargs: Any) -> Any:
        frames = [
            f"{Path(f.filename).relative_to(SURVEY.parent)}:{f.name}"
            for f in traceback.extract_stack()[:-1]
            if Path(f.filename).is_relative_to(SURVEY)
        ]
        chains.append([*frames, "survey/domain/queries/responses.py:insert_checked"])
        return await insert(*args, **kwargs)

    monkeypatch.setattr(response_rows, "insert_checked", recorded)
    response, _ = await answer_all(client, definition, VALID_ANSWERS)
    assert response.status_code == 303
    assert len(chains) == 1
    chain = chains[0]
    # From the route on: the access check and the middleware before it are not the flow.
    route = chain.index("survey/web/resident.py:survey_post")
    assert len(chain[route:]) - 1 <= MAX_HOPS, " -> ".join(chain[route:])
