"""The ``invitations`` table and its ``invitation_uses``: codes handed to residents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import asyncpg

from survey.domain.db import connection


async def lock_code(conn: asyncpg.Connection, survey_id: int, code: str) -> int | None:
    """The id of this survey's invitation with ``code``, key-share locked until the caller's
    transaction ends (a resend replacing it waits)."""
    value = await conn.fetchval(
        "SELECT id FROM invitations WHERE survey_id = $1 AND code = $2 FOR KEY SHARE",
        survey_id,
        code,
    )
    return None if value is None else int(value)


async def claim(
    conn: asyncpg.Connection, invitation_id: int, *, anonymous: bool, receipt: str | None
) -> bool:
    """Record the code's use; False when it was already used."""
    claimed = await conn.fetchval(
        # In anonymous mode neither time nor receipt: nothing links the code to answers.
        "INSERT INTO invitation_uses (invitation_id, used_at, receipt)"
        " VALUES ($1, CASE WHEN $2 THEN NULL ELSE now() END, $3)"
        " ON CONFLICT DO NOTHING RETURNING invitation_id",
        invitation_id,
        anonymous,
        receipt,
    )
    return claimed is not None


class Counts(NamedTuple):
    total: int
    used: int


class CodeState(NamedTuple):
    id: int
    used: bool


async def insert_codes(conn: asyncpg.Connection, survey_id: int, codes: Sequence[str]) -> list[int]:
    """Add the survey's invitations with these codes; the ids of those made (a code that
    exists already is skipped)."""
    rows = await conn.fetch(
        "INSERT INTO invitations (survey_id, code, label, created_at)"
        " SELECT $1, c, '', now() FROM unnest($2::text[]) AS c"
        " ON CONFLICT (code) DO NOTHING RETURNING id",
        survey_id,
        list(codes),
    )
    return [int(r["id"]) for r in rows]


async def codes(survey_id: int, *, unused_only: bool) -> list[str]:
    """The survey's codes, oldest first; ``unused_only``: neither used nor sent by e-mail."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT i.code FROM invitations i LEFT JOIN invitation_uses u"
            " ON u.invitation_id = i.id WHERE i.survey_id = $1"
            " AND (NOT $2 OR (u.invitation_id IS NULL AND NOT EXISTS"
            " (SELECT 1 FROM invitation_mails m WHERE m.invitation_id = i.id))) ORDER BY i.id",
            survey_id,
            unused_only,
        )
    return [str(r["code"]) for r in rows]


async def counts(survey_id: int) -> Counts:
    """How many codes the survey has, and how many of them were used."""
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT count(*) AS total, count(u.invitation_id) AS used FROM invitations i"
            " LEFT JOIN invitation_uses u ON u.invitation_id = i.id WHERE i.survey_id = $1",
            survey_id,
        )
    assert row is not None  # an aggregate always returns its one row
    return Counts(int(row["total"]), int(row["used"]))


async def state(survey_id: int, code: str) -> CodeState | None:
    """The survey's invitation with ``code`` and whether it was used; None if it has none."""
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT i.id, u.invitation_id IS NOT NULL AS used FROM invitations i"
            " LEFT JOIN invitation_uses u ON u.invitation_id = i.id"
            " WHERE i.survey_id = $1 AND i.code = $2",
            survey_id,
            code,
        )
    return None if row is None else CodeState(int(row["id"]), bool(row["used"]))


async def insert_code(conn: asyncpg.Connection, survey_id: int, code: str) -> int | None:
    """Add the survey's invitation with ``code``; its id, None when the code exists."""
    made = await conn.fetchval(
        "INSERT INTO invitations (survey_id, code, label, created_at)"
        " VALUES ($1, $2, '', now()) ON CONFLICT (code) DO NOTHING RETURNING id",
        survey_id,
        code,
    )
    return None if made is None else int(made)


async def lock_by_id(conn: asyncpg.Connection, invitation_id: int) -> str | None:
    """The code of invitation ``invitation_id``, the row locked until the caller's
    transaction ends (an answer claiming it waits)."""
    code = await conn.fetchval(
        "SELECT code FROM invitations WHERE id = $1 FOR UPDATE", invitation_id
    )
    return None if code is None else str(code)


async def used_or_drafted(
    conn: asyncpg.Connection, invitation_id: int, survey_id: int, code: str | None
) -> bool:
    """Whether the code was used, or a resume draft of the survey was saved with it."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM invitation_uses WHERE invitation_id = $1)"
            " OR EXISTS (SELECT 1 FROM resume_drafts WHERE survey_id = $2 AND invitation = $3)",
            invitation_id,
            survey_id,
            code,
        )
    )


async def delete(conn: asyncpg.Connection, invitation_id: int) -> None:
    await conn.execute("DELETE FROM invitations WHERE id = $1", invitation_id)
