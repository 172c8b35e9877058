"""Reads of the ``responses`` table outside the answering flow: texts for the needs analysis,
counts for the staff list and the builder's guards, one response by its receipt."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, NamedTuple

import asyncpg

from survey.domain.db import connection


class TextAnswer(NamedTuple):
    """One resident's answer to a free-text question (unmasked: callers mask)."""

    response_id: int
    text: str


class StoredResponse(NamedTuple):
    id: int
    answers: dict[str, Any]
    submitted_at: dt.datetime


@asynccontextmanager
async def _using(conn: asyncpg.Connection | None) -> AsyncIterator[asyncpg.Connection]:
    if conn is not None:
        yield conn
    else:
        async with connection() as own:
            yield own


async def counts_by_survey() -> dict[int, int]:
    """How many responses each survey holds (surveys without any are absent)."""
    async with connection() as conn:
        rows = await conn.fetch("SELECT survey_id, count(*) FROM responses GROUP BY survey_id")
    return {int(r["survey_id"]): int(r["count"]) for r in rows}


async def text_answers(
    survey_id: int, code: str, *, ids: Sequence[int] | None = None
) -> list[TextAnswer]:
    """The answers to question ``code`` of a survey, in submission order; only ``ids`` if given."""
    async with connection() as conn:
        if ids is None:
            rows = await conn.fetch(
                "SELECT id, answers->>$2 AS text FROM responses"
                " WHERE survey_id = $1 AND answers ? $2 ORDER BY id",
                survey_id,
                code,
            )
        else:
            rows = await conn.fetch(
                "SELECT id, answers->>$2 AS text FROM responses"
                " WHERE survey_id = $1 AND id = ANY($3::bigint[]) ORDER BY id",
                survey_id,
                code,
                list(ids),
            )
    return [TextAnswer(int(r["id"]), r["text"] or "") for r in rows]


async def texts_of(ids: Sequence[int], code: str) -> list[TextAnswer]:
    """The answers to ``code`` of these responses, whatever their survey."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT id, answers->>$2 AS text FROM responses WHERE id = ANY($1::bigint[])",
            list(ids),
            code,
        )
    return [TextAnswer(int(r["id"]), r["text"] or "") for r in rows]


async def answer_text(response_id: int, code: str) -> str:
    """One response's answer to ``code`` as text ('' when absent)."""
    async with connection() as conn:
        value = await conn.fetchval(
            "SELECT coalesce(answers->>$2, '') FROM responses WHERE id = $1", response_id, code
        )
    return str(value or "")


async def by_receipt(survey_id: int, receipt: str) -> StoredResponse | None:
    """The response of a survey carrying this receipt code, if any."""
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT id, answers, submitted_at FROM responses WHERE survey_id = $1 AND receipt = $2",
            survey_id,
            receipt,
        )
    if row is None:
        return None
    return StoredResponse(int(row["id"]), json.loads(row["answers"]), row["submitted_at"])


async def count_with_choice(
    survey_id: int, code: str, choice: str, *, conn: asyncpg.Connection | None = None
) -> int:
    """Responses whose answer to ``code`` is, or includes, the choice ``choice``."""
    async with _using(conn) as c:
        return int(
            await c.fetchval(
                "SELECT count(*) FROM responses WHERE survey_id = $1"
                " AND (answers -> $2 = to_jsonb($3::text)"
                " OR answers -> $2 @> jsonb_build_array($3::text))",
                survey_id,
                code,
                choice,
            )
        )


async def count_outside(
    survey_id: int,
    code: str,
    low: float | None,
    high: float | None,
    *,
    conn: asyncpg.Connection | None = None,
) -> int:
    """Responses whose number answered to ``code`` lies below ``low`` or above ``high``."""
    async with _using(conn) as c:
        return int(
            await c.fetchval(
                "SELECT count(*) FROM responses WHERE survey_id = $1"
                " AND jsonb_typeof(answers -> $2) = 'number'"
                " AND (($3::numeric IS NOT NULL AND (answers ->> $2)::numeric < $3::numeric)"
                " OR ($4::numeric IS NOT NULL AND (answers ->> $2)::numeric > $4::numeric))",
                survey_id,
                code,
                None if low is None else str(low),
                None if high is None else str(high),
            )
        )
