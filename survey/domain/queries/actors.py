"""The ``actors`` table: the directory's entries as listed, matched, mapped and exported."""

from __future__ import annotations

import datetime as dt
import json
from typing import TypedDict, cast

import asyncpg

from survey.domain.db import connection

_JSON_LISTS = ("services", "skills", "resources", "themes")


class ActorRow(TypedDict, total=False):
    """An entry as a query reads it (each query reads the columns its page needs), its
    list columns as lists; ``total`` is the count of the whole filtered list, ``taught``
    the names of the needs staff confirmed it for."""

    id: int
    name: str
    kind: str
    services: list[str]
    skills: list[str]
    resources: list[str]
    themes: list[str]
    audience: str
    neighbourhood: str
    commune: str
    address: str
    latitude: float | None
    longitude: float | None
    hours: str
    phone: str
    email: str
    website: str
    source: str
    public: bool
    consent: bool
    archived: bool
    checked_on: dt.date | None
    merged_into_id: int | None
    updated_at: dt.datetime
    total: int
    taught: list[str]


def _row(record: asyncpg.Record) -> ActorRow:
    item = dict(record)
    for name in _JSON_LISTS:
        if isinstance(item.get(name), str):
            item[name] = json.loads(item[name])
    if "taught" in item:
        item["taught"] = list(item["taught"])
    return cast(ActorRow, item)


_PAGE = """
SELECT id, name, kind, services, skills, resources, themes, neighbourhood, commune, phone,
       email, public, archived, checked_on, merged_into_id, count(*) OVER () AS total
FROM actors
WHERE archived = $1
  AND ($2::text IS NULL OR kind = $2)
  AND ($3::text IS NULL OR neighbourhood = $3)
  AND ($4::text IS NULL OR strpos(lower(name || ' ' || services::text || ' ' || skills::text
       || ' ' || resources::text || ' ' || themes::text), lower($4)) > 0)
ORDER BY lower(name), id
LIMIT $5 OFFSET $6
"""


async def page(
    archived: bool, kind: str | None, neighbourhood: str | None, words: str | None,
    limit: int, offset: int,
) -> list[ActorRow]:  # fmt: skip
    """One page of the directory by name, filtered (``None``: any), each row with the total."""
    async with connection() as conn:
        rows = await conn.fetch(_PAGE, archived, kind, neighbourhood, words, limit, offset)
    return [_row(r) for r in rows]


async def public_themes() -> list[str]:
    """The themes of the public entries, each once, in order."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT DISTINCT jsonb_array_elements_text(themes) AS theme FROM actors"
            " WHERE public AND NOT archived ORDER BY 1"
        )
    return [str(r["theme"]) for r in rows]


_PUBLIC = """
SELECT id, name, kind, services, skills, resources, audience, neighbourhood, commune,
       address, hours, phone, website, count(*) OVER () AS total
FROM actors
WHERE public AND NOT archived
  -- Near me: the neighbourhood's own actors, and those who serve the whole territory.
  AND ($1::text IS NULL OR neighbourhood = $1 OR neighbourhood = '')
  AND ($2::text IS NULL OR themes ? $2)
ORDER BY coalesce(array_position($3::text[], nullif(neighbourhood, '')), 10000), lower(name), id
LIMIT $4 OFFSET $5
"""


async def public_page(
    neighbourhood: str | None, theme: str | None, places: list[str], limit: int, offset: int
) -> list[ActorRow]:
    """One page of the public entries, by neighbourhood in the order of ``places``."""
    async with connection() as conn:
        rows = await conn.fetch(_PUBLIC, neighbourhood, theme, places, limit, offset)
    return [_row(r) for r in rows]


_LIVE = """
SELECT a.id, a.name, a.kind, a.services, a.skills, a.resources, a.themes, a.audience,
       a.neighbourhood, a.commune, a.phone, a.email, a.hours, a.public,
       coalesce((SELECT array_agg(coalesce(n.staff_label, n.label, l.need_label))
                 FROM actor_need_links l LEFT JOIN needs n ON n.id = l.need_id
                 WHERE l.actor_id = a.id AND l.state = 'confirmed'), '{}') AS taught
FROM actors a WHERE NOT a.archived ORDER BY a.id
"""


async def live_with_taught() -> list[ActorRow]:
    """The live entries, as matched: with the needs staff confirmed each for."""
    async with connection() as conn:
        rows = await conn.fetch(_LIVE)
    return [_row(r) for r in rows]


_EXPORT = """
SELECT id, name, kind, services, skills, resources, themes, audience, neighbourhood, commune,
       address, latitude, longitude, hours, phone, email, website, source, public, consent,
       checked_on, updated_at
FROM actors WHERE NOT archived ORDER BY lower(name), id
"""


async def live_by_name() -> list[ActorRow]:
    """Every live entry with all its exported columns, by name."""
    async with connection() as conn:
        rows = await conn.fetch(_EXPORT)
    return [_row(r) for r in rows]


async def located() -> list[ActorRow]:
    """The live entries with coordinates, as the map draws them."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT id, name, neighbourhood, latitude, longitude, services FROM actors"
            " WHERE NOT archived AND latitude IS NOT NULL AND longitude IS NOT NULL ORDER BY id"
        )
    return [_row(r) for r in rows]
