"""The needs report: the needs of the latest finished analysis, their sizes under dashboard
filters and a few masked quotes each, small groups hidden."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from analysis.masking import mask_personal_data
from survey.domain.dashboard_filters import Filters
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.queries import analysis_runs, need_answers, need_sizes, responses
from survey.domain.small_groups import hide_small, share
from survey.domain.text_answers import shown_text

NEEDS_SHOWN = 8
QUOTES_PER_NEED = 2


@dataclass(frozen=True)
class NeedSummary:
    label: str
    size: int | None
    share: float | None
    quotes: tuple[str, ...] = ()


@dataclass(frozen=True)
class NeedsReport:
    question_code: str
    answers: int
    needs: tuple[NeedSummary, ...]


async def latest_needs(
    definition: SurveyDef,
    filters: Filters,
    threshold: int,
    *,
    zone: ZoneInfo,
    limit: int = NEEDS_SHOWN,
    quotes: bool = True,
) -> NeedsReport | None:
    """The needs of the latest finished analysis with their sizes under ``filters``: the
    residents who cite each, main need or not, as on the analysis's own page.

    None when no analysis has finished yet (or the needs tables are not there).
    """
    try:
        async with connection() as conn:
            run = await analysis_runs.latest_done(conn, definition.id)
            if run is None:
                return None
            sizes = await need_sizes.sizes_under_filters(
                conn, definition, filters, zone, run.id, limit
            )
            total = await need_answers.count_answered_under_filters(
                conn, definition, filters, zone, run.id
            )
            texts: dict[int, str] = {}
            if quotes:
                ids = [i for s in sizes for i in _ids(s.quote_response_ids)[:QUOTES_PER_NEED]]
                found = await responses.texts_under_filters(
                    conn, definition, filters, zone, ids, run.question_code
                )
                texts = {r.response_id: shown_text(r.text, 200) for r in found}
    except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError):
        return None
    shown = hide_small({str(s.id): s.size for s in sizes}, threshold)
    needs = []
    for s in sizes:
        size = shown[str(s.id)]
        ids = _ids(s.quote_response_ids)[:QUOTES_PER_NEED]
        quoted = tuple(texts[i] for i in ids if i in texts) if size else ()
        label = mask_personal_data(s.label)
        needs.append(NeedSummary(label, size, share(size, total), quoted))
    return NeedsReport(run.question_code, total, tuple(needs))


def _ids(value: Any) -> list[int]:
    data = json.loads(value) if isinstance(value, str) else value
    return [int(i) for i in data or [] if isinstance(i, int | str) and str(i).isdigit()]
