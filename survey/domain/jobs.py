"""Background jobs kept in PostgreSQL, so they survive restarts and scale to several workers.

A worker takes the oldest due job with ``FOR UPDATE SKIP LOCKED``: two processes never
run the same job. The kinds a process runs, and their handlers, are a ``JobRegistry`` built
by the application factory (``survey.domain.job_kinds``): importing a module registers
nothing. Handlers report progress between 0 and 1. A handler whose work may succeed later
(a server down) raises ``RetryLater``: the job goes back to the queue with a ``run_after``
time, and the worker is free meanwhile.

A worker sleeps until PostgreSQL tells it a job was queued (``LISTEN``; a trigger on the
table notifies, whoever inserts), and also looks every few seconds, for jobs that became
due and for stalled ones. A running job's worker writes a heartbeat; a job whose heartbeat
is older than the registry's ``stall_seconds`` (its worker was killed, its machine lost) is
queued again, at most ``max_stalls`` times, then failed.

A daily job (``add_daily``) is a row keyed by its day (``unique_key``, unique): each
worker schedules it when it starts, and each run queues the next day's before doing its
work. However many processes schedule it, one row per day exists, so it runs once a day.

Why this queue and not a library: ``bench/job_queue.py`` runs it beside pgqueuer on the
same PostgreSQL (read on 2026-12-03, 2 cores, pgqueuer 1.6.0: a job started 2.9 ms after
being queued, median, against 5.7 ms; a killed worker's job ran again 5.0 s after it, at
a 5-s stall limit, against 30.1 s, 5.05 s with pgqueuer's polling tuned; 578 trivial jobs
a second against 1,147). Our jobs are few and long (analyses, draws, mails): throughput on
trivial jobs is not what they need. Moving the daily jobs (once a day in the instance's zone,
however many processes), per-kind stall limits and the given-up hook onto its scheduler
and retries would be work with nothing measured to gain.

Days and hours are those of the instance's time zone, which the worker is given
(``worker(time_zone=...)``, from the settings) and hands to the handlers that need it: daily
jobs and e-mails (``add_zoned``). A caller of ``run_next`` that gives no zone leaves
those jobs in the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Collection
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import asyncpg

from survey.domain.db import connection
from survey.enums import JobState
from survey.errors import SurveyError, Unavailable

log = logging.getLogger("parlons.jobs")

Progress = Callable[[float], Awaitable[None]]
Handler = Callable[[dict[str, Any], Progress], Awaitable[None]]
# A handler that also needs the instance's time zone (dates in a message, "today").
# Told that a job of its kind was given up after its workers stopped ``max_stalls`` times.
GivenUp = Callable[[dict[str, Any]], Awaitable[None]]
ZonedHandler = Callable[[dict[str, Any], Progress, ZoneInfo], Awaitable[None]]
# The channel the table's trigger notifies when a job is queued.
CHANNEL = "parlons_jobs"


class RetryLater(Exception):
    """Raised by a handler to run its job again in ``seconds``; ``reason`` is kept meanwhile."""

    def __init__(self, seconds: float, reason: str) -> None:
        super().__init__(reason)
        self.seconds = max(0.0, seconds)
        self.reason = reason


class JobRegistry:
    """The job kinds one process runs: their handlers, the daily ones and their hour, the
    paused ones (left in the queue for a process that can run them), and the limits of
    stalled-job recovery."""

    def __init__(
        self, *, heartbeat_seconds: float = 10.0, stall_seconds: float = 60.0, max_stalls: int = 3
    ) -> None:
        self.heartbeat_seconds = heartbeat_seconds
        self.stall_seconds = stall_seconds
        self.max_stalls = max_stalls
        self.handlers: dict[str, Handler] = {}
        self.zoned: dict[str, ZonedHandler] = {}
        self.daily: dict[str, int] = {}
        self.paused: set[str] = set()
        self.given_up: dict[str, GivenUp] = {}

    def add(self, kind: str, function: Handler, *, given_up: GivenUp | None = None) -> None:
        """Run jobs of ``kind`` with ``function``; ``given_up(payload)`` records elsewhere
        that a job of that kind failed without its handler knowing (its worker stopped too
        often: see ``requeue_stalled``)."""
        self.handlers[kind] = function
        if given_up is not None:
            self.given_up[kind] = given_up

    def add_zoned(self, kind: str, function: ZonedHandler) -> None:
        """Run jobs of ``kind`` with ``function``, which needs the instance's zone."""
        self.zoned[kind] = function

    def add_daily(self, kind: str, function: ZonedHandler, *, hour: int = 3) -> None:
        """Run ``function`` once a day, at ``hour`` of the instance's zone."""

        async def run(payload: dict[str, Any], progress: Progress, zone: ZoneInfo) -> None:
            # The next day first: a failing run does not stop the ones after it.
            day = dt.date.fromisoformat(str(payload.get("day")))
            today = dt.datetime.now(zone).date()
            await _queue_day(kind, max(day, today) + dt.timedelta(days=1), hour, zone)
            await function(payload, progress, zone)

        self.daily[kind] = hour
        self.zoned[kind] = run

    def pause(self, kind: str, paused: bool = True) -> None:
        """Stop (or start again) taking jobs of ``kind`` in this process."""
        if paused:
            self.paused.add(kind)
        else:
            self.paused.discard(kind)

    def runnable(self, kinds: Collection[str] | None, *, zoned: bool) -> list[str]:
        known = [*self.handlers, *(self.zoned if zoned else ())]
        return [k for k in known if k not in self.paused and (kinds is None or k in kinds)]


