"""A resident answering a survey over HTTP, page by page."""

from __future__ import annotations

import httpx

from survey.domain.definitions import SurveyDef
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
