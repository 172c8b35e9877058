"""What the read-only API gives out: surveys and their responses, never a receipt."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from survey import localtime
from survey.domain.api_tokens import ApiGrant
from survey.domain.definitions import SurveyDef
from survey.domain.queries import responses, surveys

API_PAGE_MAX = 500
API_AFTER_MAX = 2**63 - 1  # response ids are PostgreSQL bigints


async def api_surveys(grant: ApiGrant) -> list[dict[str, Any]]:
    """The surveys the token reads, with their response counts (one grouped query)."""
    return [
        {
            "slug": s.slug,
            "title": {"fr": s.title_fr, "en": s.title_en},
            "status": s.status,
            "version": s.version,
            "responses": s.responses,
        }
        for s in await surveys.with_response_counts(grant.survey_id)
    ]


async def api_responses(
    definition: SurveyDef, *, after: int = 0, limit: int = 100, zone: ZoneInfo | None = None
) -> dict[str, Any]:
    """A page of responses in id order; ``next_after`` continues where this page ends.

    Moments are ISO 8601 with an explicit offset: wall-clock time of ``zone`` (the
    instance's) when given, else UTC (``+00:00``)."""
    limit = max(1, min(limit, API_PAGE_MAX))
    rows = await responses.page_after(definition.id, after, limit)
    items = [response_item(r, zone) for r in rows]
    return {
        "items": items,
        "next_after": items[-1]["id"] if len(items) == limit else None,
    }


def response_item(row: responses.Published, zone: ZoneInfo | None = None) -> dict[str, Any]:
    # Never the receipt: it belongs to the resident, who can see and erase the answer with it.
    moment = row.submitted_at
    return {
        "id": row.id,
        "submitted_at": localtime.export(moment, zone) if zone else moment.isoformat(),
        "channel": row.channel,
        "language": row.language,
        "answers": row.answers,
    }
