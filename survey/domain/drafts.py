"""Drafts: the answers a resident typed so far, kept under a "finish later" code.

The code is an access code (``access_codes``): read out, typed back, or opened from a link;
a draft expires after its survey's resume delay.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from survey.domain.access_codes import new_code, normalise_code
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.forms import RawForm
from survey.errors import NotFound, SurveyError


@dataclass(frozen=True)
class Draft:
    code: str
    raw: RawForm
    step: int
    language: str
    invitation: str
    expires_at: dt.datetime


async def save_draft(
    definition: SurveyDef, raw: RawForm, *, step: int, language: str, invitation: str = ""
) -> Draft:
    """Keep the answers typed so far; they expire after the survey's resume delay."""
    payload = json.dumps(raw, ensure_ascii=False)
    async with connection() as conn:
        # Expired drafts go as new ones arrive: no separate clean-up task to run.
        await conn.execute("DELETE FROM resume_drafts WHERE expires_at < now()")
        for _ in range(5):
            row = await conn.fetchrow(
                "INSERT INTO resume_drafts (survey_id, code, form_values, step, language,"
                " invitation, created_at, expires_at) VALUES ($1, $2, $3::jsonb, $4, $5, $6, now(),"
                " now() + make_interval(days => $7))"
                " ON CONFLICT (code) DO NOTHING RETURNING code, expires_at",
                definition.id,
                new_code(),
                payload,
                step,
                language,
                invitation,
                definition.resume_days,
            )
            if row:
                return Draft(row["code"], raw, step, language, invitation, row["expires_at"])
    raise SurveyError("error.try_again")


async def load_draft(definition: SurveyDef, code: str) -> Draft:
    """The saved answers for ``code``; unknown and expired codes get a clear message."""
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT code, form_values, step, language, invitation, expires_at,"
            " expires_at < now() AS old FROM resume_drafts WHERE survey_id = $1 AND code = $2",
            definition.id,
            normalise_code(code),
        )
    if row is None:
        raise NotFound("builder.resume_unknown")
    if row["old"]:
        raise SurveyError("builder.resume_expired")
    raw = {str(k): [str(v) for v in vs] for k, vs in json.loads(row["form_values"]).items()}
    return Draft(
        row["code"], raw, row["step"], row["language"], row["invitation"], row["expires_at"]
    )


async def delete_draft(code: str) -> None:
    async with connection() as conn:
        await conn.execute("DELETE FROM resume_drafts WHERE code = $1", normalise_code(code))
