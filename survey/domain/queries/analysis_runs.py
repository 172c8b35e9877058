"""The ``analysis_runs`` table's set-based reads (a run edited by its job or by staff goes
through the ORM)."""

from __future__ import annotations

from typing import NamedTuple

import asyncpg


class RunSummary(NamedTuple):
    id: int
    question_code: str
    n_answers: int


_LATEST_RUN = """
SELECT id, question_code, n_answers FROM analysis_runs
WHERE survey_id = $1 AND state = 'done'
ORDER BY finished_at DESC NULLS LAST, id DESC LIMIT 1
"""


async def latest_done(conn: asyncpg.Connection, survey_id: int) -> RunSummary | None:
    """The survey's newest finished run, of any question."""
    row = await conn.fetchrow(_LATEST_RUN, survey_id)
    if row is None:
        return None
    return RunSummary(int(row["id"]), str(row["question_code"]), int(row["n_answers"]))
