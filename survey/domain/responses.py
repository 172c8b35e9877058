"""Submitting, listing and exporting responses."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.enums import Channel, QuestionKind, SurveyStatus
from survey.errors import SurveyError

RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I: read out on the phone

_INSERT = """
INSERT INTO responses (survey_id, idempotency_key, receipt, answers, language, channel,
                       submitted_at)
VALUES ($1, $2, $3, $4::jsonb, $5, $6, now())
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING receipt
"""
_EXISTING = "SELECT receipt, survey_id FROM responses WHERE idempotency_key = $1"


def _as_datetime(value: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def new_receipt() -> str:
    # 32 letters: each random byte modulo 32 is uniform, and one call is far cheaper.
    return "".join(RECEIPT_ALPHABET[b % 32] for b in secrets.token_bytes(10))


def parse_key(value: str) -> uuid.UUID:
    """The idempotency key sent with a form; a malformed one is refused."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError) as exc:
        raise SurveyError("error.bad_form") from exc


async def submit_response(
    definition: SurveyDef,
    answers: dict[str, Any],
    *,
    key: uuid.UUID,
    language: str,
    channel: Channel = Channel.WEB,
) -> str:
    """Store a validated response once per idempotency key; return its receipt code.

    A repeated key (double tap, retried POST) returns the receipt of the stored row.
    """
    if definition.status != SurveyStatus.OPEN and channel == Channel.WEB:
        raise SurveyError("error.survey_closed")
    payload = json.dumps(answers, ensure_ascii=False)
    async with connection() as conn:
        for _ in range(3):
            receipt = await conn.fetchval(
                _INSERT, definition.id, key, new_receipt(), payload, language, str(channel)
            )
            if receipt:
                return str(receipt)
            row = await conn.fetchrow(_EXISTING, key)
            if row:
                if row["survey_id"] != definition.id:
                    raise SurveyError("error.bad_form")
                return str(row["receipt"])
            # Neither inserted nor found: the receipt collided; draw another.
    raise SurveyError("error.try_again")


async def count_responses(survey_id: int) -> int:
    async with connection() as conn:
        return int(
            await conn.fetchval("SELECT count(*) FROM responses WHERE survey_id = $1", survey_id)
        )


async def list_responses(survey_id: int, *, page: int, per_page: int = 50) -> list[dict[str, Any]]:
    """One page of responses, newest first (keyset-friendly index on survey, date)."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT id, answers, language, channel, submitted_at FROM responses"
            " WHERE survey_id = $1 ORDER BY submitted_at DESC, id DESC LIMIT $2 OFFSET $3",
            survey_id,
            per_page,
            max(page - 1, 0) * per_page,
        )
    return [{**dict(r), "answers": json.loads(r["answers"])} for r in rows]


def format_answer(
    definition: SurveyDef,
    code: str,
    value: Any,
    language: str,
    *,
    labels: bool = True,
    other: str | None = None,
) -> str:
    """One answer as text for tables and exports."""
    if value is None:
        return ""
    question = definition.question(code)
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


def export_header(definition: SurveyDef, language: str) -> list[str]:
    return ["id", "submitted_at", "channel", "language"] + [q.code for q in definition.questions]


def export_row(definition: SurveyDef, row: dict[str, Any], language: str) -> list[str]:
    answers = row["answers"]
    cells = [str(row["id"]), row["submitted_at"].isoformat(), row["channel"], row["language"]]
    for q in definition.questions:
        cells.append(
            format_answer(
                definition,
                q.code,
                answers.get(q.code),
                language,
                other=answers.get(f"{q.code}__other"),
            )
        )
    return [neutralise(c) for c in cells]


async def _stream_rows(survey_id: int, batch: int = 2000) -> AsyncIterator[list[dict[str, Any]]]:
    async with connection() as conn, conn.transaction():
        cursor = conn.cursor(
            "SELECT id, answers, language, channel, submitted_at FROM responses"
            " WHERE survey_id = $1 ORDER BY id",
            survey_id,
            prefetch=batch,
        )
        rows: list[dict[str, Any]] = []
        async for record in cursor:
            rows.append({**dict(record), "answers": json.loads(record["answers"])})
            if len(rows) >= batch:
                yield rows
                rows = []
        if rows:
            yield rows


async def export_csv(definition: SurveyDef, language: str) -> AsyncIterator[str]:
    """The survey's responses as CSV text chunks, streamed in batches."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(export_header(definition, language))
    yield "\ufeff" + buffer.getvalue()  # BOM so spreadsheet programs read UTF-8.
    async for rows in _stream_rows(definition.id):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(export_row(definition, r, language) for r in rows)
        yield buffer.getvalue()


async def export_json(definition: SurveyDef) -> AsyncIterator[str]:
    """The survey's responses as a JSON array, streamed."""
    yield "["
    first = True
    async for rows in _stream_rows(definition.id):
        for r in rows:
            item = {
                "id": r["id"],
                "submitted_at": r["submitted_at"].isoformat(),
                "channel": r["channel"],
                "language": r["language"],
                "answers": r["answers"],
            }
            yield ("" if first else ",\n") + json.dumps(item, ensure_ascii=False)
            first = False
    yield "]\n"


async def load_responses(definition: SurveyDef, items: Iterable[dict[str, Any]]) -> int:
    """Bulk-store already validated responses (demo data, imports); skip known keys."""
    records = [
        (
            definition.id,
            uuid.UUID(i["key"]),
            new_receipt(),
            json.dumps(i["answers"], ensure_ascii=False),
            i.get("language", "fr"),
            i.get("channel", "web"),
            i["submitted_at"],
        )
        for i in items
    ]
    records = [r[:6] + (_as_datetime(r[6]),) for r in records]
    async with connection() as conn:
        before = await conn.fetchval(
            "SELECT count(*) FROM responses WHERE survey_id = $1", definition.id
        )
        await conn.executemany(
            "INSERT INTO responses (survey_id, idempotency_key, receipt, answers, language,"
            " channel, submitted_at) VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)"
            " ON CONFLICT (idempotency_key) DO NOTHING",
            records,
        )
        after = await conn.fetchval(
            "SELECT count(*) FROM responses WHERE survey_id = $1", definition.id
        )
    return int(after - before)
