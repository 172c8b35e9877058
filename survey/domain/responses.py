"""Responses: their keys and receipts, listing and exporting them (storing one is
``survey.domain.answering``).

A survey may be edited while residents fill it in. Three rules keep every accepted answer:

- a published survey's questions are retired, never deleted (``survey.domain.builder``), so
  a code once answered always names a question that exports and staff pages show;
- a page rendered before an edit can still be sent: fields of retired questions are kept
  (``retired_answers``), fields no question knows any more are ignored, the rest stored
  (``known_answers``);
- storing a response (``answering``) locks the survey row ``FOR SHARE`` in the same
  statement and checks the version the answers were validated against. The builder edits
  under ``FOR UPDATE`` of that row, so its "already answered?" count and a submission are
  serialised: either the answer is stored first and counted, or the edit commits first and
  the answers are mapped onto the new version (codes it no longer has are dropped, which
  only a draft with no response at all can lose) before being stored.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

from analysis.text import mask_personal_data
from survey import localtime
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.forms import RawForm, clean_answer, field_names
from survey.domain.queries import responses_export
from survey.enums import TEXT_KINDS, QuestionKind
from survey.errors import SurveyError
from survey.i18n import translate


def random_uuid() -> str:
    """A fresh idempotency key: a random (version 4) UUID in its usual text form, written
    straight from random bytes (``str(uuid.uuid4())`` costs several times more, on every page
    a resident opens)."""
    h = secrets.token_hex(16)
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"


def parse_key(value: str) -> uuid.UUID:
    """The idempotency key sent with a form; a malformed one is refused."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError) as exc:
        raise SurveyError("error.bad_form") from exc


_all_fields: dict[int, tuple[SurveyDef, frozenset[str]]] = {}


def _fields_of(definition: SurveyDef) -> frozenset[str]:
    """Field names of every question shown or retired (cached per definition: hot path)."""
    hit = _all_fields.get(id(definition))
    if hit is not None and hit[0] is definition:
        return hit[1]
    names = frozenset(name for q in definition.questions for name in field_names(q))
    if len(_all_fields) > 256:
        _all_fields.clear()
    _all_fields[id(definition)] = (definition, names)
    return names


def known_answers(definition: SurveyDef, raw: RawForm) -> RawForm:
    """The posted answer fields the survey knows; others (a page rendered before a question
    was renamed or a draft's question deleted) are ignored rather than refused."""
    known = _fields_of(definition)
    if known.issuperset(raw):
        return raw
    return {name: values for name, values in raw.items() if name in known}


def retired_answers(definition: SurveyDef, raw: RawForm) -> dict[str, Any]:
    """Valid answers to retired questions sent by a page rendered before they were retired."""
    kept: dict[str, Any] = {}
    for question in definition.retired:
        if any(name in raw for name in field_names(question)):
            values, error = clean_answer(question, raw)
            if error is None:
                kept.update(values)
    return kept


async def count_responses(survey_id: int) -> int:
    return await responses_export.count_of_survey(survey_id)


async def list_responses(survey_id: int, *, page: int, per_page: int = 50) -> list[dict[str, Any]]:
    """One page of responses, newest first."""
    rows = await responses_export.page_of_survey(survey_id, per_page, max(page - 1, 0) * per_page)
    return [row._asdict() for row in rows]


