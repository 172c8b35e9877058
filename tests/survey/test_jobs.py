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

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.usefixtures("orm")

WORKER = textwrap.dedent(
    """
    import asyncio, os, sys
    from survey.domain import jobs
    from survey.domain.db import connection
    from survey.runtime import orm

    @jobs.handler("test.record")
    async def record(payload, progress):
        async with connection() as conn:
            await conn.execute(
                "INSERT INTO test_job_log (job, pid) VALUES ($1, $2)", payload["n"], os.getpid())
        await asyncio.sleep(0.02)  # long enough for the other worker to want the same row

    async def main():
        async with orm(sys.argv[1]):
            while await jobs.run_next() is not None:
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


async def test_failed_job_is_recorded_and_worker_goes_on() -> None:
    @jobs.handler("test.fail")
    async def fail(payload, progress):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    job_id = await jobs.enqueue("test.fail", {})
    for _ in range(50):  # jobs queued by other tests may come first
        if await jobs.run_next() in (job_id, None):
            break
    job = await jobs.get_job(job_id)
    assert job is not None
    assert job["state"] == "failed"
    assert "boom" in job["error"]
