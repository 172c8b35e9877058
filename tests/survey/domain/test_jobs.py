"""Background jobs: two worker processes share a queue and never run the same job."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from survey.domain import jobs
from survey.domain.db import connection

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.usefixtures("orm")


@pytest.fixture
def registry() -> jobs.JobRegistry:
    """A registry of the test's own: no other test's kinds, no handler left behind."""
    return jobs.JobRegistry()


WORKER = textwrap.dedent(
    """
    import asyncio, os, sys
    from survey.domain import jobs
    from survey.domain.db import connection
    from survey.runtime import orm

    async def record(payload, progress):
        async with connection() as conn:
            await conn.execute(
                "INSERT INTO test_job_log (job, pid) VALUES ($1, $2)", payload["n"], os.getpid())
        await asyncio.sleep(0.02)  # long enough for the other worker to want the same row

    async def main():
        registry = jobs.JobRegistry()
        registry.add("test.record", record)
        async with orm(sys.argv[1]):
            while await jobs.run_next(registry) is not None:
                pass

    asyncio.run(main())
    """
)


async def test_two_workers_never_run_the_same_job(database_url: str) -> None:
    async with connection() as conn:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS test_job_log (job INT NOT NULL, pid INT NOT NULL)"
        )
        await conn.execute("DELETE FROM test_job_log")
        await conn.execute("DELETE FROM jobs WHERE kind = 'test.record'")
    for n in range(60):
        await jobs.enqueue("test.record", {"n": n})
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, database_url], env=env, cwd=ROOT)
        for _ in range(2)
    ]
    for worker in workers:
        assert worker.wait(timeout=120) == 0
    async with connection() as conn:
        rows = await conn.fetch("SELECT job, pid FROM test_job_log")
        states = await conn.fetch(
            "SELECT state, count(*) FROM jobs WHERE kind = 'test.record' GROUP BY state"
        )
    assert sorted(r["job"] for r in rows) == list(range(60))  # each job ran exactly once
    assert len({r["pid"] for r in rows}) == 2  # and both workers took some
    assert dict(states) == {"done": 60}


async def test_failed_job_is_recorded_and_worker_goes_on(registry: jobs.JobRegistry) -> None:
    async def fail(payload, progress):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    registry.add("test.fail", fail)

    job_id = await jobs.enqueue("test.fail", {})
    for _ in range(50):  # jobs queued by other tests may come first
        if await jobs.run_next(registry) in (job_id, None):
            break
    job = await jobs.get_job(job_id)
    assert job is not None
    assert job["state"] == "failed"
    assert "boom" in job["error"]


async def test_refused_job_is_recorded_and_logged_in_one_line(
    registry: jobs.JobRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    """A refusal staff are shown (a ``SurveyError``) is no crash: no traceback in the log;
    an unexpected error keeps its traceback."""
    from survey.errors import SurveyError

    async def refuse(payload, progress):  # type: ignore[no-untyped-def]
        raise SurveyError("analysis.too_few", n=3)

    registry.add("test.refuse", refuse)

    async def crash(payload, progress):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    registry.add("test.crash", crash)

    refused = await jobs.enqueue("test.refuse", {})
    crashed = await jobs.enqueue("test.crash", {})
    with caplog.at_level("INFO", logger=jobs.log.name):
        for _ in range(50):
            if await jobs.run_next(registry) is None:
                break
    records = {r.getMessage(): r for r in caplog.records if r.name == jobs.log.name}
    refusal = records[f"job {refused} refused: analysis.too_few"]
    assert refusal.exc_info is None
    assert records[f"job {crashed} failed"].exc_info is not None
    job = await jobs.get_job(refused)
    assert job is not None and job["state"] == "failed" and "analysis.too_few" in job["error"]


async def _job_row(job_id: int) -> dict:  # type: ignore[type-arg]
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT state, error, started_at, run_after > now() AS later,"
            " extract(epoch FROM run_after - now()) AS wait FROM jobs WHERE id = $1",
            job_id,
        )
    return dict(row)


async def _run_all(registry: jobs.JobRegistry) -> list[int]:
    ran = []
    while (job_id := await jobs.run_next(registry)) is not None:
        ran.append(job_id)
    return ran


async def test_job_due_later_is_not_taken_before_its_time(registry: jobs.JobRegistry) -> None:
    seen: list[int] = []

    async def later(payload, progress):  # type: ignore[no-untyped-def]
        seen.append(payload["n"])

    registry.add("test.later", later)

    job_id = await jobs.enqueue("test.later", {"n": 1}, delay=3600)
    assert job_id not in await _run_all(registry)
    row = await _job_row(job_id)
    assert (row["state"], row["later"]) == ("queued", True)
    assert seen == []
    async with connection() as conn:  # as if the hour had passed
        await conn.execute("UPDATE jobs SET run_after = now() WHERE id = $1", job_id)
    assert job_id in await _run_all(registry)
    assert seen == [1]
    assert (await _job_row(job_id))["state"] == "done"


async def test_retry_later_queues_the_job_again_without_holding_the_worker(
    registry: jobs.JobRegistry,
) -> None:
    attempts: list[int] = []

    async def flaky(payload, progress):  # type: ignore[no-untyped-def]
        attempts.append(len(attempts) + 1)
        if len(attempts) == 1:
            raise jobs.RetryLater(600, "server busy")

    registry.add("test.flaky", flaky)

    job_id = await jobs.enqueue("test.flaky", {})
    assert job_id in await _run_all(registry)  # returns at once: no sleeping in the handler
    row = await _job_row(job_id)
    assert (row["state"], row["error"], row["started_at"]) == ("queued", "server busy", None)
    assert 590 < row["wait"] <= 600
    assert job_id not in await _run_all(registry)
    async with connection() as conn:
        await conn.execute("UPDATE jobs SET run_after = now() WHERE id = $1", job_id)
    assert job_id in await _run_all(registry)
    assert attempts == [1, 2]
    assert (await _job_row(job_id))["state"] == "done"


async def test_a_worker_given_kinds_leaves_the_other_kinds_queued(
    registry: jobs.JobRegistry,
) -> None:
    from survey.settings import load

    ran: list[str] = []

    async def kept(payload: dict, progress: jobs.Progress) -> None:  # type: ignore[type-arg]
        ran.append("kept")

    registry.add("test.kept", kept)

    async def left(payload: dict, progress: jobs.Progress) -> None:  # type: ignore[type-arg]
        ran.append("left")

    registry.add("test.left", left)

    left_id = await jobs.enqueue("test.left", {})
    await jobs.enqueue("test.kept", {})
    kinds = load(
        {
            "PARLONS_DATA_DIR": "/nonexistent",
            "PARLONS_SECRET_KEY": "k" * 40,
            "PARLONS_JOB_KINDS": " test.kept , ",
        }
    ).job_kinds
    assert kinds == frozenset({"test.kept"})
    while await jobs.run_next(registry, kinds) is not None:
        pass
    assert ran == ["kept"]
    async with connection() as conn:
        assert await conn.fetchval("SELECT state FROM jobs WHERE id = $1", left_id) == "queued"
    assert await jobs.run_next(registry, ["test.left"]) == left_id
    assert ran == ["kept", "left"]