def format_answer(
    definition: SurveyDef,
    code: str,
    value: Any,
    language: str,
    *,
    labels: bool = True,
    other: str | None = None,
    mask: bool = False,
) -> str:
    """One answer as text for tables and exports.

    ``mask`` hides e-mail addresses and phone numbers typed into free text (staff pages),
    except in questions that collect contact details on purpose.
    """
    if value is None:
        return ""
    question = definition.question(code)
    if mask and not question.personal_data:
        text = format_answer(definition, code, value, language, labels=labels, other=other)
        return mask_personal_data(text)
    if question.kind == QuestionKind.RANKING:
        return " > ".join(question.choice_label(v, language) if labels else v for v in value)
    if question.kind == QuestionKind.MULTIPLE:
        parts = [
            (other or "")
            if v == "__other__" and labels
            else (question.choice_label(v, language) if labels else v)
            for v in value
        ]
        return "; ".join(p for p in parts if p)
    if question.choices and labels:
        return question.choice_label(str(value), language)
    return str(value)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(cell: str) -> str:
    """Keep spreadsheets from running a cell as a formula (CSV injection)."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def export_header(definition: SurveyDef, language: str, zone: ZoneInfo) -> list[str]:
    """The CSV's first row; the moment's column says which zone its times are in."""
    submitted = translate(language, "time.export_submitted_at", zone=zone.key)
    return ["id", submitted, "channel", "language"] + [q.code for q in definition.questions]


async def _stream_rows(survey_id: int, batch: int = 2000) -> AsyncIterator[list[dict[str, Any]]]:
    async with connection() as conn, conn.transaction():
        async for rows in responses_export.batches_of_survey(conn, survey_id, batch):
            yield [row._asdict() for row in rows]


def _export_columns(definition: SurveyDef, language: str) -> list[responses_export.ExportColumn]:
    """How the CSV writes each question: its labels in ``language``, neutralised once here
    rather than on every row."""
    columns = []
    for q in definition.questions:
        labels = json.dumps(
            {c.code: neutralise(c.text(language)) for c in q.choices}, ensure_ascii=False
        )
        if q.kind in (QuestionKind.MULTIPLE, QuestionKind.RANKING):
            separator = " > " if q.kind == QuestionKind.RANKING else "; "
            columns.append(responses_export.ExportColumn(q.code, "list", labels, separator))
        elif q.choices:
            columns.append(responses_export.ExportColumn(q.code, "choice", labels))
        elif q.kind in TEXT_KINDS or q.kind == QuestionKind.CONTACT:
            columns.append(responses_export.ExportColumn(q.code, "text"))
        else:
            columns.append(responses_export.ExportColumn(q.code, "plain"))
    return columns


_EXPORT_PIECE = 256 * 1024


async def export_csv(definition: SurveyDef, language: str, zone: ZoneInfo) -> AsyncIterator[bytes]:
    """The survey's responses as CSV (UTF-8 bytes with a BOM), streamed; moments in ISO 8601
    as wall-clock time of ``zone`` with its offset (``2026-12-02T14:30:00+01:00``).

    PostgreSQL writes the CSV itself (``COPY ... TO STDOUT``), labels and formula
    neutralising included; chunks flow through a small queue, so memory stays flat
    whatever the number of responses.
    """
    buffer = io.StringIO()
    csv.writer(buffer).writerow(export_header(definition, language, zone))
    yield ("\ufeff" + buffer.getvalue()).encode()  # BOM so spreadsheets read UTF-8.
    columns = _export_columns(definition, language)
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=8)
    pending = bytearray()

    async def sink(chunk: bytes) -> None:
        # PostgreSQL's pieces are small (about 8 KB): sending them in larger ones halves
        # the work of the web server per byte.
        pending.extend(chunk)
        if len(pending) >= _EXPORT_PIECE:
            await queue.put(bytes(pending))
            pending.clear()

    async def copy(conn: Any) -> None:
        try:
            async with conn.transaction():
                await responses_export.copy_csv(conn, definition.id, columns, zone.key, sink)
            if pending:
                await queue.put(bytes(pending))
        finally:
            await queue.put(None)

    async with connection() as conn:
        task = asyncio.create_task(copy(conn))
        try:
            while (chunk := await queue.get()) is not None:
                yield chunk
            await task
        finally:
            if not task.done():
                task.cancel()


async def export_json(definition: SurveyDef, zone: ZoneInfo) -> AsyncIterator[str]:
    """The survey's responses as a JSON array, streamed; ``submitted_at`` in ISO 8601 as
    wall-clock time of ``zone`` with its offset."""
    yield "["
    first = True
    async for rows in _stream_rows(definition.id):
        for r in rows:
            item = {
                "id": r["id"],
                "submitted_at": localtime.export(r["submitted_at"], zone),
                "channel": r["channel"],
                "language": r["language"],
                "answers": r["answers"],
            }
            yield ("" if first else ",\n") + json.dumps(item, ensure_ascii=False)
            first = False
    yield "]\n"
