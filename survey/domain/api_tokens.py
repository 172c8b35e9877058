"""API tokens: read-only access for other programs, for every survey or one.

A token is shown once, in full, when made; only its SHA-256 is kept.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.queries import api_tokens as token_rows
from survey.domain.queries import surveys
from survey.errors import NotFound, SurveyError

TOKEN_PREFIX = "prl_"  # noqa: S105 - a visible marker, not a secret


def _token_hash(token: str) -> str:
    # Tokens carry 256 random bits: a plain SHA-256 is enough, no slow hash needed.
    return hashlib.sha256(token.encode()).hexdigest()


# The one scope so far: read surveys, their definitions and responses; never write.
READ_SURVEYS = "surveys:read"


async def create_api_token(user_id: int, name: str, *, survey_slug: str = "") -> str:
    """A new read-only token for ``user_id``, for every survey or the one of
    ``survey_slug``; the only time it is given in full."""
    name = name.strip()[:100]
    if not name:
        raise SurveyError("builder.token_name_missing")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with connection() as conn:
        survey_id = None
        if survey_slug:
            survey_id = await surveys.id_by_slug(conn, survey_slug)
            if survey_id is None:
                raise SurveyError("builder.token_survey_unknown")
        await token_rows.insert(
            conn, user_id, name, token[:12], _token_hash(token), READ_SURVEYS, survey_id
        )
    return token


async def list_api_tokens(user_id: int) -> list[dict[str, Any]]:
    """The user's tokens, newest first, with the survey each one reads (none: all)."""
    return [t._asdict() for t in await token_rows.by_user(user_id)]


async def revoke_api_token(user_id: int, token_id: int) -> None:
    """Revoke one of the user's own tokens (another user's is not found)."""
    if not await token_rows.revoke(user_id, token_id):
        raise NotFound("builder.token_unknown")


async def token_survey_choices() -> list[dict[str, Any]]:
    """The surveys a new token may be limited to: slug and titles, newest first."""
    return [s._asdict() for s in await surveys.titles()]


class ApiDenied(SurveyError):
    status = 401


@dataclass(frozen=True)
class ApiGrant:
    """What a token lets its holder read: every survey, or one."""

    user_id: int
    survey_id: int | None

    def check(self, definition: SurveyDef) -> None:
        """A survey outside the token's scope is answered as unknown."""
        if self.survey_id is not None and self.survey_id != definition.id:
            raise NotFound("error.survey_not_found")


async def authenticate_token(header: str | None) -> ApiGrant:
    """The grant behind an ``Authorization: Bearer`` header; revoked tokens, and tokens
    without the read scope, are refused."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX):
        raise ApiDenied("builder.api_token_missing")
    grant = await token_rows.use(_token_hash(token.strip()), READ_SURVEYS)
    if grant is None:
        raise ApiDenied("builder.api_token_invalid")
    return ApiGrant(grant.user_id, grant.survey_id)
