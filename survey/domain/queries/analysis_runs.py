"""The ``analysis_runs`` table's set-based access (a run edited by its job or by staff goes
through the ORM), and its state, read from its job.

A run is queued, running, failed or done as its job (``jobs``) is; the view
``analysis_run_states`` (migration 29) says so, and reads a run whose job row is gone from
its own record: finished without error, done; otherwise failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import asyncpg

from survey.domain.db import connection
from survey.enums import JobState


class RunSummary(NamedTuple):
    id: int
    question_code: str
    n_answers: int


_LATEST_RUN = """
SELECT ar.id, ar.question_code, ar.n_answers FROM analysis_runs ar
JOIN analysis_run_states s ON s.run_id = ar.id
WHERE ar.survey_id = $1 AND s.state = 'done'
ORDER BY ar.finished_at DESC NULLS LAST, ar.id DESC LIMIT 1
"""


async def latest_done(conn: asyncpg.Connection, survey_id: int) -> RunSummary | None:
    """The survey's newest finished run, of any question."""
    row = await conn.fetchrow(_LATEST_RUN, survey_id)
    if row is None:
        return None
    return RunSummary(int(row["id"]), str(row["question_code"]), int(row["n_answers"]))


async def states(run_ids: Sequence[int]) -> dict[int, JobState]:
    """The state of each of these runs, read from its job."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT run_id, state FROM analysis_run_states WHERE run_id = ANY($1::int[])",
            list(run_ids),
        )
    return {int(r["run_id"]): JobState(r["state"]) for r in rows}


async def newest_done_id(
    survey_id: int, question_code: str | None = None, *, exclude: int | None = None
) -> int | None:
    """The id of the newest finished run of a survey (of a question), other than ``exclude``."""
    async with connection() as conn:
        value = await conn.fetchval(
            "SELECT ar.id FROM analysis_runs ar JOIN analysis_run_states s ON s.run_id = ar.id"
            " WHERE ar.survey_id = $1 AND s.state = 'done'"
            " AND ($2::text IS NULL OR ar.question_code = $2)"
            " AND ($3::int IS NULL OR ar.id <> $3)"
            " ORDER BY ar.finished_at DESC, ar.id DESC LIMIT 1",
            survey_id,
            question_code,
            exclude,
        )
    return None if value is None else int(value)


async def lock_question(conn: asyncpg.Connection, survey_id: int, question_code: str) -> None:
    """Hold the question of a survey until the caller's transaction ends: starts of runs
    over it take their turn."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('analysis_runs.question'),"
        " hashtext($1::int::text || '/' || $2::text))",
        survey_id,
        question_code,
    )


async def has_active(conn: asyncpg.Connection, survey_id: int, question_code: str) -> bool:
    """Whether a run of this question is queued or running."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM analysis_runs ar"
            " JOIN analysis_run_states s ON s.run_id = ar.id"
            " WHERE ar.survey_id = $1 AND ar.question_code = $2"
            " AND s.state IN ('queued', 'running'))",
            survey_id,
            question_code,
        )
    )


async def slugs_with_offers_run() -> list[str]:
    """The surveys (slugs, in order) with a finished run on an offers question."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT DISTINCT s.slug FROM analysis_runs ar JOIN surveys s ON s.id = ar.survey_id"
            " JOIN analysis_run_states rs ON rs.run_id = ar.id"
            " WHERE rs.state = 'done' AND EXISTS (SELECT 1 FROM sections sc JOIN questions q"
            " ON q.section_id = sc.id WHERE sc.survey_id = ar.survey_id"
            " AND q.code = ar.question_code AND (q.settings->>'offers') = 'true') ORDER BY 1"
        )
    return [str(r["slug"]) for r in rows]
