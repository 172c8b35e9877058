"""The ``sections`` table: a survey's pages, in their order."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

import asyncpg


class Section(NamedTuple):
    id: int
    title_fr: str
    title_en: str
    description_fr: str
    description_en: str
    settings: dict[str, Any]


async def by_survey(conn: asyncpg.Connection, survey_id: int) -> list[Section]:
    """A survey's pages in their order."""
    rows = await conn.fetch(
        "SELECT id, title_fr, title_en, description_fr, description_en, settings FROM sections"
        " WHERE survey_id = $1 ORDER BY position, id",
        survey_id,
    )
    return [
        Section(
            int(r["id"]),
            r["title_fr"],
            r["title_en"],
            r["description_fr"],
            r["description_en"],
            json.loads(r["settings"]) or {},
        )
        for r in rows
    ]


async def insert(
    conn: asyncpg.Connection,
    survey_id: int,
    position: int,
    title: tuple[str, str],
    description: tuple[str, str],
    settings: dict[str, Any],
) -> int:
    """A new page (titles and introductions in French, English); its id."""
    return int(
        await conn.fetchval(
            "INSERT INTO sections (survey_id, position, title_fr, title_en, description_fr,"
            " description_en, settings) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING id",
            survey_id,
            position,
            *title,
            *description,
            json.dumps(settings, ensure_ascii=False),
        )
    )


async def update(
    conn: asyncpg.Connection,
    section_id: int,
    title: tuple[str, str],
    description: tuple[str, str],
    settings: dict[str, Any],
) -> None:
    await conn.execute(
        "UPDATE sections SET title_fr = $2, title_en = $3, description_fr = $4,"
        " description_en = $5, settings = $6::jsonb WHERE id = $1",
        section_id,
        *title,
        *description,
        json.dumps(settings, ensure_ascii=False),
    )


async def delete(conn: asyncpg.Connection, section_id: int) -> None:
    """A page and, by cascade, its questions."""
    await conn.execute("DELETE FROM sections WHERE id = $1", section_id)


async def reorder(conn: asyncpg.Connection, ids: Sequence[int]) -> None:
    """Put these pages in this order (positions from 0)."""
    await conn.execute(
        "UPDATE sections t SET position = o.n - 1 FROM unnest($1::int[])"
        " WITH ORDINALITY AS o(id, n) WHERE t.id = o.id",
        list(ids),
    )


async def renumber(conn: asyncpg.Connection, slug: str) -> None:
    """Positions 0, 1, 2… in the current order, with no gap."""
    await conn.execute(
        "UPDATE sections s SET position = o.n FROM (SELECT id, row_number() OVER"
        " (ORDER BY position, id) - 1 AS n FROM sections WHERE survey_id ="
        " (SELECT id FROM surveys WHERE slug = $1)) o WHERE s.id = o.id",
        slug,
    )
