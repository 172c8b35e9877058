"""The ``sortition_draws`` table: a council's draws, as recorded for the audit."""

from __future__ import annotations

from survey.domain.db import connection


async def survey_slugs(council_id: int) -> list[str]:
    """The slugs of the surveys the council was drawn from, latest draw first."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT s.slug FROM sortition_draws d JOIN surveys s ON s.id = d.survey_id"
            " WHERE d.council_id = $1 GROUP BY s.slug ORDER BY max(d.id) DESC",
            council_id,
        )
    return [str(r["slug"]) for r in rows]