_TAKE = """
UPDATE jobs SET state = 'running', started_at = now(), heartbeat_at = now(), progress = 0
WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_after <= now()
            AND kind = ANY($1::text[])
            ORDER BY run_after, id FOR UPDATE SKIP LOCKED LIMIT 1)
RETURNING id, kind, payload
"""

# One job queued: taken at ``$3`` or, without it, ``$4`` seconds from now; a ``unique_key``
# queued already lets none through. Only batches have their own statement: the mails below,
# and the webhooks a response's own insert queues (queries/responses.py), in one round trip.
_INSERT = (
    "INSERT INTO jobs (kind, payload, state, progress, error, created_at, run_after,"
    " unique_key) VALUES ($1, $2::jsonb, 'queued', 0, '', now(),"
    " coalesce($3::timestamptz, now() + make_interval(secs => $4)), $5)"
    " ON CONFLICT (unique_key) DO NOTHING RETURNING id"
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
    args = (kind, json.dumps(payload), None, float(delay), None)
    if conn is not None:
        return int(await conn.fetchval(_INSERT, *args))
    async with connection() as own:
        return int(await own.fetchval(_INSERT, *args))


async def _queue_day(kind: str, day: dt.date, hour: int, zone: ZoneInfo) -> bool:
    """Queue ``kind`` for ``day`` at ``hour`` (in ``zone``) unless that day's job exists."""
    at = dt.datetime.combine(day, dt.time(hour), zone)
    async with connection() as conn:
        found = await conn.fetchval(
            _INSERT,
            kind,
            json.dumps({"day": day.isoformat()}),
            at,
            0.0,
            f"{kind}@{day.isoformat()}",
        )
    return found is not None


async def schedule_daily(
    registry: JobRegistry, *, time_zone: ZoneInfo, kinds: Collection[str] | None = None
) -> None:
    """Make sure each daily job of ``registry`` (of ``kinds``) has its next run queued, at
    its next hour in ``time_zone``.

    A process started after that hour waits for the next day rather than running at once:
    daily jobs are idempotent, and a start never does heavy work behind the first requests.
    """
    for kind, hour in registry.daily.items():
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


async def _beat(job_id: int, seconds: float) -> None:
    """Tell the other workers, every ``seconds``, that this job's worker is alive."""
    while True:
        await asyncio.sleep(seconds)
        with contextlib.suppress(Unavailable, *_LOST):
            async with connection() as conn:
                await conn.execute("UPDATE jobs SET heartbeat_at = now() WHERE id = $1", job_id)


async def run_next(
    registry: JobRegistry,
    kinds: Collection[str] | None = None,
    *,
    time_zone: ZoneInfo | None = None,
) -> int | None:
    """Run one queued job of ``registry``'s kinds (of ``kinds``, when given), if any; return
    its id.

    Jobs that need the instance's zone (daily jobs, e-mails) are taken only with
    ``time_zone``."""
    runnable = registry.runnable(kinds, zoned=time_zone is not None)
    async with connection() as conn:
        row = await conn.fetchrow(_TAKE, runnable)
    if row is None:
        return None
    job_id = int(row["id"])

    async def progress(value: float) -> None:
        async with connection() as conn:
            await conn.execute(
                "UPDATE jobs SET progress = $2, heartbeat_at = now() WHERE id = $1",
                job_id,
                max(0.0, min(1.0, value)),
            )

    beat = asyncio.create_task(_beat(job_id, registry.heartbeat_seconds))
    try:
        payload = json.loads(row["payload"])
        if row["kind"] in registry.zoned and time_zone is not None:
            await registry.zoned[row["kind"]](payload, progress, time_zone)
        else:
            await registry.handlers[row["kind"]](payload, progress)
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
    finally:
        beat.cancel()
        # Waiting for the heartbeat to stop must not swallow a cancellation of this worker
        # itself arriving meanwhile (``suppress`` would, and the worker would never stop).
        await asyncio.wait([beat])
    return job_id


async def requeue_stalled(registry: JobRegistry, kinds: Collection[str] | None = None) -> int:
    """Jobs of the kinds this worker runs whose worker stopped beating (killed, its machine
    lost) go back to the queue, or fail once they stalled ``registry.max_stalls`` times (a
    job that kills its worker each time must not take the others down forever); return how
    many."""
    async with connection() as conn:
        rows = await conn.fetch(
            "UPDATE jobs SET stalls = stalls + 1, started_at = NULL,"
            " state = CASE WHEN stalls + 1 >= $2 THEN 'failed' ELSE 'queued' END,"
            " finished_at = CASE WHEN stalls + 1 >= $2 THEN now() END,"
            " error = 'the worker running this job stopped'"
            " WHERE state = 'running' AND kind = ANY($3::text[])"
            " AND heartbeat_at < now() - make_interval(secs => $1)"
            " RETURNING kind, payload, state",
            float(registry.stall_seconds),
            registry.max_stalls,
            registry.runnable(kinds, zoned=True),
        )
    for row in rows:
        hook = registry.given_up.get(row["kind"])
        if row["state"] == JobState.FAILED and hook is not None:
            await hook(json.loads(row["payload"]))
    count = len(rows)
    if count:
        log.warning("%s stalled job(s) taken back from a stopped worker", count)
    return count


# What a lost connection raises, besides the pool's own ``Unavailable``.
_LOST = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)


