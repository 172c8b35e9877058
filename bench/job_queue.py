"""Our PostgreSQL job queue against pgqueuer, on the same embedded PostgreSQL.

Three figures for each: the latency from enqueue to the handler's start on an idle worker
(median and 95th percentile of ``--probes`` jobs queued one at a time), the time to queue
and then run ``--jobs`` trivial jobs with one worker, and the time from killing a worker
mid-job (SIGKILL, no clean-up) to that job starting again on another worker, both queues
given the same ``--stall`` seconds as their staleness threshold.

Run ``python bench/job_queue.py`` (pgqueuer installed: ``pip install pgqueuer``); the last
line printed is one JSON object with every figure. Everything talks to 127.0.0.1 or a Unix
socket; every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import ROOT, database  # noqa: E402

ZONE = ZoneInfo("Europe/Paris")

# A worker of each queue in its own process, killed by the bench while its job sleeps.
OURS_VICTIM = textwrap.dedent(
    """
    import asyncio, sys
    from zoneinfo import ZoneInfo
    from survey.domain import jobs
    from survey.runtime import orm

    async def slow(payload, progress):
        print("started", flush=True)
        await asyncio.sleep(3600)

    async def main():
        registry = jobs.JobRegistry(heartbeat_seconds=1.0, stall_seconds=float(sys.argv[2]))
        registry.add("bench.slow", slow)
        async with orm(sys.argv[1]):
            await jobs.worker(registry, database_url=sys.argv[1], time_zone=ZoneInfo("UTC"))

    asyncio.run(main())
    """
)
PGQ_VICTIM = textwrap.dedent(
    """
    import asyncio, sys
    from datetime import timedelta
    import asyncpg
    from pgqueuer import AsyncpgDriver, Queries, QueueManager

    async def main():
        qm = QueueManager(Queries(AsyncpgDriver(await asyncpg.connect(sys.argv[1]))))

        @qm.entrypoint("bench.slow")
        async def slow(job):
            print("started", flush=True)
            await asyncio.sleep(3600)

        await qm.run(heartbeat_timeout=timedelta(seconds=float(sys.argv[2])))

    asyncio.run(main())
    """
)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


async def _wait(predicate: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the bench waited too long")
        await asyncio.sleep(0.005)


def _victim(script: str, url: str, stall: float) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", script, url, str(stall)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


async def _kill_when_started(victim: subprocess.Popen[str]) -> float:
    """Wait for the victim to start its job, kill it; return the wall time of the kill."""
    assert victim.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(victim.stdout.readline), 60)
    assert line.strip() == "started", line
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    return time.time()


# --- ours -------------------------------------------------------------------------------------


async def bench_ours(url: str, probes: int, count: int, stall: float) -> dict[str, Any]:
    from survey.domain import jobs
    from survey.domain.db import connection
    from survey.runtime import orm

    started: dict[int, float] = {}
    done, last = 0, 0.0

    async def probe(payload: dict[str, Any], progress: jobs.Progress) -> None:
        started[int(payload["n"])] = time.perf_counter()

    async def trivial(payload: dict[str, Any], progress: jobs.Progress) -> None:
        nonlocal done, last
        done += 1
        last = time.perf_counter()

    restarted: list[float] = []

    async def slow(payload: dict[str, Any], progress: jobs.Progress) -> None:
        restarted.append(time.time())

    async with orm(url):
        async with connection() as conn:
            await conn.execute("DELETE FROM jobs")
        registry = jobs.JobRegistry(heartbeat_seconds=1.0, stall_seconds=stall)
        registry.add("bench.probe", probe)
        registry.add("bench.trivial", trivial)
        worker = asyncio.create_task(jobs.worker(registry, database_url=url, time_zone=ZONE))
        await asyncio.sleep(1.0)  # listening, idle
        latencies = []
        for n in range(probes):
            queued = time.perf_counter()
            await jobs.enqueue("bench.probe", {"n": n})
            await _wait(lambda n=n: n in started, 30)  # type: ignore[misc]
            latencies.append(started[n] - queued)
            await asyncio.sleep(0.05)
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker

        began = time.perf_counter()
        for n in range(count):
            await jobs.enqueue("bench.trivial", {"n": n})
        queued_in = time.perf_counter() - began
        began = time.perf_counter()
        worker = asyncio.create_task(jobs.worker(registry, database_url=url, time_zone=ZONE))
        await _wait(lambda: done == count, 600)
        ran_in = last - began
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker

        victim = _victim(OURS_VICTIM, url, stall)
        await asyncio.sleep(1.0)
        await jobs.enqueue("bench.slow", {})
        killed = await _kill_when_started(victim)
        rescuer = jobs.JobRegistry(heartbeat_seconds=1.0, stall_seconds=stall)
        rescuer.add("bench.slow", slow)
        worker = asyncio.create_task(jobs.worker(rescuer, database_url=url, time_zone=ZONE))
        await _wait(lambda: bool(restarted), 120)
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
    return {
        "latency_median_ms": _ms(statistics.median(latencies)),
        "latency_p95_ms": _ms(_pct(latencies, 0.95)),
        "enqueue_one_by_one_s": round(queued_in, 2),
        "run_s": round(ran_in, 2),
        "jobs_per_s": round(count / ran_in),
        "stalled_job_again_after_s": round(restarted[0] - killed, 2),
    }


# --- pgqueuer ---------------------------------------------------------------------------------


async def bench_pgqueuer(url: str, probes: int, count: int, stall: float) -> dict[str, Any]:
    import asyncpg
    from pgqueuer import AsyncpgDriver, Queries, QueueManager

    admin = await asyncpg.connect(url)
    queries = Queries(AsyncpgDriver(admin))
    if not await queries.schema_is_installed():
        await queries.install()
    await admin.execute("DELETE FROM pgqueuer")

    async def running(
        setup: Callable[[QueueManager], None], **options: Any
    ) -> tuple[QueueManager, asyncio.Task]:  # type: ignore[type-arg]
        qm = QueueManager(Queries(AsyncpgDriver(await asyncpg.connect(url))))
        setup(qm)
        task = asyncio.create_task(qm.run(heartbeat_timeout=timedelta(seconds=stall), **options))
        await asyncio.sleep(1.0)
        return qm, task

    async def stop(qm: QueueManager, task: Awaitable[None]) -> None:
        qm.shutdown.set()
        await asyncio.wait_for(task, 60)

    started: dict[int, float] = {}
    done, last = 0, 0.0
    restarted: list[float] = []

    def handlers(qm: QueueManager) -> None:
        @qm.entrypoint("bench.probe")
        async def probe(job: Any) -> None:
            started[int(job.payload)] = time.perf_counter()

        @qm.entrypoint("bench.trivial")
        async def trivial(job: Any) -> None:
            nonlocal done, last
            done += 1
            last = time.perf_counter()

    qm, task = await running(handlers)
    latencies = []
    for n in range(probes):
        queued = time.perf_counter()
        await queries.enqueue("bench.probe", str(n).encode())
        await _wait(lambda n=n: n in started, 30)  # type: ignore[misc]
        latencies.append(started[n] - queued)
        await asyncio.sleep(0.05)
    await stop(qm, task)

    began = time.perf_counter()
    for n in range(count):
        await queries.enqueue("bench.trivial", str(n).encode())
    queued_in = time.perf_counter() - began
    began = time.perf_counter()
    qm, task = await running(handlers)
    await _wait(lambda: done == count, 600)
    ran_in = last - began
    await stop(qm, task)

    def rescuer(qm: QueueManager) -> None:
        @qm.entrypoint("bench.slow")
        async def slow(job: Any) -> None:
            restarted.append(time.time())

    # As shipped (a look at the table every 30 s), then told to look every stall / 2 s.
    recovery = []
    for options in ({}, {"dequeue_timeout": timedelta(seconds=stall / 2)}):
        await admin.execute("DELETE FROM pgqueuer")
        restarted.clear()
        victim = _victim(PGQ_VICTIM, url, stall)
        await asyncio.sleep(1.0)
        await queries.enqueue("bench.slow", None)
        killed = await _kill_when_started(victim)
        qm, task = await running(rescuer, **options)
        await _wait(lambda: bool(restarted), 120)
        await stop(qm, task)
        recovery.append(round(restarted[0] - killed, 2))
    await admin.close()
    return {
        "latency_median_ms": _ms(statistics.median(latencies)),
        "latency_p95_ms": _ms(_pct(latencies, 0.95)),
        "enqueue_one_by_one_s": round(queued_in, 2),
        "run_s": round(ran_in, 2),
        "jobs_per_s": round(count / ran_in),
        "stalled_job_again_after_s": recovery[0],
        "stalled_job_again_after_s_polling_every_stall_half": recovery[1],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--probes", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--stall", type=float, default=5.0)
    args = parser.parse_args()
    figures: dict[str, Any] = {"jobs": args.jobs, "probes": args.probes, "stall_s": args.stall}
    with database("parlons_bench_jobs") as (url, _):
        figures["ours"] = asyncio.run(bench_ours(url, args.probes, args.jobs, args.stall))
        print("ours", figures["ours"], flush=True)
        try:
            import pgqueuer  # noqa: F401
        except ImportError:
            figures["pgqueuer"] = "not installed"
        else:
            figures["pgqueuer"] = asyncio.run(
                bench_pgqueuer(url, args.probes, args.jobs, args.stall)
            )
            print("pgqueuer", figures["pgqueuer"], flush=True)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
