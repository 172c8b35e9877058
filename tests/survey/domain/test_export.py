"""The CSV export, written by PostgreSQL, against reference rows written here in Python."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import httpx
import pytest

from survey import localtime
from survey.domain.answering import Open, submit_response
from survey.domain.definitions import SurveyDef
from survey.domain.forms import walk_sections
from survey.domain.responses import (
    _stream_rows,
    export_header,
    format_answer,
    neutralise,
)
from tests.factories import PARIS, VALID_ANSWERS, make_survey
from tests.factories.staff import login, staff_user

pytestmark = pytest.mark.usefixtures("orm")


def export_row(definition: SurveyDef, row: dict[str, Any], language: str) -> list[str]:
    """The CSV row of a response, cell by cell as the staff pages show answers."""
    answers = row["answers"]
    submitted = localtime.export(row["submitted_at"], PARIS)
    cells = [str(row["id"]), submitted, row["channel"], row["language"]]
    for q in definition.questions:
        other = answers.get(f"{q.code}__other")
        cells.append(format_answer(definition, q.code, answers.get(q.code), language, other=other))
    return [neutralise(c) for c in cells]


VARIANTS: list[dict[str, list[str]]] = [
    VALID_ANSWERS,
    {**VALID_ANSWERS, "q_manque": ["=SUM(A1:A9)"], "q_services__other": ["+33 6 12"]},
    {**VALID_ANSWERS, "q_services": ["__other__"], "q_services__other": ['@cmd, "quoted"']},
    {**VALID_ANSWERS, "q_services": ["mediatheque", "centre_social"], "q_agir": [""]},
    {**VALID_ANSWERS, "q_services": [], "q_services__other": [], "q_contact": ["06 12 34 56 78"]},
    {**VALID_ANSWERS, "q_manque": ["Ligne 1\nligne 2 ; « guillemets »"], "q_heures": [""]},
    {**VALID_ANSWERS, "q_priorites__mobilite": ["5"], "q_priorites__logement": ["2"]},
]


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_csv_export_equals_the_python_rows(client: httpx.AsyncClient, language: str) -> None:
    definition = await make_survey(slug=f"export-{language}")
    for raw in VARIANTS:
        walk = walk_sections(definition.sections, raw)
        assert walk.failed is None, walk.errors
        await submit_response(definition, walk.answers, key=uuid.uuid4(), language="fr", via=Open())
    expected = [export_header(definition, language, PARIS)]
    async for rows in _stream_rows(definition.id):
        expected += [export_row(definition, row, language) for row in rows]
    await staff_user(f"export-{language}@example.org")
    await login(client, f"export-{language}@example.org")
    response = await client.get(
        f"/staff/surveys/{definition.slug}/export", params={"format": "csv", "lang": language}
    )
    assert response.status_code == 200
    got = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"), newline="")))
    # PostgreSQL leaves a missing answer empty; Python writes an empty string too.
    assert len(got) == len(VARIANTS) + 1
    for got_row, want_row in zip(got, expected, strict=True):
        assert got_row == want_row
