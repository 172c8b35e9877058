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


class Stored(NamedTuple):
    """What the submit statement did: the receipts it stored, and the survey as it found it
    (``version`` None: no such survey)."""

    receipts: list[str]
    version: int | None
    accepting: bool | None


class KeyedResponse(NamedTuple):
    receipt: str
    survey_id: int


_INSERT = """
WITH current AS (
    -- Waits for an edit of the survey in progress; builder edits wait for this statement.
    SELECT version,
           status <> 'closed' AND (closes_at IS NULL OR now() < closes_at)
           AND (NOT $9 OR (status = 'open' AND (opens_at IS NULL OR now() >= opens_at)))
           AS accepting
    FROM surveys WHERE id = $1 FOR SHARE
), inserted AS (
    INSERT INTO responses (survey_id, idempotency_key, receipt, answers, language, channel,
                           submitted_at)
    SELECT $1, r.key, r.receipt, r.answers::jsonb, r.language, r.channel, coalesce(r.at, now())
    FROM current, unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::timestamptz[]) AS r(key, receipt, answers, language, channel, at)
    WHERE current.version = $8 AND (current.accepting OR NOT $10)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING receipt
), notified AS (
    -- Only a newly stored response is announced, in the same statement: one round trip on
    -- the submit path, and a retry never notifies twice.
    INSERT INTO jobs (kind, payload, state, progress, error, created_at)
    SELECT $12::text, jsonb_build_object('webhook', w.id, 'receipt', i.receipt, 'attempt', 1),
           'queued', 0, '', now()
    FROM webhooks w CROSS JOIN inserted i
    WHERE w.survey_id = $1 AND w.active AND $11
)
SELECT (SELECT array_agg(receipt) FROM inserted) AS receipts,
       (SELECT version FROM current) AS version, (SELECT accepting FROM current) AS accepting
"""


async def insert_checked(
    conn: asyncpg.Connection,
    survey_id: int,
    version: int,
    rows: tuple[
        Sequence[Any], Sequence[str], Sequence[str], Sequence[str], Sequence[str], Sequence[Any]
    ],
    *,
    resident: bool,
    checked: bool,
    notify: bool,
    job_kind: str,
) -> Stored:
    """Store responses (keys, receipts, answers as JSON text, languages, channels, moments)
    if the survey is still at ``version`` and, when ``checked``, takes answers (``resident``:
    open and begun too); queue a ``job_kind`` job for each active webhook when ``notify``.
    Status check, idempotent insert and webhook queue are one statement: one round trip."""
    keys, receipts, answers, languages, channels, moments = rows
    record = await conn.fetchrow(
        _INSERT,
        survey_id,
        keys,
        receipts,
        answers,
        languages,
        channels,
        moments,
        version,
        resident,
        checked,
        notify,
        job_kind,
    )
    assert record is not None  # the final SELECT of scalar subqueries returns one row
    return Stored(list(record["receipts"] or ()), record["version"], record["accepting"])


async def by_key(conn: asyncpg.Connection, key: Any) -> KeyedResponse | None:
    """The response stored under this idempotency key, if any."""
    row = await conn.fetchrow(
        "SELECT receipt, survey_id FROM responses WHERE idempotency_key = $1", key
    )
    return None if row is None else KeyedResponse(str(row["receipt"]), int(row["survey_id"]))
