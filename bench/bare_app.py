"""The baseline of ``submit_load.py``: a bare Starlette + asyncpg endpoint doing the same INSERT."""

from __future__ import annotations

import json
import os
import secrets
import uuid
from contextlib import asynccontextmanager

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Route

from survey.db import credentials

SQL = (
    "INSERT INTO responses (survey_id, idempotency_key, receipt, answers, language, channel,"
    " submitted_at) VALUES ($1, $2, $3, $4::jsonb, 'fr', 'web', now())"
    " ON CONFLICT (idempotency_key) DO NOTHING RETURNING receipt"
)
pool: asyncpg.Pool | None = None


async def submit(request: Request) -> RedirectResponse:
    # The same form as the real path, stored as-is: no session, CSRF or validation.
    form = await request.form()
    answers = json.dumps({k[2:]: str(v) for k, v in form.multi_items() if k.startswith("q_")})
    assert pool is not None
    receipt = await pool.fetchval(
        SQL,
        int(os.environ["BARE_SURVEY_ID"]),
        uuid.UUID(str(form["key"])),
        secrets.token_hex(5),
        answers,
    )
    return RedirectResponse(f"/merci/{receipt}", status_code=303)


@asynccontextmanager
async def lifespan(app: Starlette):  # type: ignore[no-untyped-def]
    global pool
    pool = await asyncpg.create_pool(**credentials(os.environ["DATABASE_URL"]), max_size=10)
    yield
    await pool.close()


# A page of about the size of a survey section, for the render benchmark.
PAGE = "<!doctype html><html lang=fr><title>Page</title><main>" + "<p>Question ?</p>" * 250


async def page(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE)


def app() -> Starlette:
    return Starlette(
        routes=[
            Route("/submit", submit, methods=["POST"]),
            Route("/page", page, methods=["GET"]),
            Route("/", lambda r: RedirectResponse("/submit")),
        ],
        lifespan=lifespan,
    )
