"""The needs report: the needs of the latest finished analysis, their sizes under dashboard
filters and a few masked quotes each, small groups hidden."""

# SQL below is assembled from constant fragments and numbered placeholders only; every value
# travels as a query parameter.
# ruff: noqa: S608
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from analysis.masking import mask_personal_data
from survey.domain.dashboard_filters import Filters, response_where
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
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


_LATEST_RUN = """
SELECT id, question_code, n_answers FROM analysis_runs
WHERE survey_id = $1 AND state = 'done'
ORDER BY finished_at DESC NULLS LAST, id DESC LIMIT 1
"""


async def latest_needs(
    definition: SurveyDef,
    filters: Filters,
    threshold: int,
    *,
    zone: ZoneInfo,
    limit: int = NEEDS_SHOWN,
    quotes: bool = True,
) -> NeedsReport | None:
    """The needs of the latest finished analysis with their sizes under ``filters``.

    None when no analysis has finished yet (or the needs tables are not there).
    """
    try:
        async with connection() as conn:
            run = await conn.fetchrow(_LATEST_RUN, definition.id)
            if run is None:
                return None
            args: list[Any] = [definition.id, run["id"]]
            where = response_where(definition, filters, args, zone)
            sizes = await conn.fetch(
                "SELECT n.id, coalesce(n.staff_label, n.label) AS label, n.quote_response_ids,"
                " count(na.id) AS size FROM needs n"
                " LEFT JOIN need_answers na ON na.need_id = n.id"
                f" AND na.response_id IN (SELECT r.id FROM responses r WHERE {where})"
                " WHERE n.run_id = $2 AND n.is_need GROUP BY n.id"
                " ORDER BY size DESC, n.position LIMIT " + str(int(limit)),
                *args,
            )
            answered = await conn.fetchval(
                "SELECT count(*) FROM need_answers na JOIN responses r ON r.id = na.response_id"
                f" WHERE na.run_id = $2 AND NOT na.non_answer AND {where}",
                *args,
            )
            texts: dict[int, str] = {}
            if quotes:
                ids = [i for s in sizes for i in _ids(s["quote_response_ids"])[:QUOTES_PER_NEED]]
                q_args: list[Any] = [definition.id, ids, run["question_code"]]
                q_where = response_where(definition, filters, q_args, zone)
                found = await conn.fetch(
                    "SELECT r.id, r.answers ->> $3 AS text FROM responses r"
                    f" WHERE r.id = ANY($2::bigint[]) AND {q_where}",
                    *q_args,
                )
                texts = {r["id"]: shown_text(r["text"] or "", 200) for r in found if r["text"]}
    except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError):
        return None
    shown = hide_small({str(s["id"]): int(s["size"]) for s in sizes}, threshold)
    total = int(answered or 0)
    needs = []
    for s in sizes:
        size = shown[str(s["id"])]
        ids = _ids(s["quote_response_ids"])[:QUOTES_PER_NEED]
        quoted = tuple(texts[i] for i in ids if i in texts) if size else ()
        label = mask_personal_data(s["label"])
        needs.append(NeedSummary(label, size, share(size, total), quoted))
    return NeedsReport(run["question_code"], total, tuple(needs))


def _ids(value: Any) -> list[int]:
    data = json.loads(value) if isinstance(value, str) else value
    return [int(i) for i in data or [] if isinstance(i, int | str) and str(i).isdigit()]
