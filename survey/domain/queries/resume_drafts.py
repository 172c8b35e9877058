"""The ``resume_drafts`` table: answers a resident typed so far, kept under a code."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import asyncpg

from survey.domain.db import connection


class Saved(NamedTuple):
    code: str
    expires_at: dt.datetime


class StoredDraft(NamedTuple):
    code: str
    form_values: dict[str, list[str]]
    step: int
    language: str
    invitation: str
    expires_at: dt.datetime
    expired: bool


async def delete_expired(conn: asyncpg.Connection) -> None:
    await conn.execute("DELETE FROM resume_drafts WHERE expires_at < now()")


async def insert(
    conn: asyncpg.Connection,
    survey_id: int,
    code: str,
    form_values: Mapping[str, Sequence[str]],
    *,
    step: int,
    language: str,
    invitation: str,
    days: int,
) -> Saved | None:
    """A draft kept ``days`` days under ``code``; None when the code is already taken."""
    row = await conn.fetchrow(
        "INSERT INTO resume_drafts (survey_id, code, form_values, step, language,"
        " invitation, created_at, expires_at) VALUES ($1, $2, $3::jsonb, $4, $5, $6, now(),"
        " now() + make_interval(days => $7))"
        " ON CONFLICT (code) DO NOTHING RETURNING code, expires_at",
        survey_id,
        code,
        json.dumps(form_values, ensure_ascii=False),
        step,
        language,
        invitation,
        days,
    )
    return None if row is None else Saved(str(row["code"]), row["expires_at"])


async def by_code(survey_id: int, code: str) -> StoredDraft | None:
    """The survey's draft under ``code``, expired or not."""
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT code, form_values, step, language, invitation, expires_at,"
            " expires_at < now() AS old FROM resume_drafts WHERE survey_id = $1 AND code = $2",
            survey_id,
            code,
        )
    if row is None:
        return None
    values = {str(k): [str(v) for v in vs] for k, vs in json.loads(row["form_values"]).items()}
    return StoredDraft(
        str(row["code"]),
        values,
        int(row["step"]),
        str(row["language"]),
        str(row["invitation"]),
        row["expires_at"],
        bool(row["old"]),
    )


async def delete(code: str) -> None:
    async with connection() as conn:
        await conn.execute("DELETE FROM resume_drafts WHERE code = $1", code)


async def delete_expired_per_survey() -> list[tuple[str, int]]:
    """Delete the drafts past their expiry: how many per survey slug, by slug."""
    async with connection() as conn:
        rows = await conn.fetch(
            "WITH gone AS (DELETE FROM resume_drafts WHERE expires_at < now()"
            " RETURNING survey_id)"
            " SELECT s.slug, count(*) AS n FROM gone JOIN surveys s ON s.id = gone.survey_id"
            " GROUP BY s.slug ORDER BY s.slug"
        )
    return [(r["slug"], int(r["n"])) for r in rows]
