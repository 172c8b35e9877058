"""Responses out as an Excel workbook, with answer labels or raw codes."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

from openpyxl import Workbook

from survey.domain.builder import LOCAL_TZ
from survey.domain.db import connection
from survey.domain.definitions import QuestionDef, SurveyDef
from survey.domain.responses import format_answer, neutralise
from survey.i18n import pick


async def export_xlsx(definition: SurveyDef, language: str, *, labels: bool = True) -> bytes:
    """The responses as an Excel workbook: answer labels and question texts, or raw codes."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("responses")
    questions = definition.questions
    head = ["id", "submitted_at", "channel", "language"]
    if labels:
        sheet.append(head + [neutralise(pick(q.text, language)) for q in questions])
    else:
        sheet.append(head + [q.code for q in questions])
    async with connection() as conn, conn.transaction():
        cursor = conn.cursor(
            "SELECT id, answers, language, channel, submitted_at FROM responses"
            " WHERE survey_id = $1 ORDER BY id",
            definition.id,
            prefetch=1000,
        )
        async for record in cursor:
            answers = json.loads(record["answers"])
            moment = record["submitted_at"].astimezone(LOCAL_TZ).replace(tzinfo=None)
            cells: list[Any] = [record["id"], moment, record["channel"], record["language"]]
            for q in questions:
                cells.append(_xlsx_cell(definition, q, answers, language, labels))
            sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(
    definition: SurveyDef, q: QuestionDef, answers: Mapping[str, Any], lang: str, labels: bool
) -> Any:
    value = answers.get(q.code)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if labels:
        text = format_answer(definition, q.code, value, lang, other=answers.get(f"{q.code}__other"))
    elif isinstance(value, list):
        text = ";".join(str(v) for v in value)
        if f"{q.code}__other" in answers:
            text += f";{answers[f'{q.code}__other']}"
    else:
        text = str(value)
    # Text starting with "=" would be stored as a formula by the spreadsheet library.
    return neutralise(text)