async def _listen(database_url: str, wake: asyncio.Event) -> asyncpg.Connection | None:
    """A connection of its own that sets ``wake`` on each queued job; None when it cannot
    be opened now (the worker then polls, and tries again later)."""
    try:
        conn = await asyncpg.connect(database_url, timeout=5)
        await conn.add_listener(CHANNEL, lambda *_: wake.set())
    except (TimeoutError, *_LOST):
        return None
    return conn


async def worker(
    registry: JobRegistry,
    *,
    database_url: str,
    time_zone: ZoneInfo,
    kinds: Collection[str] | None = None,
    poll_seconds: float = 5.0,
) -> None:
    """Run ``registry``'s jobs (of ``kinds``, when given) until cancelled (started by the
    app's lifespan); days and hours are those of ``time_zone``.

    Woken by each queued job; looks every ``poll_seconds`` anyway (a job due later, a
    stalled one, a notification lost with its connection)."""
    wake = asyncio.Event()
    listener: asyncpg.Connection | None = None
    scheduled = False
    checked = 0.0
    try:
        while True:
            try:
                if listener is None or listener.is_closed():
                    listener = await _listen(database_url, wake)
                if not scheduled:
                    await schedule_daily(registry, time_zone=time_zone, kinds=kinds)
                    scheduled = True
                if time.monotonic() - checked > min(poll_seconds, registry.stall_seconds / 2):
                    await requeue_stalled(registry, kinds)
                    checked = time.monotonic()
                wake.clear()
                if await run_next(registry, kinds, time_zone=time_zone) is None:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), poll_seconds)
            except asyncio.CancelledError:
                raise
            except Unavailable:
                await asyncio.sleep(poll_seconds)
            except Exception:
                log.exception("job worker error")
                await asyncio.sleep(poll_seconds)
    finally:
        if listener is not None and not listener.is_closed():
            listener.terminate()


JOB_STATES = tuple(JobState)


# Jobs of a kind that carry their request's key in their payload (``payload->>'key'``), so
# that one request queues one job and its page can find how it went.


class KeyedJob(NamedTuple):
    state: str
    payload: dict[str, Any]


async def keyed_waiting(conn: asyncpg.Connection, kind: str, key: str) -> bool:
    """Whether a job of ``kind`` with this key is queued or running."""
    return bool(
        await conn.fetchval(
            "SELECT 1 FROM jobs WHERE kind = $1 AND payload->>'key' = $2"
            " AND state IN ('queued', 'running')",
            kind,
            key,
        )
    )


async def add_keyed_errors(kind: str, key: str, errors: str) -> None:
    """Add ``errors`` (JSON text) to the payload of the running job of ``kind`` with this key."""
    async with connection() as conn:
        await conn.execute(
            "UPDATE jobs SET payload = payload || jsonb_build_object('errors', $3::jsonb)"
            " WHERE kind = $1 AND payload->>'key' = $2 AND state = 'running'",
            kind,
            key,
            errors,
        )


async def latest_keyed(kind: str, key: str, council: str) -> KeyedJob | None:
    """The latest job of ``kind`` with this key and this council (``payload->>'council'``)."""
    async with connection() as conn:
        job = await conn.fetchrow(
            "SELECT state, payload FROM jobs WHERE kind = $1 AND payload->>'key' = $2"
            " AND payload->>'council' = $3 ORDER BY id DESC LIMIT 1",
            kind,
            key,
            council,
        )
    return None if job is None else KeyedJob(str(job["state"]), json.loads(job["payload"]))


async def enqueue_for_mails(
    conn: asyncpg.Connection, kind: str, mail_ids: Collection[int], link: str
) -> None:
    """Queue a ``kind`` job for each mail (payload: the mail's id and ``link``), to be taken
    now, inside the caller's transaction: one statement for a batch of any size."""
    await conn.execute(
        "INSERT INTO jobs (kind, payload, state, progress, error, created_at, run_after)"
        " SELECT $3::text, jsonb_build_object('mail', m, 'link', $2::text),"
        " 'queued', 0, '', now(), now() FROM unnest($1::bigint[]) AS m",
        list(mail_ids),
        link,
        kind,
    )
