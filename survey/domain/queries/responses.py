"""Reads of the ``responses`` table outside the answering flow: texts for the needs analysis,
counts for the staff list and the builder's guards, one response by its receipt."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Hashable, Sequence
from contextlib import asynccontextmanager
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import asyncpg

from survey.domain.dashboard_filters import Filters, response_where
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.queries.dashboard_tallies import BASE_COLUMNS, SLOTS, DayCount, SlotCount


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


# The volunteer pool of a council's draw. Responses that volunteered and were not drawn
# before for this council ($1 survey, $2 volunteer question, $3 council, $4 contact question),
# each marked reachable when its contact answer is an e-mail address or a phone number as the
# survey form accepts them; the pool is the reachable ones, and every query below starts
# from it.
_POOL = (
    "WITH volunteers AS (SELECT r.id, r.answers,"
    " (length(c.text) <= 254"
    "  AND c.text ~ '^[^@[:space:]<>]+@[^@[:space:]<>]+[.][^@[:space:]<>]{2,}$')"
    " OR c.text ~ '^[+]?[0-9][0-9 .()-]{7,18}[0-9]$' AS reachable"
    " FROM responses r CROSS JOIN LATERAL (SELECT btrim(coalesce(r.answers->>$4, '')) AS text) c"
    " WHERE r.survey_id = $1 AND r.answers->>$2 = 'yes' AND NOT EXISTS (SELECT 1"
    " FROM sortition_draws d WHERE d.council_id = $3 AND d.selected @> to_jsonb(r.id))),"
    " pool AS (SELECT id, answers FROM volunteers WHERE reachable) "
)
# The pool's size and the volunteers left out for want of a usable contact.
_POOL_SIZE = (
    _POOL  # noqa: S608 - constants, no input
    + "SELECT count(*) FILTER (WHERE reachable) AS pool,"
    " count(*) FILTER (WHERE NOT reachable) AS unreachable FROM volunteers"
)
_POOL_COUNTS = (
    _POOL  # noqa: S608 - constants only; every value is a placeholder
    + "SELECT k AS category, coalesce(p.answers->>k, '') AS value, count(*) AS n"
    " FROM pool p CROSS JOIN unnest($5::text[]) k GROUP BY 1, 2 ORDER BY 1, 2"
)
_POOL_ROWS = (
    _POOL  # noqa: S608 - constants only; every value is a placeholder
    + "SELECT p.id, coalesce(p.answers->>$4, '') AS contact,"
    " ARRAY(SELECT coalesce(p.answers->>k, '') FROM unnest($5::text[])"
    " WITH ORDINALITY u(k, n) ORDER BY n) AS strata FROM pool p"
)


class PoolQuery(NamedTuple):
    """Which volunteers make a draw's pool, and the stratification questions it is read by."""

    survey_id: int
    question: str  # the volunteer question: its "yes" answers volunteer
    council_id: int  # the responses drawn before for it are left out
    contact: str  # the contact question ("" when none: nobody is reachable)
    strata: list[str]


class VolunteerPool(NamedTuple):
    size: int
    # Volunteers left out because their contact answer is neither an e-mail nor a phone.
    unreachable: int
    # Stratification question → value ('' when unanswered) → volunteers of the pool.
    counts: dict[str, dict[str, int]]


class Volunteer(NamedTuple):
    id: int
    contact: str
    # The answers to the pool's stratification questions, in their order ('' when none).
    strata: list[str]


async def volunteer_pool(
    pool: PoolQuery, *, conn: asyncpg.Connection | None = None
) -> VolunteerPool:
    """The pool's size and its count per stratification value (grouped in PostgreSQL)."""
    async with _using(conn) as c:
        sizes = await c.fetchrow(
            _POOL_SIZE, pool.survey_id, pool.question, pool.council_id, pool.contact
        )
        rows = await c.fetch(
            _POOL_COUNTS, pool.survey_id, pool.question, pool.council_id, pool.contact, pool.strata
        )
    assert sizes is not None  # an aggregate always returns its one row
    counts: dict[str, dict[str, int]] = {s: {} for s in pool.strata}
    for r in rows:
        counts[r["category"]][r["value"]] = r["n"]
    return VolunteerPool(sizes["pool"], sizes["unreachable"], counts)


