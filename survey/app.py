"""The application factory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import asyncpg
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from tortoise.contrib.starlette import RegisterTortoise
from tortoise.exceptions import ValidationError

from survey import db
from survey.domain import jobs
from survey.domain.job_kinds import job_registry
from survey.errors import SurveyError, Unavailable
from survey.settings import Settings
from survey.web.common import render
from survey.web.limits import BodyLimits
from survey.web.ratelimit import Limiter
from survey.web.routes import routes
from survey.web.security import SecurityHeaders
from survey.web.sessions import SignedCookieSessions

log = logging.getLogger("parlons")


async def _survey_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SurveyError)
    return render(request, "error.html", status_code=exc.status, message=exc.key, params=exc.params)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    key = {404: "error.not_found", 405: "error.method"}.get(exc.status_code, "error.bad_request")
    return render(request, "error.html", status_code=exc.status_code, message=key, params={})


async def _database_down(request: Request, exc: Exception) -> Response:
    """PostgreSQL unreachable or restarting: a clear "try again" page, not a crash."""
    log.warning("database unavailable on %s: %s", request.url.path, type(exc).__name__)
    return await _survey_error(request, Unavailable("error.database_unavailable"))


# A value the database cannot hold (too long for its column, out of range, a character it
# cannot store) that no check of the view caught: the request was bad, the server is fine.
_BAD_VALUES = (asyncpg.exceptions.DataError, ValidationError)


async def _bad_value(request: Request, exc: Exception) -> Response:
    log.warning("value refused by the database on %s: %s", request.url.path, type(exc).__name__)
    return await _survey_error(request, SurveyError("error.bad_form"))


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return render(request, "error.html", status_code=500, message="error.internal", params={})


def create_app(
    settings: Settings, database_url: str, *, pool_max: int = 10, run_jobs: bool = True
) -> Starlette:
    """Build the app for an already migrated database at ``database_url``; its job
    registry (``app.state.jobs``) sends e-mail with ``settings.smtp``."""
    registry = job_registry(settings.smtp)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        config = db.tortoise_config(database_url, pool_max=pool_max)
        async with RegisterTortoise(app, config=config):
            # What exists now (modules, models, templates) lives as long as the process: keep
            # it out of the garbage collector's full passes, which otherwise walk it all and
            # pause every request for tens of milliseconds.
            gc.collect()
            gc.freeze()
            task = None
            if run_jobs:
                task = asyncio.create_task(
                    jobs.worker(
                        registry,
                        database_url=database_url,
                        time_zone=settings.time_zone,
                        kinds=settings.job_kinds,
                    )
                )
            try:
                yield
            finally:
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(BodyLimits, max_upload_bytes=settings.max_upload_bytes),
            Middleware(SecurityHeaders),
            Middleware(
                SignedCookieSessions,
                secret_key=settings.secret_key,
                session_cookie="parlons_session",
                max_age=8 * 3600,
                same_site="lax",
                https_only=settings.secure_cookies,
            ),
        ],
        exception_handlers={
            SurveyError: _survey_error,
            HTTPException: _http_error,
            # Handled as ordinary errors (not 500s), so each gets the "try again" page.
            **dict.fromkeys(db.CONNECTION_ERRORS, _database_down),
            **dict.fromkeys(_BAD_VALUES, _bad_value),
            Exception: _server_error,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.jobs = registry
    app.state.limiter = Limiter(
        per_client=settings.submissions_per_minute,
        per_session=max(10, settings.submissions_per_minute // 10),
    )
    return app


def serve(settings: Settings, database_url: str, *, host: str, port: int, workers: int = 1) -> None:
    """Serve the app with uvicorn; each worker process builds it from the arguments given
    here (pickled into the process), not from the environment."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        partial(create_app, settings, database_url),
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
        access_log=False,
        # A new worker process unpickles the factory, and so imports this module, before
        # it can answer the supervisor's health checks: seconds on a loaded machine.
        timeout_worker_healthcheck=60,
    )
    if workers > 1:
        # What uvicorn.run does for several workers, which it allows for an import string
        # only: one socket, a supervisor restarting the processes that die.
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    server = uvicorn.Server(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        raise SystemExit(3)  # uvicorn's own status when the app could not start
