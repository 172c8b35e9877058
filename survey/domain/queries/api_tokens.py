"""The ``api_tokens`` table: read-only API tokens, kept as their SHA-256 only."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import asyncpg

from survey.domain.db import connection


async def revoke_for_user(conn: asyncpg.Connection, user_id: int) -> None:
    """Revoke every token of ``user_id`` not revoked yet."""
    await conn.execute(
        "UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
        user_id,
    )


class Token(NamedTuple):
    """A token as its owner sees it listed: never its hash."""

    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    scope: str
    survey_slug: str | None


class Grant(NamedTuple):
    user_id: int
    survey_id: int | None


async def insert(
    conn: asyncpg.Connection,
    user_id: int,
    name: str,
    prefix: str,
    token_hash: str,
    scope: str,
    survey_id: int | None,
) -> None:
    await conn.execute(
        "INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at, scope,"
        " survey_id) VALUES ($1, $2, $3, $4, now(), $5, $6)",
        user_id,
        name,
        prefix,
        token_hash,
        scope,
        survey_id,
    )


async def by_user(user_id: int) -> list[Token]:
    """The user's tokens, newest first, with the slug of the survey each one is limited to."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT t.id, t.name, t.prefix, t.created_at, t.last_used_at, t.revoked_at,"
            " t.scope, s.slug AS survey_slug FROM api_tokens t"
            " LEFT JOIN surveys s ON s.id = t.survey_id"
            " WHERE t.user_id = $1 ORDER BY t.created_at DESC, t.id DESC",
            user_id,
        )
    return [Token(*r.values()) for r in rows]


async def revoke(user_id: int, token_id: int) -> bool:
    """Revoke a token of ``user_id`` (a revoked one keeps its time); False when the user has
    no such token."""
    async with connection() as conn:
        done = await conn.execute(
            "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())"
            " WHERE id = $1 AND user_id = $2",
            token_id,
            user_id,
        )
    return not done.endswith(" 0")


async def use(token_hash: str, scope: str) -> Grant | None:
    """The owner and survey of the live token with this hash and ``scope``, its last use
    stamped now; None when there is none (unknown, revoked, or another scope)."""
    async with connection() as conn:
        row = await conn.fetchrow(
            "UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1"
            " AND revoked_at IS NULL AND scope = $2 RETURNING user_id, survey_id",
            token_hash,
            scope,
        )
    return None if row is None else Grant(int(row["user_id"]), row["survey_id"])
