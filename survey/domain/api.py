"""What the read-only API gives out: surveys and their responses, never a receipt."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from survey import localtime
from survey.domain.api_tokens import ApiGrant
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef

API_PAGE_MAX = 500
API_AFTER_MAX = 2**63 - 1  # response ids are PostgreSQL bigints


async def api_surveys(grant: ApiGrant) -> list[dict[str, Any]]:
    """The surveys the token reads, with their response counts (one grouped query)."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT s.slug, s.title_fr, s.title_en, s.status, s.version, count(r.id) AS responses"
            " FROM surveys s LEFT JOIN responses r ON r.survey_id = s.id"
            " WHERE $1::int IS NULL OR s.id = $1"
            " GROUP BY s.id ORDER BY s.created_at DESC, s.id DESC",
            grant.survey_id,
        )
    return [
        {
            "slug": r["slug"],
            "title": {"fr": r["title_fr"], "en": r["title_en"]},
            "status": r["status"],
            "version": r["version"],
            "responses": int(r["responses"]),
        }
        for r in rows
    ]


async def api_responses(
    definition: SurveyDef, *, after: int = 0, limit: int = 100, zone: ZoneInfo | None = None
) -> dict[str, Any]:
    """A page of responses in id order; ``next_after`` continues where this page ends.

    Moments are ISO 8601 with an explicit offset: wall-clock time of ``zone`` (the
    instance's) when given, else UTC (``+00:00``)."""
    limit = max(1, min(limit, API_PAGE_MAX))
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT id, answers, language, channel, submitted_at FROM responses"
            " WHERE survey_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            definition.id,
            after,
            limit,
        )
    items = [response_item(r, zone) for r in rows]
    return {
        "items": items,
        "next_after": items[-1]["id"] if len(items) == limit else None,
    }


def response_item(row: asyncpg.Record, zone: ZoneInfo | None = None) -> dict[str, Any]:
    # Never the receipt: it belongs to the resident, who can see and erase the answer with it.
    moment = row["submitted_at"]
    return {
        "id": row["id"],
        "submitted_at": localtime.export(moment, zone) if zone else moment.isoformat(),
        "channel": row["channel"],
        "language": row["language"],
        "answers": json.loads(row["answers"]),
    }
