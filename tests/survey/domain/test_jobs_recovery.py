"""Stalled-job recovery and daily jobs across workers, with real worker processes and tasks."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from survey.domain import jobs
from survey.domain.db import connection
from tests.factories import PARIS

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.usefixtures("orm")

# A worker that takes the job, says so, then hangs in it until killed.
VICTIM = textwrap.dedent(
    """
    import asyncio, sys
    from zoneinfo import ZoneInfo
    from survey.domain import jobs
    from survey.runtime import orm

    async def hang(payload, progress):
        await progress(0.5)
        print("started", flush=True)
        await asyncio.sleep(3600)

    async def main():
        registry = jobs.JobRegistry(heartbeat_seconds=0.2, stall_seconds=1.0)
        registry.add("test.victim", hang)
        async with orm(sys.argv[1]):
            await jobs.worker(
                registry, database_url=sys.argv[1], time_zone=ZoneInfo("UTC"), poll_seconds=0.2
            )

    asyncio.run(main())
    """
)


async def _until(check: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "waited too long"
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def _working(registry: jobs.JobRegistry, url: str) -> Any:
    task = asyncio.create_task(
        jobs.worker(registry, database_url=url, time_zone=PARIS, poll_seconds=0.2)
    )
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _job(job_id: int) -> dict[str, Any]:
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT state, stalls, progress, error FROM jobs WHERE id = $1", job_id
        )
    return dict(row)


async def test_job_of_a_killed_worker_runs_again_on_another(database_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    victim = subprocess.Popen(
        [sys.executable, "-c", VICTIM, database_url],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        job_id = await jobs.enqueue("test.victim", {"n": 7})
        assert victim.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(victim.stdout.readline), 60)
        assert line == "started\n"
        assert (await _job(job_id))["state"] == "running"
        victim.send_signal(signal.SIGKILL)  # no clean-up: the row stays 'running'
        assert victim.wait(timeout=10) == -signal.SIGKILL
    finally:
        if victim.poll() is None:
            victim.kill()
    assert (await _job(job_id))["state"] == "running"

    ran: list[int] = []

    async def finish(payload: dict[str, Any], progress: jobs.Progress) -> None:
        ran.append(payload["n"])

    rescuer = jobs.JobRegistry(heartbeat_seconds=0.2, stall_seconds=1.0)
    rescuer.add("test.victim", finish)
    async with _working(rescuer, database_url):
        await _until(lambda: _done(job_id), 30)
    assert ran == [7]
    assert await _job(job_id) == {"state": "done", "stalls": 1, "progress": 1.0, "error": ""}


async def _done(job_id: int) -> bool:
    return (await _job(job_id))["state"] == "done"


async def test_job_of_a_live_worker_is_not_taken_back(database_url: str) -> None:
    """A job running longer than the stall threshold keeps its worker while it beats."""
    release = asyncio.Event()
    runs: list[int] = []

    async def long(payload: dict[str, Any], progress: jobs.Progress) -> None:
        runs.append(1)
        await release.wait()

    first = jobs.JobRegistry(heartbeat_seconds=0.2, stall_seconds=1.0)
    first.add("test.long", long)
    other = jobs.JobRegistry(heartbeat_seconds=0.2, stall_seconds=1.0)
    other.add("test.long", long)
    job_id = await jobs.enqueue("test.long", {})
    async with _working(first, database_url), _working(other, database_url):
        await asyncio.sleep(3.0)  # three stall thresholds
        assert runs == [1]
        release.set()
        await _until(lambda: _done(job_id), 10)
    assert runs == [1]
    assert (await _job(job_id))["stalls"] == 0


async def test_job_that_keeps_killing_its_worker_fails_after_max_stalls() -> None:
    registry = jobs.JobRegistry(stall_seconds=1.0, max_stalls=2)
    registry.add("test.deadly", _never_called)
    job_id = await jobs.enqueue("test.deadly", {})
    for _ in range(2):
        async with connection() as conn:  # taken, then its worker died
            await conn.execute(
                "UPDATE jobs SET state = 'running', heartbeat_at = now() - interval '1 minute'"
                " WHERE id = $1",
                job_id,
            )
        assert await jobs.requeue_stalled(registry) == 1
    job = await _job(job_id)
    assert (job["state"], job["stalls"]) == ("failed", 2)
    assert job["error"] == "the worker running this job stopped"


async def _never_called(payload: dict[str, Any], progress: jobs.Progress) -> None:
    raise AssertionError("not to be run")


async def test_queued_job_wakes_an_idle_worker_at_once(database_url: str) -> None:
    """Woken by the table's notification, not by its next look (here 30 s away)."""
    started: list[float] = []

    async def note(payload: dict[str, Any], progress: jobs.Progress) -> None:
        started.append(time.monotonic())

    registry = jobs.JobRegistry()
    registry.add("test.wake", note)
    task = asyncio.create_task(
        jobs.worker(registry, database_url=database_url, time_zone=PARIS, poll_seconds=30)
    )
    try:
        await asyncio.sleep(1.0)  # idle, listening
        queued = time.monotonic()
        await jobs.enqueue("test.wake", {})
        for _ in range(100):
            if started:
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert len(started) == 1
    assert started[0] - queued < 2.0


