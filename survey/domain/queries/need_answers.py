"""Reads of the ``need_answers`` table (with ``need_mentions``, the other needs an answer
speaks of): residents per theme among the responses a dashboard's filters keep."""

# The response conditions come from ``dashboard_filters.response_where``: constant fragments
# and numbered placeholders only, every value travels as a parameter.
# ruff: noqa: S608
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from survey.domain.db import connection


class ThemeResidents(NamedTuple):
    """A theme of a run: residents citing any of its needs, once each, and its needs."""

    theme_label: str
    residents: int
    needs: int


async def residents_by_theme_under_filters(where: str, args: Sequence[Any]) -> list[ThemeResidents]:
    """Per theme label of run ``$2``: residents of the responses matching ``where`` (on
    ``responses r``, survey ``$1``) citing one of its needs, main need or another; and how
    many needs the theme holds. Largest first; needs marked "not a need" left out."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT n.theme_label, count(DISTINCT m.response_id) AS residents,"
            " (SELECT count(*) FROM needs t WHERE t.run_id = $2 AND t.is_need"
            " AND t.theme_label = n.theme_label) AS needs"
            " FROM (SELECT need_id, response_id FROM need_answers"
            " WHERE run_id = $2 AND need_id IS NOT NULL"
            " UNION ALL SELECT need_id, response_id FROM need_mentions WHERE run_id = $2) m"
            " JOIN needs n ON n.id = m.need_id"
            f" WHERE n.is_need AND m.response_id IN (SELECT r.id FROM responses r WHERE {where})"
            " GROUP BY n.theme_label ORDER BY residents DESC, n.theme_label",
            *args,
        )
    return [
        ThemeResidents(str(r["theme_label"]), int(r["residents"]), int(r["needs"])) for r in rows
    ]
