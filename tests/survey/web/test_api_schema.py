"""The JSON API against its own OpenAPI description, with generated requests.

Every operation of ``/api/openapi.json`` is called over real HTTP with requests generated
from the description (valid and invalid path and query values, with and without a token);
every answer must be a documented status with a body that matches its schema, and no
request may end in a server error.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from survey.domain import api_tokens, openapi
from survey.domain.accounts import create_user
from survey.domain.answering import Open, submit_response
from survey.domain.forms import walk_sections
from survey.enums import Role
from tests.factories import VALID_ANSWERS, make_survey

pytestmark = pytest.mark.usefixtures("orm")


@pytest.fixture(scope="module")
async def api_token(orm: str) -> str:
    """A staff token, and a survey with two responses for the API to return."""
    definition = await make_survey(slug=f"api-{uuid.uuid4().hex[:8]}")
    answers = walk_sections(definition.sections, VALID_ANSWERS).answers
    for _ in range(2):
        await submit_response(definition, answers, key=uuid.uuid4(), language="fr", via=Open())
    user = await create_user(f"api-{uuid.uuid4().hex[:8]}@parlons.example", "x" * 16, Role.STAFF)
    return await api_tokens.create_api_token(user.id, "schema")


def _operations(document: dict) -> list:
    schema = schemathesis.openapi.from_dict(document)
    return [result.ok() for result in schema.get_all_operations()]


def test_the_description_has_every_api_route() -> None:
    paths = {operation.path for operation in _operations(openapi.openapi_document())}
    assert paths == {"/api/surveys", "/api/surveys/{slug}", "/api/surveys/{slug}/responses"}


@pytest.mark.parametrize("authorised", [True, False], ids=["token", "no-token"])
def test_every_operation_answers_as_described(
    live_server: str, api_token: str, authorised: bool
) -> None:
    document = httpx.get(f"{live_server}/api/openapi.json", timeout=10).json()
    headers = {"Authorization": f"Bearer {api_token}"} if authorised else {}
    failures: list[str] = []
    for operation in _operations(document):

        @settings(
            max_examples=40,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            response = case.call(base_url=live_server, headers=headers, timeout=10)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")
            try:
                case.validate_response(response)
            except Exception as error:  # a group of the failed checks
                failures.append(f"{case.method} {case.formatted_path} {case.query}: {error}")

        run()
    assert failures == []
