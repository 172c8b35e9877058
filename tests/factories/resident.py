"""A resident answering a survey over HTTP, page by page."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

import httpx

from survey.domain.definitions import SurveyDef
from survey.enums import QuestionKind
from tests.htmlform import hidden_fields, post_form


def section_fields(definition: SurveyDef, step: int, answers: dict[str, list[str]]):
    codes = {q.code for q in definition.sections[step].questions}
    return [
        (name, v)
        for name, values in answers.items()
        if name[2:].split("__")[0] in codes
        for v in values
    ]


async def post_step(
    client: httpx.AsyncClient,
    definition: SurveyDef,
    page: str,
    step: int,
    answers: dict[str, list[str]],
    action: str = "next",
) -> httpx.Response:
    data = hidden_fields(page) + section_fields(definition, step, answers)
    data.append(("action", action))
    return await post_form(client, f"/s/{definition.slug}", data)


async def answer_all(
    client: httpx.AsyncClient, definition: SurveyDef, answers: dict[str, list[str]]
) -> tuple[httpx.Response, list]:
    page = (await client.get(f"/s/{definition.slug}")).text
    for step in range(len(definition.sections)):
        last_form = hidden_fields(page) + section_fields(definition, step, answers)
        response = await post_step(client, definition, page, step, answers)
        page = response.text
    return response, last_form


START = dt.datetime(2026, 10, 1, 6, 0, tzinfo=dt.UTC)


def random_answers(definition: SurveyDef, rnd: random.Random) -> dict[str, Any]:
    """A valid response of the demo survey, optional questions sometimes left out."""
    answers: dict[str, Any] = {}
    for q in definition.questions:
        if not q.required and rnd.random() < 0.3:
            continue
        codes = [c.code for c in q.choices]
        if q.kind in (QuestionKind.SINGLE, QuestionKind.TERRITORY, QuestionKind.YES_NO):
            # Skewed, so that some groups stay small.
            answers[q.code] = codes[min(int(rnd.expovariate(0.6)), len(codes) - 1)]
        elif q.kind == QuestionKind.MULTIPLE:
            answers[q.code] = rnd.sample(codes, rnd.randint(1, 3))
        elif q.kind == QuestionKind.RANKING:
            answers[q.code] = rnd.sample(codes, len(codes))
        elif q.kind == QuestionKind.SCALE:
            answers[q.code] = rnd.randint(q.settings.get("min", 1), q.settings.get("max", 5))
        elif q.kind == QuestionKind.NUMBER:
            answers[q.code] = rnd.choice([0, 1, 2, 2.5, 4, 8, 12, 40])
        elif q.kind == QuestionKind.DATE:
            answers[q.code] = "2020-01-01"
        elif q.kind == QuestionKind.CONTACT:
            answers[q.code] = f"person{rnd.randint(1, 9999)}@example.org"
        else:
            answers[q.code] = f"réponse libre {rnd.randint(1, 10**6)}"
    return answers


def random_items(definition: SurveyDef, n: int, seed: int) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    return [
        {
            "key": str(uuid.uuid4()),  # unique across tests: stored keys are global
            "answers": random_answers(definition, rnd),
            "channel": rnd.choice(["web", "web", "web", "paper", "import"]),
            "language": "fr",
            "submitted_at": START + dt.timedelta(minutes=rnd.randrange(20 * 24 * 60)),
        }
        for _ in range(n)
    ]
