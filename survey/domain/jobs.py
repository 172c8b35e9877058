"""Background jobs kept in PostgreSQL, so they survive restarts and scale to several workers.

A worker takes the oldest due job with ``FOR UPDATE SKIP LOCKED``: two processes never
run the same job. Handlers are registered per kind and report progress between 0 and 1.
A handler whose work may succeed later (a server down) raises ``RetryLater``: the job goes
back to the queue with a ``run_after`` time, and the worker is free meanwhile.

A daily job (``@daily(kind)``) is a row keyed by its day (``unique_key``, unique): each
worker schedules it when it starts, and each run queues the next day's before doing its
work. However many processes schedule it, one row per day exists, so it runs once a day.

Days and hours are those of the instance's time zone, which the worker is given
(``worker(time_zone=...)``, from the settings) and hands to the handlers that need it: daily
jobs and e-mails (``zoned_handler``). A caller of ``run_next`` that gives no zone leaves
those jobs in the queue.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import traceback
from collections.abc import Awaitable, Callable, Collection
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from survey.domain.db import connection
from survey.enums import JobState
from survey.errors import SurveyError, Unavailable

log = logging.getLogger("parlons.jobs")

Progress = Callable[[float], Awaitable[None]]
Handler = Callable[[dict[str, Any], Progress], Awaitable[None]]
# A handler that also needs the instance's time zone (dates in a message, "today").
ZonedHandler = Callable[[dict[str, Any], Progress, ZoneInfo], Awaitable[None]]
_handlers: dict[str, Handler] = {}
_zoned: dict[str, ZonedHandler] = {}
# Kinds this process cannot run for want of configuration (e-mail without a mail server):
# left in the queue for a process that can.
_paused: set[str] = set()
# Daily kinds and the local hour of their run.
_daily: dict[str, int] = {}

_TAKE = """
UPDATE jobs SET state = 'running', started_at = now(), progress = 0
WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_after <= now()
            AND kind = ANY($1::text[])
            ORDER BY run_after, id FOR UPDATE SKIP LOCKED LIMIT 1)
RETURNING id, kind, payload
"""


class RetryLater(Exception):
    """Raised by a handler to run its job again in ``seconds``; ``reason`` is kept meanwhile."""

    def __init__(self, seconds: float, reason: str) -> None:
        super().__init__(reason)
        self.seconds = max(0.0, seconds)
        self.reason = reason


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the coroutine that runs jobs of ``kind``."""

    def register(function: Handler) -> Handler:
        _handlers[kind] = function
        return function

    return register


def zoned_handler(kind: str) -> Callable[[ZonedHandler], ZonedHandler]:
    """Register the coroutine that runs jobs of ``kind`` and needs the instance's zone."""

    def register(function: ZonedHandler) -> ZonedHandler:
        _zoned[kind] = function
        return function

    return register


def pause(kind: str, paused: bool = True) -> None:
    """Stop (or start again) taking jobs of ``kind`` in this process."""
    if paused:
        _paused.add(kind)
    else:
        _paused.discard(kind)


_INSERT = (
    "INSERT INTO jobs (kind, payload, state, progress, error, created_at, run_after)"
    " VALUES ($1, $2::jsonb, 'queued', 0, '', now(), now() + make_interval(secs => $3))"
    " RETURNING id"
)


async def enqueue(
    kind: str,
    payload: dict[str, Any],
    *,
    delay: float = 0.0,
    conn: asyncpg.Connection | None = None,
) -> int:
    """Queue a job, to be taken now or ``delay`` seconds from now; with ``conn``, inside
    that connection's transaction (the job exists if and only if the transaction commits)."""
    args = (kind, json.dumps(payload), float(delay))
    if conn is not None:
        return int(await conn.fetchval(_INSERT, *args))
    async with connection() as own:
        return int(await own.fetchval(_INSERT, *args))


def daily(kind: str, *, hour: int = 3) -> Callable[[ZonedHandler], ZonedHandler]:
    """Register the coroutine of a job run once a day, at ``hour`` of the instance's zone."""

    def register(function: ZonedHandler) -> ZonedHandler:
        async def run(payload: dict[str, Any], progress: Progress, zone: ZoneInfo) -> None:
            # The next day first: a failing run does not stop the ones after it.
            day = dt.date.fromisoformat(str(payload.get("day")))
            today = dt.datetime.now(zone).date()
            await _queue_day(kind, max(day, today) + dt.timedelta(days=1), hour, zone)
            await function(payload, progress, zone)

        _daily[kind] = hour
        _zoned[kind] = run
        return function

    return register


async def _queue_day(kind: str, day: dt.date, hour: int, zone: ZoneInfo) -> bool:
    """Queue ``kind`` for ``day`` at ``hour`` (in ``zone``) unless that day's job exists."""
    at = dt.datetime.combine(day, dt.time(hour), zone)
    async with connection() as conn:
        found = await conn.fetchval(
            "INSERT INTO jobs (kind, payload, state, progress, error, created_at, run_after,"
            " unique_key) VALUES ($1, $2::jsonb, 'queued', 0, '', now(), $3, $4)"
            " ON CONFLICT (unique_key) DO NOTHING RETURNING id",
            kind,
            json.dumps({"day": day.isoformat()}),
            at,
            f"{kind}@{day.isoformat()}",
        )
    return found is not None