async def volunteers(conn: asyncpg.Connection, pool: PoolQuery) -> list[Volunteer]:
    """The volunteers of the pool, with their contact and stratification answers."""
    rows = await conn.fetch(
        _POOL_ROWS, pool.survey_id, pool.question, pool.council_id, pool.contact, pool.strata
    )
    return [Volunteer(int(r["id"]), r["contact"], list(r["strata"])) for r in rows]


async def counts_by_value(
    conn: asyncpg.Connection, ids: Sequence[Hashable], strata: Sequence[str]
) -> dict[tuple[str, str], int]:
    """How many of these responses (their ids as a draw gives them) gave each answer ('' when
    none) to each question of ``strata``: (question, value) → count."""
    rows = await conn.fetch(
        "SELECT k AS category, coalesce(r.answers->>k, '') AS value, count(*) AS n"
        " FROM responses r CROSS JOIN unnest($2::text[]) k WHERE r.id = ANY($1::bigint[])"
        " GROUP BY 1, 2",
        list(ids),
        list(strata),
    )
    return {(r["category"], r["value"]): int(r["n"]) for r in rows}


async def numbers(ids: Sequence[int]) -> dict[int, int]:
    """Each response's number within its survey, by response id."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT id, number FROM responses WHERE id = ANY($1::bigint[])", list(ids)
        )
    return {int(r["id"]): int(r["number"]) for r in rows}


async def answer_counts_by_code(conn: asyncpg.Connection, survey_id: int) -> dict[str, int]:
    """How many responses of a survey hold an answer for each question code (codes without
    any are absent), counted by PostgreSQL."""
    rows = await conn.fetch(
        "SELECT k, count(*) AS n FROM responses r, jsonb_object_keys(r.answers) k"
        " WHERE r.survey_id = $1 GROUP BY k",
        survey_id,
    )
    return {str(r["k"]): int(r["n"]) for r in rows}


async def count_for_survey(conn: asyncpg.Connection, survey_id: int) -> int:
    """How many responses a survey holds."""
    return int(
        await conn.fetchval("SELECT count(*) FROM responses WHERE survey_id = $1", survey_id)
    )


async def slot_counts(where: str, args: Sequence[Any]) -> tuple[list[SlotCount], list[DayCount]]:
    """The responses matching ``where`` (on ``responses r``) expanded into answer slots and
    counted, and counted per day and channel. ``args``: survey id, answered codes, value
    codes, array codes, "", "", zone name, then the parameters of ``where``."""
    sql = (
        # Constant fragments and numbered placeholders only: values travel as parameters.
        f"WITH base AS MATERIALIZED (SELECT {BASE_COLUMNS} FROM responses r WHERE {where}),"  # noqa: S608
        + SLOTS
        + " SELECT code, value, NULL::date AS day, NULL::text AS channel, count(*) AS n,"
        " coalesce(sum(pos), 0) AS total FROM slots GROUP BY code, value"
        " UNION ALL SELECT '', '', day, channel, count(*), 0 FROM base GROUP BY day, channel"
    )
    async with connection() as conn:
        rows = await conn.fetch(sql, *args)
    slots = [
        SlotCount(r["code"], r["value"], int(r["n"]), float(r["total"]))
        for r in rows
        if r["day"] is None
    ]
    days = [DayCount(r["day"], r["channel"], int(r["n"])) for r in rows if r["day"] is not None]
    return slots, days


async def count_paper(survey_id: int) -> int:
    """Responses of a survey typed in from paper."""
    async with connection() as conn:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM responses WHERE survey_id = $1 AND channel = 'paper'",
                survey_id,
            )
        )


class ExportRow(NamedTuple):
    id: int
    answers: dict[str, Any]
    language: str
    channel: str
    submitted_at: dt.datetime


async def for_export(conn: asyncpg.Connection, survey_id: int) -> AsyncIterator[ExportRow]:
    """A survey's responses in id order, read by a cursor (a thousand at a time) inside the
    caller's transaction."""
    cursor = conn.cursor(
        "SELECT id, answers, language, channel, submitted_at FROM responses"
        " WHERE survey_id = $1 ORDER BY id",
        survey_id,
        prefetch=1000,
    )
    async for record in cursor:
        yield ExportRow(
            record["id"],
            json.loads(record["answers"]),
            record["language"],
            record["channel"],
            record["submitted_at"],
        )


