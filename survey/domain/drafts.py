"""Drafts: the answers a resident typed so far, kept under a "finish later" code.

The code is an access code (``access_codes``): read out, typed back, or opened from a link;
a draft expires after its survey's resume delay.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from survey.domain.access_codes import new_code, normalise_code
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.forms import RawForm
from survey.domain.queries import resume_drafts
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
    async with connection() as conn:
        # Expired drafts go as new ones arrive: no separate clean-up task to run.
        await resume_drafts.delete_expired(conn)
        for _ in range(5):
            saved = await resume_drafts.insert(
                conn,
                definition.id,
                new_code(),
                raw,
                step=step,
                language=language,
                invitation=invitation,
                days=definition.resume_days,
            )
            if saved:
                return Draft(saved.code, raw, step, language, invitation, saved.expires_at)
    raise SurveyError("error.try_again")


async def load_draft(definition: SurveyDef, code: str) -> Draft:
    """The saved answers for ``code``; unknown and expired codes get a clear message."""
    found = await resume_drafts.by_code(definition.id, normalise_code(code))
    if found is None:
        raise NotFound("builder.resume_unknown")
    if found.expired:
        raise SurveyError("builder.resume_expired")
    return Draft(
        found.code,
        found.form_values,
        found.step,
        found.language,
        found.invitation,
        found.expires_at,
    )


async def delete_draft(code: str) -> None:
    await resume_drafts.delete(normalise_code(code))
