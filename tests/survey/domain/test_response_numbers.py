"""Responses are numbered 1, 2, 3... within their survey, by the database, on every path."""

from __future__ import annotations

import asyncio
import re
import uuid

import asyncpg
import httpx
import pytest

from survey.domain.answering import Open, Paper, submit_response
from survey.domain.db import connection
from survey.domain.privacy import erase_by_receipt
from tests.factories import VALID_ANSWERS, make_survey
from tests.factories.resident import answer_all
from tests.factories.staff import log_in

pytestmark = pytest.mark.usefixtures("orm")


async def _numbers(survey_id: int) -> list[int]:
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT number FROM responses WHERE survey_id = $1 ORDER BY number", survey_id
        )
    return [r["number"] for r in rows]


def _shown_numbers(page: str) -> list[int]:
    return [int(n) for n in re.findall(r"Réponse n° (\d+)", page)]


async def test_response_numbers_count_per_survey_on_the_responses_page(
    client: httpx.AsyncClient,
) -> None:
    first = await make_survey()
    second = await make_survey()
    for definition in (first, second, first):
        response, _ = await answer_all(client, definition, VALID_ANSWERS)
        assert response.status_code == 303
    await log_in(client)
    page = (await client.get(f"/staff/surveys/{first.slug}")).text
    assert _shown_numbers(page) == [2, 1]  # newest first
    page = (await client.get(f"/staff/surveys/{second.slug}")).text
    assert _shown_numbers(page) == [1]


async def test_response_numbers_concurrent_submissions_get_distinct_numbers() -> None:
    definition = await make_survey()
    answers = {"q_quartier": "bissy"}
    await asyncio.gather(
        *(
            submit_response(definition, answers, key=uuid.uuid4(), language="fr", via=Open())
            for _ in range(20)
        )
    )
    assert await _numbers(definition.id) == list(range(1, 21))


async def test_response_numbers_retried_key_takes_no_new_number() -> None:
    definition = await make_survey()
    key = uuid.uuid4()
    receipt = await submit_response(
        definition, {"q_quartier": "bissy"}, key=key, language="fr", via=Open()
    )
    again = await submit_response(
        definition, {"q_quartier": "bissy"}, key=key, language="fr", via=Open()
    )
    assert again == receipt
    await submit_response(
        definition, {"q_quartier": "bissy"}, key=uuid.uuid4(), language="fr", via=Paper()
    )
    assert await _numbers(definition.id) == [1, 2]


async def test_response_numbers_never_given_again_after_an_erasure() -> None:
    definition = await make_survey()
    receipts = [
        await submit_response(
            definition, {"q_quartier": "bissy"}, key=uuid.uuid4(), language="fr", via=Open()
        )
        for _ in range(2)
    ]
    await erase_by_receipt(definition, receipts[1])
    await submit_response(
        definition, {"q_quartier": "bissy"}, key=uuid.uuid4(), language="fr", via=Open()
    )
    assert await _numbers(definition.id) == [1, 3]


async def test_response_numbers_are_unique_per_survey() -> None:
    definition = await make_survey()
    for _ in range(2):
        await submit_response(
            definition, {"q_quartier": "bissy"}, key=uuid.uuid4(), language="fr", via=Open()
        )
    async with connection() as conn:
        with pytest.raises(asyncpg.UniqueViolationError, match="responses_survey_number"):
            await conn.execute(
                "UPDATE responses SET number = 1 WHERE survey_id = $1", definition.id
            )