async def texts_under_filters(
    conn: asyncpg.Connection,
    definition: SurveyDef,
    filters: Filters,
    zone: ZoneInfo,
    ids: Sequence[int],
    code: str,
) -> list[TextAnswer]:
    """The answers to ``code`` of those of responses ``ids`` that ``filters`` keep (none
    empty or absent)."""
    args: list[Any] = [definition.id, list(ids), code]
    where = response_where(definition, filters, args, zone)
    rows = await conn.fetch(
        "SELECT r.id, r.answers ->> $3 AS text FROM responses r"  # noqa: S608
        f" WHERE r.id = ANY($2::bigint[]) AND {where}",
        *args,
    )
    return [TextAnswer(int(r["id"]), r["text"]) for r in rows if r["text"]]


class CodeText(NamedTuple):
    code: str
    text: str | None


async def latest_texts_under_filters(
    definition: SurveyDef, filters: Filters, zone: ZoneInfo, codes: Sequence[str], limit: int
) -> list[CodeText]:
    """The latest ``limit`` answers to each question of ``codes`` among the responses that
    ``filters`` keep, newest first, question after question in the order of ``codes``."""
    args: list[Any] = [definition.id, list(codes), limit]
    where = response_where(definition, filters, args, zone)
    sql = (
        "SELECT k.code, t.text FROM unnest($2::text[]) WITH ORDINALITY AS k(code, i)"  # noqa: S608
        " CROSS JOIN LATERAL (SELECT r.answers ->> k.code AS text FROM responses r"
        f" WHERE {where} AND r.answers ? k.code"
        " ORDER BY r.submitted_at DESC, r.id DESC LIMIT $3) t ORDER BY k.i"
    )
    async with connection() as conn:
        rows = await conn.fetch(sql, *args)
    return [CodeText(str(r["code"]), r["text"]) for r in rows]


class PairCount(NamedTuple):
    """Respondents who answered ``row`` and ``column`` (``column`` None: ``row``, all columns)."""

    row: str
    column: str | None
    n: int


# The choices answered to a question as a set of texts, whether one choice or several.
_ELEMENTS = (
    "jsonb_array_elements_text(CASE jsonb_typeof(r.answers -> {p})"
    " WHEN 'array' THEN r.answers -> {p}"
    " WHEN 'string' THEN jsonb_build_array(r.answers -> {p}) ELSE '[]'::jsonb END)"
)


async def pair_counts_under_filters(
    definition: SurveyDef, filters: Filters, zone: ZoneInfo, rows_code: str, columns_code: str
) -> list[PairCount]:
    """Respondents per pair of choices answered to two questions, and per choice of the
    first, among the responses ``filters`` keep."""
    args: list[Any] = [definition.id, rows_code, columns_code]
    where = response_where(definition, filters, args, zone)
    sql = (
        "SELECT a.value AS row, b.value AS col, count(DISTINCT r.id) AS n FROM responses r"  # noqa: S608
        f" CROSS JOIN LATERAL {_ELEMENTS.format(p='$2')} AS a(value)"
        f" CROSS JOIN LATERAL {_ELEMENTS.format(p='$3')} AS b(value)"
        f" WHERE {where} GROUP BY GROUPING SETS ((a.value, b.value), (a.value))"
    )
    async with connection() as conn:
        records = await conn.fetch(sql, *args)
    return [PairCount(r["row"], r["col"], int(r["n"])) for r in records]


class OfferAnswer(NamedTuple):
    """A resident's answer to an offers question, with what goes with it (unmasked)."""

    response_id: int
    text: str
    place: str
    hours: float | None
    consent: str
    reachable: bool
    actor_id: int | None


_OFFERS = """
SELECT r.id, r.answers->>$2 AS text, coalesce(r.answers->>$3, '') AS place,
       CASE WHEN jsonb_typeof(r.answers->$4) = 'number' THEN (r.answers->>$4)::float
            WHEN jsonb_typeof(r.answers->$4) = 'string'
            THEN replace(substring(r.answers->>$4 from '[0-9]+(?:[.,][0-9]+)?'), ',', '.')::float
       END AS hours,
       coalesce(r.answers->>$5, '') AS consent, coalesce(r.answers->>$6, '') <> '' AS reachable,
       a.id AS actor_id
FROM responses r LEFT JOIN actors a ON a.response_id = r.id
WHERE r.survey_id = $1 AND coalesce(r.answers->>$2, '') <> ''
ORDER BY r.id
"""


