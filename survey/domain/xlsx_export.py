"""Responses out as an Excel workbook, with answer labels or raw codes."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from survey import localtime
from survey.domain.db import connection
from survey.domain.definitions import QuestionDef, SurveyDef
from survey.domain.queries import responses
from survey.domain.responses import format_answer, neutralise
from survey.i18n import pick


async def export_xlsx(
    definition: SurveyDef, language: str, zone: ZoneInfo, *, labels: bool = True
) -> bytes:
    """The responses as an Excel workbook: answer labels and question texts, or raw codes.

    A spreadsheet's dates carry no zone: moments are written as the wall-clock time of
    ``zone`` and the column's header says which zone that is."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("responses")
    questions = definition.questions
    submitted = f"submitted_at ({localtime.zone_note(zone, language)})"
    head = ["id", submitted, "channel", "language"]
    if labels:
        sheet.append(head + [neutralise(pick(q.text, language)) for q in questions])
    else:
        sheet.append(head + [q.code for q in questions])
    async with connection() as conn, conn.transaction():
        async for row in responses.for_export(conn, definition.id):
            moment = localtime.local(row.submitted_at, zone).replace(tzinfo=None)
            cells: list[Any] = [row.id, moment, row.channel, row.language]
            for q in questions:
                cells.append(_xlsx_cell(definition, q, row.answers, language, labels))
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
