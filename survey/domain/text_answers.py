"""Free-text answers as staff pages show them: contact details masked, on one line, clipped;
and the latest few answers to each free-text question under dashboard filters."""

# SQL below is assembled from constant fragments and numbered placeholders only; every value
# travels as a query parameter.
# ruff: noqa: S608
from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from analysis.masking import mask_personal_data, normalise_text
from survey.domain.dashboard_filters import Filters, response_where
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.enums import QuestionKind

TEXT_SAMPLES = 3
TEXT_LIMIT = 300


async def recent_texts(
    definition: SurveyDef, filters: Filters, zone: ZoneInfo, limit: int = TEXT_SAMPLES
) -> dict[str, list[str]]:
    """The latest few answers to each free-text question under ``filters``."""
    codes = [
        q.code
        for q in definition.questions
        if q.kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT) and not q.personal_data
    ]
    if not codes:
        return {}
    args: list[Any] = [definition.id, codes, limit]
    where = response_where(definition, filters, args, zone)
    sql = (
        "SELECT k.code, t.text FROM unnest($2::text[]) WITH ORDINALITY AS k(code, i)"
        " CROSS JOIN LATERAL (SELECT r.answers ->> k.code AS text FROM responses r"
        f" WHERE {where} AND r.answers ? k.code"
        " ORDER BY r.submitted_at DESC, r.id DESC LIMIT $3) t ORDER BY k.i"
    )
    async with connection() as conn:
        rows = await conn.fetch(sql, *args)
    found: dict[str, list[str]] = {}
    for r in rows:
        found.setdefault(r["code"], []).append(shown_text(r["text"] or ""))
    return found


# Longer than any phone number or address: one cut this far past the limit cannot leave a
# visible part of either unmasked.
_MASK_MARGIN = 128


def shown_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """A resident's words as staff pages show them: contact details masked, on one line,
    clipped to ``limit`` characters."""
    flat = " ".join(normalise_text(text).split())
    masked = mask_personal_data(flat[: limit + _MASK_MARGIN])
    return masked if len(masked) <= limit else masked[: limit - 1].rstrip() + "…"