async def offers(
    survey_id: int, code: str, place: str, hours: str, consent: str, contact: str
) -> list[OfferAnswer]:
    """The answers to the offers question ``code``, each with the resident's answers to the
    place, hours, consent and contact questions (codes; '' for none) and the directory entry
    made from it, in submission order."""
    async with connection() as conn:
        rows = await conn.fetch(_OFFERS, survey_id, code, place, hours, consent, contact)
    return [
        OfferAnswer(
            response_id=int(r["id"]),
            text=r["text"],
            place=r["place"],
            hours=r["hours"],
            consent=r["consent"],
            reachable=bool(r["reachable"]),
            actor_id=r["actor_id"],
        )
        for r in rows
    ]


async def stored_keys(survey_id: int, keys: Sequence[uuid.UUID]) -> set[str]:
    """Which of these idempotency keys a survey's responses already hold (as text)."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT idempotency_key FROM responses"
            " WHERE survey_id = $1 AND idempotency_key = ANY($2::uuid[])",
            survey_id,
            list(keys),
        )
    return {str(r["idempotency_key"]) for r in rows}


class Published(NamedTuple):
    """A response as the API and webhooks give it out: never its receipt."""

    id: int
    answers: dict[str, Any]
    language: str
    channel: str
    submitted_at: dt.datetime


def _published(row: asyncpg.Record) -> Published:
    return Published(
        int(row["id"]),
        json.loads(row["answers"]),
        row["language"],
        row["channel"],
        row["submitted_at"],
    )


async def page_after(survey_id: int, after: int, limit: int) -> list[Published]:
    """At most ``limit`` responses of the survey with ids above ``after``, in id order."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT id, answers, language, channel, submitted_at FROM responses"
            " WHERE survey_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            survey_id,
            after,
            limit,
        )
    return [_published(r) for r in rows]


async def published_by_receipt(conn: asyncpg.Connection, receipt: str) -> Published | None:
    """The response carrying this receipt, whatever its survey."""
    row = await conn.fetchrow(
        "SELECT id, answers, language, channel, submitted_at FROM responses WHERE receipt = $1",
        receipt,
    )
    return None if row is None else _published(row)


class Doomed(NamedTuple):
    """A response about to be deleted, with its survey's slug."""

    id: int
    answers: dict[str, Any]
    slug: str


async def _lock_doomed(
    conn: asyncpg.Connection, where: str, limit: int, *args: Any
) -> list[Doomed]:
    # ``where`` is one of this module's constant fragments; every value is a parameter.
    rows = await conn.fetch(
        "SELECT r.id, r.answers, s.slug FROM responses r"  # noqa: S608
        " JOIN surveys s ON s.id = r.survey_id"
        f" WHERE {where} ORDER BY r.id LIMIT {int(limit)} FOR UPDATE OF r",
        *args,
    )
    return [Doomed(int(r["id"]), json.loads(r["answers"]), r["slug"]) for r in rows]


async def lock_past_retention(conn: asyncpg.Connection, limit: int) -> list[Doomed]:
    """The first ``limit`` responses older than their survey's retention period, locked
    until the caller's transaction ends."""
    return await _lock_doomed(
        conn,
        "s.retention_days IS NOT NULL"
        " AND r.submitted_at < now() - make_interval(days => s.retention_days)",
        limit,
    )


async def lock_by_receipt(
    conn: asyncpg.Connection, survey_id: int, receipt: str, limit: int
) -> list[Doomed]:
    """The survey's response with this receipt (none or one), locked until the caller's
    transaction ends."""
    return await _lock_doomed(
        conn, "r.survey_id = $1 AND r.receipt = $2", limit, survey_id, receipt
    )


async def delete_ids(conn: asyncpg.Connection, ids: Sequence[int]) -> None:
    await conn.execute("DELETE FROM responses WHERE id = ANY($1::bigint[])", list(ids))
