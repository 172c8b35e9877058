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
            survey_id = await conn.fetchval("SELECT id FROM surveys WHERE slug = $1", survey_slug)
            if survey_id is None:
                raise SurveyError("builder.token_survey_unknown")
        await conn.execute(
            "INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at, scope,"
            " survey_id) VALUES ($1, $2, $3, $4, now(), $5, $6)",
            user_id,
            name,
            token[:12],
            _token_hash(token),
            READ_SURVEYS,
            survey_id,
        )
    return token


async def list_api_tokens(user_id: int) -> list[dict[str, Any]]:
    """The user's tokens, newest first, with the survey each one reads (none: all)."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT t.id, t.name, t.prefix, t.created_at, t.last_used_at, t.revoked_at,"
            " t.scope, s.slug AS survey_slug FROM api_tokens t"
            " LEFT JOIN surveys s ON s.id = t.survey_id"
            " WHERE t.user_id = $1 ORDER BY t.created_at DESC, t.id DESC",
            user_id,
        )
    return [dict(r) for r in rows]


async def revoke_api_token(user_id: int, token_id: int) -> None:
    """Revoke one of the user's own tokens (another user's is not found)."""
    async with connection() as conn:
        done = await conn.execute(
            "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())"
            " WHERE id = $1 AND user_id = $2",
            token_id,
            user_id,
        )
    if done.endswith(" 0"):
        raise NotFound("builder.token_unknown")


async def token_survey_choices() -> list[dict[str, Any]]:
    """The surveys a new token may be limited to: slug and titles, newest first."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT slug, title_fr, title_en FROM surveys ORDER BY created_at DESC, id DESC"
        )
    return [dict(r) for r in rows]


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
    async with connection() as conn:
        row = await conn.fetchrow(
            "UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1"
            " AND revoked_at IS NULL AND scope = $2 RETURNING user_id, survey_id",
            _token_hash(token.strip()),
            READ_SURVEYS,
        )
    if row is None:
        raise ApiDenied("builder.api_token_invalid")
    return ApiGrant(int(row["user_id"]), row["survey_id"])
