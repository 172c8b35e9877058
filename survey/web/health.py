"""Answers for machines: ``/healthz`` (200 when the database answers, 503 otherwise; no
personal data) and ``/favicon.ico``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from survey.domain.health import database_answers
from survey.web.common import PUBLIC, access


@access(PUBLIC)
async def healthz(request: Request) -> Response:
    ready = await database_answers()
    return JSONResponse(
        {"status": "ok" if ready else "unavailable"},
        status_code=200 if ready else 503,
        headers={"cache-control": "no-store"},
    )


@access(PUBLIC)
async def favicon(request: Request) -> Response:
    """Browsers ask every site for an icon: "no content" (cached for a day) instead of a 404
    that each of them logs as an error."""
    return Response(status_code=204, headers={"cache-control": "public, max-age=86400"})
