"""A run's state is its job's: read from the job, never kept on the run. A run whose job row
is gone reads as its own record says (an end without error: done; otherwise failed)."""

from __future__ import annotations

import asyncio

import pytest

from survey.domain import needs as domain
from survey.domain.dashboard_filters import Filters
from survey.domain.db import connection
from survey.domain.needs_report import latest_needs
from survey.errors import Conflict, SurveyError
from survey.models.needs import AnalysisRun
from tests.factories import PARIS, make_survey
from tests.factories.needs import (
    CHILDCARE,
    finished_run,
    run_jobs,
    survey_with_answers,
    waiting_run,
)

pytestmark = pytest.mark.usefixtures("orm")


async def _set_job(job_id: int | None, state: str) -> None:
    # Due tomorrow: no worker of the test session takes it back meanwhile.
    async with connection() as conn:
        await conn.execute(
            "UPDATE jobs SET state = $2, run_after = now() + interval '1 day' WHERE id = $1",
            job_id,
            state,
        )


async def _delete_job(job_id: int | None) -> None:
    async with connection() as conn:
        await conn.execute("DELETE FROM jobs WHERE id = $1", job_id)


async def test_run_whose_job_failed_reads_failed_everywhere() -> None:
    definition = await make_survey()
    run = await finished_run(definition.id, n_answers=3)
    assert await domain.run_state(run) == "done"
    assert (await domain.latest_run(definition.id, "manque")) == run
    assert await latest_needs(definition, Filters(), 5, zone=PARIS) is not None
    await _set_job(run.job_id, "failed")
    assert await domain.run_state(run) == "failed"
    assert await domain.list_runs(definition.id) == [(run, "failed")]
    assert await domain.latest_run(definition.id, "manque") is None
    assert await domain.latest_run(definition.id) is None
    assert await latest_needs(definition, Filters(), 5, zone=PARIS) is None


async def test_run_reads_each_state_of_its_job() -> None:
    definition = await make_survey()
    run = await finished_run(definition.id, n_answers=3)
    for state in ("queued", "running", "failed", "done"):
        await _set_job(run.job_id, state)
        assert await domain.run_state(run) == state


async def test_run_whose_job_row_is_gone_reads_as_its_record_says() -> None:
    definition = await make_survey()
    finished = await finished_run(definition.id, n_answers=3)
    waiting = await waiting_run(definition.id, "manque")
    assert await domain.run_state(waiting) == "queued"
    await _delete_job(finished.job_id)
    await _delete_job(waiting.job_id)
    assert await domain.run_state(finished) == "done"
    # Nothing will ever run it: failed, and its question is free again.
    assert await domain.run_state(waiting) == "failed"
    assert await domain.latest_run(definition.id, "manque") == finished


async def test_run_whose_job_row_is_gone_after_failing_reads_failed() -> None:
    definition = await make_survey()
    run = await finished_run(definition.id, error="analysis.too_few")
    assert await domain.run_state(run) == "failed"
    await _delete_job(run.job_id)
    assert await domain.run_state(run) == "failed"


async def test_job_of_a_run_that_recorded_its_end_ends_the_same_way_when_run_again() -> None:
    async def progress(value: float) -> None:
        pass

    definition = await make_survey()
    done = await finished_run(definition.id, n_answers=3)
    await domain.run_analysis({"run": done.id}, progress)
    assert await domain.needs_of_run(done) == []
    failed = await finished_run(definition.id, error="analysis.too_few")
    with pytest.raises(SurveyError) as raised:
        await domain.run_analysis({"run": failed.id}, progress)
    assert raised.value.key == "analysis.too_few"


async def test_two_starts_at_once_make_one_run() -> None:
    definition = await survey_with_answers(CHILDCARE[:2])
    results = await asyncio.gather(
        *(domain.start_analysis(definition.slug, "manque") for _ in range(2)),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["AnalysisRun", "Conflict"]
    assert any(isinstance(r, Conflict) for r in results)
    assert await AnalysisRun.filter(survey_id=definition.id).count() == 1
    await run_jobs()


async def test_migration_keeps_what_each_run_said_when_its_state_moves_to_its_job() -> None:
    """Upgrading: a run that said done while its job was left running (its worker stopped
    after storing the result) still reads done, and its job is done; one that said failed
    with no job nor error reads failed, with the generic error. Run inside a transaction
    that is rolled back, so the shared test database is left as it was."""
    import importlib.util

    from survey.db import MIGRATIONS

    path = next((MIGRATIONS / "models").glob("29_*_run_state_from_job.py"))
    spec = importlib.util.spec_from_file_location("run_state_from_job", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    definition = await make_survey()
    stored = await finished_run(definition.id, n_answers=3)
    lost = await waiting_run(definition.id, "manque")

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback):
        async with connection() as conn, conn.transaction():
            await conn.execute(await migration.downgrade(None))
            states = await conn.fetch(
                "SELECT id, state FROM analysis_runs WHERE id = ANY($1::int[]) ORDER BY id",
                [stored.id, lost.id],
            )
            assert [r["state"] for r in states] == ["done", "queued"]
            await conn.execute(
                "UPDATE jobs SET state = 'running', run_after = now() + interval '1 day'"
                " WHERE id = $1",
                stored.job_id,
            )
            await conn.execute("DELETE FROM jobs WHERE id = $1", lost.job_id)
            await conn.execute("UPDATE analysis_runs SET state = 'failed' WHERE id = $1", lost.id)
            await conn.execute(await migration.upgrade(None))
            after = await conn.fetch(
                "SELECT ar.id, s.state, ar.error, ar.finished_at IS NOT NULL AS ended"
                " FROM analysis_runs ar JOIN analysis_run_states s ON s.run_id = ar.id"
                " WHERE ar.id = ANY($1::int[]) ORDER BY ar.id",
                [stored.id, lost.id],
            )
            assert [(r["state"], r["error"], r["ended"]) for r in after] == [
                ("done", "", True),
                ("failed", "analysis.failed", True),
            ]
            job = await conn.fetchval("SELECT state FROM jobs WHERE id = $1", stored.job_id)
            assert job == "done"
            raise Rollback
