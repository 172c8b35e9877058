"""The ``questions`` table: each page's questions, in their order, retired ones included (a
retired question keeps its code and its stored answers; see ``survey.domain.builder``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import asyncpg

from survey.domain.db import connection


class Question(NamedTuple):
    id: int
    section_id: int
    code: str
    kind: str
    text_fr: str
    text_en: str
    help_fr: str
    help_en: str
    required: bool
    personal_data: bool
    settings: dict[str, Any]
    retired: bool


class NewQuestion(NamedTuple):
    section_id: int
    position: int
    code: str
    kind: str
    text_fr: str
    text_en: str
    help_fr: str
    help_en: str
    required: bool
    personal_data: bool
    settings: dict[str, Any]


def _question(r: asyncpg.Record) -> Question:
    return Question(
        int(r["id"]),
        int(r["section_id"]),
        r["code"],
        r["kind"],
        r["text_fr"],
        r["text_en"],
        r["help_fr"],
        r["help_en"],
        r["required"],
        r["personal_data"],
        json.loads(r["settings"]) or {},
        r["retired"],
    )


async def in_page_order(conn: asyncpg.Connection, survey_id: int) -> list[Question]:
    """A survey's questions in the order residents meet them, page by page (the builder
    groups them by page)."""
    rows = await conn.fetch(
        "SELECT q.id, q.section_id, q.code, q.kind, q.text_fr, q.text_en, q.help_fr, q.help_en,"
        " q.required, q.personal_data, q.settings, q.retired_at IS NOT NULL AS retired"
        " FROM questions q JOIN sections s ON s.id = q.section_id WHERE s.survey_id = $1"
        " ORDER BY s.position, s.id, q.position, q.id",
        survey_id,
    )
    return [_question(r) for r in rows]


_INSERT = """
INSERT INTO questions (section_id, position, code, kind, text_fr, text_en, help_fr, help_en,
                       required, personal_data, settings)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb)
"""


def _arguments(q: NewQuestion) -> tuple[Any, ...]:
    return (*q[:-1], json.dumps(q.settings, ensure_ascii=False))


async def insert(conn: asyncpg.Connection, question: NewQuestion) -> int:
    """A new question; its id."""
    return int(await conn.fetchval(_INSERT + "RETURNING id", *_arguments(question)))


async def insert_many(conn: asyncpg.Connection, questions: Iterable[NewQuestion]) -> None:
    """New questions, sent as one batch."""
    await conn.executemany(_INSERT, [_arguments(q) for q in questions])


async def update(
    conn: asyncpg.Connection,
    question_id: int,
    *,
    code: str,
    kind: str,
    text: tuple[str, str],
    help: tuple[str, str],
    required: bool,
    personal_data: bool,
    settings: dict[str, Any],
) -> None:
    """Save a question (texts and help in French, English)."""
    await conn.execute(
        "UPDATE questions SET code = $2, kind = $3, text_fr = $4, text_en = $5, help_fr = $6,"
        " help_en = $7, required = $8, personal_data = $9, settings = $10::jsonb"
        " WHERE id = $1",
        question_id,
        code,
        kind,
        *text,
        *help,
        required,
        personal_data,
        json.dumps(settings, ensure_ascii=False),
    )


async def retire(conn: asyncpg.Connection, question_ids: Sequence[int]) -> None:
    """Shown to no new resident from now on; code and answers kept."""
    await conn.execute(
        "UPDATE questions SET retired_at = now() WHERE id = ANY($1::int[])", list(question_ids)
    )


async def restore(conn: asyncpg.Connection, question_id: int) -> None:
    await conn.execute("UPDATE questions SET retired_at = NULL WHERE id = $1", question_id)


async def delete(conn: asyncpg.Connection, question_id: int) -> None:
    """Gone for good: only for a draft holding no response."""
    await conn.execute("DELETE FROM questions WHERE id = $1", question_id)


async def move_to_section(conn: asyncpg.Connection, question_id: int, section_id: int) -> None:
    await conn.execute(
        "UPDATE questions SET section_id = $2 WHERE id = $1", question_id, section_id
    )


async def reorder(conn: asyncpg.Connection, ids: Sequence[int]) -> None:
    """Put these questions in this order (positions from 0)."""
    await conn.execute(
        "UPDATE questions t SET position = o.n - 1 FROM unnest($1::int[])"
        " WITH ORDINALITY AS o(id, n) WHERE t.id = o.id",
        list(ids),
    )


async def renumber(conn: asyncpg.Connection, slug: str) -> None:
    """Positions 0, 1, 2… within each page of the survey, with no gap."""
    await conn.execute(
        "UPDATE questions q SET position = o.n FROM (SELECT q2.id, row_number() OVER"
        " (PARTITION BY q2.section_id ORDER BY q2.position, q2.id) - 1 AS n FROM questions q2"
        " JOIN sections s ON s.id = q2.section_id JOIN surveys v ON v.id = s.survey_id"
        " WHERE v.slug = $1) o WHERE q.id = o.id",
        slug,
    )


async def territory_choices() -> list[Any]:
    """The choices of every territory question, question by question in order, each as
    stored (an object with its ``code`` and names, or whatever else was saved)."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT c.value FROM questions q CROSS JOIN LATERAL"
            " jsonb_array_elements(coalesce(q.settings->'choices', '[]'::jsonb))"
            " WITH ORDINALITY AS c(value, n) WHERE q.kind = 'territory' ORDER BY q.id, c.n"
        )
    return [json.loads(r["value"]) if isinstance(r["value"], str) else r["value"] for r in rows]