async def schedule_daily(*, time_zone: ZoneInfo, kinds: Collection[str] | None = None) -> None:
    """Make sure each daily job (of ``kinds``) has its next run queued, at its next hour in
    ``time_zone``.

    A process started after that hour waits for the next day rather than running at once:
    daily jobs are idempotent, and a start never does heavy work behind the first requests.
    """
    for kind, hour in _daily.items():
        if kinds is not None and kind not in kinds:
            continue
        async with connection() as conn:
            waiting = await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM jobs WHERE kind = $1"
                " AND state IN ('queued', 'running'))",
                kind,
            )
        if waiting:
            continue
        now = dt.datetime.now(time_zone)
        day = now.date() if now.hour < hour else now.date() + dt.timedelta(days=1)
        # Another process may be queuing the same day: the key lets one row through.
        await _queue_day(kind, day, hour, time_zone)


async def get_job(job_id: int) -> dict[str, Any] | None:
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT id, kind, payload, state, progress, error, created_at, run_after,"
            " started_at, finished_at FROM jobs WHERE id = $1",
            job_id,
        )
    if row is None:
        return None
    return {**dict(row), "payload": json.loads(row["payload"])}


async def run_next(
    kinds: Collection[str] | None = None, *, time_zone: ZoneInfo | None = None
) -> int | None:
    """Run one queued job (of one of ``kinds``, when given), if any; return its id.

    Jobs that need the instance's zone (daily jobs, e-mails) are taken only with
    ``time_zone``."""
    known = [*_handlers, *(_zoned if time_zone is not None else ())]
    runnable = [k for k in known if k not in _paused and (kinds is None or k in kinds)]
    async with connection() as conn:
        row = await conn.fetchrow(_TAKE, runnable)
    if row is None:
        return None
    job_id = int(row["id"])

    async def progress(value: float) -> None:
        async with connection() as conn:
            await conn.execute(
                "UPDATE jobs SET progress = $2 WHERE id = $1", job_id, max(0.0, min(1.0, value))
            )

    try:
        payload = json.loads(row["payload"])
        if row["kind"] in _zoned and time_zone is not None:
            await _zoned[row["kind"]](payload, progress, time_zone)
        else:
            await _handlers[row["kind"]](payload, progress)
    except RetryLater as retry:
        log.info("job %s to be tried again in %.0f s: %s", job_id, retry.seconds, retry.reason)
        async with connection() as conn:
            await conn.execute(
                "UPDATE jobs SET state = 'queued', error = $2, started_at = NULL,"
                " run_after = now() + make_interval(secs => $3) WHERE id = $1",
                job_id,
                retry.reason[-2000:],
                retry.seconds,
            )
    except Exception as exc:  # A failed job is recorded, never kills the worker.
        if isinstance(exc, SurveyError):
            # A refusal the staff are shown (too few answers to group...): one line, since
            # nothing is broken; anything else keeps its traceback for whoever runs the server.
            log.warning("job %s refused: %s", job_id, exc.key)
        else:
            log.exception("job %s failed", job_id)
        async with connection() as conn:
            await conn.execute(
                "UPDATE jobs SET state = 'failed', error = $2, finished_at = now() WHERE id = $1",
                job_id,
                "".join(traceback.format_exception_only(exc))[-2000:],
            )
    else:
        async with connection() as conn:
            await conn.execute(
                "UPDATE jobs SET state = 'done', progress = 1, error = '', finished_at = now()"
                " WHERE id = $1",
                job_id,
            )
    return job_id


async def requeue_stale(minutes: int = 30) -> int:
    """Jobs left running by a crashed worker go back to the queue."""
    async with connection() as conn:
        result = await conn.execute(
            "UPDATE jobs SET state = 'queued' WHERE state = 'running'"
            " AND started_at < now() - make_interval(mins => $1)",
            minutes,
        )
    return int(result.split()[-1])


async def worker(
    *, time_zone: ZoneInfo, poll_seconds: float = 1.0, kinds: Collection[str] | None = None
) -> None:
    """Run jobs (of ``kinds``, when given) until cancelled (started by the app's lifespan);
    days and hours are those of ``time_zone``."""
    scheduled = False
    while True:
        try:
            if not scheduled:
                await schedule_daily(time_zone=time_zone, kinds=kinds)
                scheduled = True
            if await run_next(kinds, time_zone=time_zone) is None:
                await asyncio.sleep(poll_seconds)
        except asyncio.CancelledError:
            raise
        except Unavailable:
            await asyncio.sleep(poll_seconds * 5)
        except Exception:
            log.exception("job worker error")
            await asyncio.sleep(poll_seconds * 5)


JOB_STATES = tuple(JobState)