async def test_only_a_queued_job_notifies_not_a_submit_without_webhooks(database_url: str) -> None:
    """Every submit runs its webhook insert, most often of no row: that must not notify
    (a notifying commit takes PostgreSQL's lock on the notification queue and wakes every
    worker), while a queued job still does."""
    from survey.domain.answering import Open, submit_response
    from tests.factories import make_survey

    heard: list[str] = []
    listener = await asyncpg.connect(database_url)
    await listener.add_listener(jobs.CHANNEL, lambda *args: heard.append(args[2]))
    try:
        definition = await make_survey()
        for _ in range(3):
            await submit_response(
                definition, {"q_quartier": "bissy"}, key=uuid.uuid4(), language="fr", via=Open()
            )
        await asyncio.sleep(0.5)
        assert heard == []
        await jobs.enqueue("test.heard", {})
        await _until(lambda: _true(bool(heard)), 5)
        assert heard == [jobs.CHANNEL]
    finally:
        await listener.close()


async def _true(value: bool) -> bool:
    return value


async def test_daily_job_runs_once_across_two_workers(database_url: str) -> None:
    kind = "test.daily"
    async with connection() as conn:
        await conn.execute("DELETE FROM jobs WHERE kind = $1", kind)
    runs: list[str] = []

    async def daily(payload: dict[str, Any], progress: jobs.Progress, zone: Any) -> None:
        runs.append(payload["day"])
        await asyncio.sleep(0.2)  # long enough for the other worker to want it too

    registries = []
    for _ in range(2):
        registry = jobs.JobRegistry()
        registry.add_daily(kind, daily, hour=3)
        registries.append(registry)
    # Both workers schedule the day at start; one row comes of it.
    await asyncio.gather(*(jobs.schedule_daily(r, time_zone=PARIS) for r in registries))
    async with connection() as conn:
        (row,) = await conn.fetch("SELECT id, payload FROM jobs WHERE kind = $1", kind)
        await conn.execute("UPDATE jobs SET run_after = now() WHERE id = $1", row["id"])
    async with _working(registries[0], database_url), _working(registries[1], database_url):
        await _until(lambda: _done(row["id"]), 30)
        await asyncio.sleep(1.0)  # time for a second run, were there one
    assert len(runs) == 1
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT state, payload->>'day' AS day FROM jobs WHERE kind = $1 ORDER BY run_after",
            kind,
        )
        await conn.execute("DELETE FROM jobs WHERE kind = $1", kind)
    # The run queued the next day's, once.
    day = dt.date.fromisoformat(runs[0])
    later = max(day, dt.datetime.now(PARIS).date()) + dt.timedelta(days=1)
    assert [(r["state"], r["day"]) for r in rows] == [
        ("done", day.isoformat()),
        ("queued", later.isoformat()),
    ]


async def test_analysis_given_up_after_its_workers_stopped_fails_and_frees_its_question() -> None:
    """The run of a job given up is shown failed (not 'running' for ever) and the question
    can be analysed again: the one-active-run-a-question check no longer finds it (the run's
    state is its failed job's).
    The job row is written as already running and at its last allowed stall, so that no
    other worker of the test session (a served app's) can take it meanwhile."""
    import json

    from survey.domain import needs
    from survey.domain.job_kinds import job_registry
    from survey.errors import Conflict
    from survey.models.needs import AnalysisRun
    from tests.factories.needs import BUSES, CHILDCARE, DOCTORS, survey_with_answers

    definition = await survey_with_answers(CHILDCARE + BUSES + DOCTORS)
    run = await AnalysisRun.create(survey_id=definition.id, question_code="manque", params={})
    registry = job_registry(None, stall_seconds=1.0)
    # Taken, then its worker died for the last time; its heartbeat is older than this
    # registry's 1 s but younger than the default 60 s of the session's other workers.
    async with connection() as conn:
        run.job_id = await conn.fetchval(
            "INSERT INTO jobs (kind, payload, state, progress, error, created_at, run_after,"
            " started_at, heartbeat_at, stalls)"
            " VALUES ($1, $2::jsonb, 'running', 0.5, '', now(), now(), now(),"
            " now() - interval '5 seconds', $3) RETURNING id",
            needs.JOB_KIND,
            json.dumps({"run": run.id}),
            registry.max_stalls - 1,
        )
    await run.save(update_fields=["job_id"])
    with pytest.raises(Conflict):
        await needs.start_analysis(definition.slug, "manque")
    assert await jobs.requeue_stalled(registry, [needs.JOB_KIND]) == 1
    assert (await _job(run.job_id))["state"] == "failed"
    await run.refresh_from_db()
    assert (await needs.run_state(run), run.error) == ("failed", "analysis.failed")
    again = await needs.start_analysis(definition.slug, "manque")
    assert again.id != run.id
