"""The ``responses`` table as staff list and export it (apart from ``responses`` for its
length): one page, every response in batches, and the CSV written by PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any, NamedTuple

import asyncpg

from survey.domain.db import connection


async def count_of_survey(survey_id: int) -> int:
    """How many responses a survey holds."""
    async with connection() as conn:
        return int(
            await conn.fetchval("SELECT count(*) FROM responses WHERE survey_id = $1", survey_id)
        )


class ListedResponse(NamedTuple):
    """A response as the staff list and the exports show it (``number`` is None in exports)."""

    id: int
    answers: dict[str, Any]
    language: str
    channel: str
    submitted_at: dt.datetime
    number: int | None = None


async def page_of_survey(survey_id: int, limit: int, offset: int) -> list[ListedResponse]:
    """One page of a survey's responses, newest first (keyset-friendly index on survey,
    date)."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT id, number, answers, language, channel, submitted_at FROM responses"
            " WHERE survey_id = $1 ORDER BY submitted_at DESC, id DESC LIMIT $2 OFFSET $3",
            survey_id,
            limit,
            offset,
        )
    return [
        ListedResponse(
            id=r["id"],
            number=r["number"],
            answers=json.loads(r["answers"]),
            language=r["language"],
            channel=r["channel"],
            submitted_at=r["submitted_at"],
        )
        for r in rows
    ]


async def batches_of_survey(
    conn: asyncpg.Connection, survey_id: int, batch: int
) -> AsyncIterator[list[ListedResponse]]:
    """A survey's responses in id order, ``batch`` at a time, through a cursor (which needs
    the caller's transaction)."""
    cursor = conn.cursor(
        "SELECT id, answers, language, channel, submitted_at FROM responses"
        " WHERE survey_id = $1 ORDER BY id",
        survey_id,
        prefetch=batch,
    )
    rows: list[ListedResponse] = []
    async for record in cursor:
        rows.append(
            ListedResponse(
                id=record["id"],
                answers=json.loads(record["answers"]),
                language=record["language"],
                channel=record["channel"],
                submitted_at=record["submitted_at"],
            )
        )
        if len(rows) >= batch:
            yield rows
            rows = []
    if rows:
        yield rows


class ExportColumn(NamedTuple):
    """How the CSV export writes one question's answers.

    ``shape`` is ``list`` (multiple choice, ranking: labels joined by ``separator``, the
    resident's "other" text in place of ``__other__``), ``choice`` (a choice's label),
    ``text`` (free text, formulas neutralised) or ``plain`` (validated values: numbers,
    scales, dates). ``labels`` is a JSON object, choice code to label, already neutralised.
    """

    code: str
    shape: str
    labels: str = "{}"
    separator: str = ""


def _cell(expression: str) -> str:
    """SQL for a CSV cell of free text: formulas neutralised as ``neutralise`` does."""
    return f"regexp_replace({expression}, E'^(?=[=+@\\t\\r\\n-])', chr(39))"


def _export_query(survey_id: int, questions: Sequence[ExportColumn]) -> tuple[str, list[Any]]:
    """One SELECT giving the CSV rows, with labels and formula neutralising done in SQL.

    Choice labels are neutralised once here rather than on every row. Lists (multiple
    choice, ranking) are labelled once per distinct list, in one pass over the survey's rows:
    a map from each list's JSON text to its label, which each row looks up. With no join,
    the rows stream in id order straight from the primary key, with no sort. (Reading each
    answer with ``->>`` measured faster than ``jsonb_to_record`` for the whole row.)
    """
    args: list[Any] = [survey_id]

    def arg(value: str) -> str:
        # Values travel as parameters; only their placeholders are written into the SQL.
        args.append(value)
        return f"${len(args)}::text"

    lists: list[str] = []  # (question, list) pairs for the label map
    labellers: list[str] = []  # label of a list, per question
    columns: list[str] = []
    for q in questions:
        code = arg(q.code)
        if q.shape == "list":
            separator = arg(q.separator)
            labels = arg(q.labels)
            other = arg(f"{q.code}__other")
            lists.append(f"({code}, r.answers->{code})")
            # chr(1) marks where the resident's own "other" text goes, per row.
            labellers.append(
                f"WHEN {code} THEN (SELECT string_agg(CASE WHEN t.v = '__other__' THEN chr(1)"  # noqa: S608
                f" ELSE coalesce({labels}::jsonb->>t.v, t.v) END, {separator} ORDER BY t.o)"
                " FROM jsonb_array_elements_text(d.a) WITH ORDINALITY AS t(v, o))"
            )
            label = f"(SELECT m->({code}) FROM lists)->>((r.answers->{code})::text)"  # noqa: S608
            columns.append(_cell(f"replace({label}, chr(1), coalesce(r.answers->>{other}, ''))"))
        elif q.shape == "choice":
            labels = arg(q.labels)
            columns.append(f"coalesce({labels}::jsonb->>(r.answers->>{code}), r.answers->>{code})")
        elif q.shape == "text":
            columns.append(_cell(f"(r.answers->>{code})"))
        else:  # numbers, scales, dates: validated values, never formulas
            columns.append(f"r.answers->>{code}")
    with_clause = ""
    if lists:
        with_clause = (
            "WITH lists AS (SELECT jsonb_object_agg(q, m) AS m FROM (SELECT d.q,"  # noqa: S608
            " jsonb_object_agg(d.a::text, CASE d.q " + " ".join(labellers) + " END) AS m"
            " FROM (SELECT DISTINCT v.q, v.a FROM responses r, LATERAL (VALUES "
            + ", ".join(lists)
            + ") AS v(q, a) WHERE r.survey_id = $1 AND jsonb_typeof(v.a) = 'array') d"
            " GROUP BY d.q) per_question) "
        )
    query = (
        with_clause  # noqa: S608 - placeholders and fixed expressions only, see arg()
        # The session's zone is the instance's (see export_csv): local time and its offset.
        + "SELECT r.id, to_char(r.submitted_at,"
        + " 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM'), r.channel, r.language"
        + "".join(f", {c}" for c in columns)
        + " FROM responses r WHERE r.survey_id = $1 ORDER BY r.id"
    )
    return query, args


async def copy_csv(
    conn: asyncpg.Connection,
    survey_id: int,
    questions: Sequence[ExportColumn],
    zone: str,
    output: Callable[[bytes], Coroutine[Any, Any, None]],
) -> None:
    """PostgreSQL writes a survey's responses as CSV rows (``COPY ... TO STDOUT``) into
    ``output``, moments as wall-clock time of ``zone``; in the caller's transaction, which
    the zone is set for."""
    query, args = _export_query(survey_id, questions)
    # For this transaction only: to_char writes times in the session's zone.
    await conn.execute("SELECT set_config('TimeZone', $1, true)", zone)
    await conn.copy_from_query(query, *args, output=output, format="csv")
