"""The ``invitation_mails`` table: invitation codes sent by e-mail, with the address until
the message is sent (then only its masked form and keyed hash)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

import asyncpg

from survey.domain.db import connection


async def erase_undelivered(days: int) -> list[tuple[str, int]]:
    """Erase the addresses of mails not sent and queued more than ``days`` ago: how many per
    survey slug, by slug."""
    async with connection() as conn:
        rows = await conn.fetch(
            "WITH erased AS ("
            " UPDATE invitation_mails SET email = NULL"
            " WHERE email IS NOT NULL AND status <> 'sent'"
            " AND created_at < now() - make_interval(days => $1) RETURNING survey_id)"
            " SELECT s.slug, count(*) AS erased FROM erased JOIN surveys s"
            " ON s.id = erased.survey_id GROUP BY s.slug ORDER BY s.slug",
            days,
        )
    return [(r["slug"], int(r["erased"])) for r in rows]


class Locked(NamedTuple):
    status: str
    email_hash: str
    invitation_id: int


class Listed(NamedTuple):
    """A mail as staff see it: the address while it is held, else its masked form."""

    id: int
    code: str
    address: str
    email: str | None
    status: str
    attempts: int
    error: str
    created_at: dt.datetime
    sent_at: dt.datetime | None


class Outgoing(NamedTuple):
    """A queued mail taken to be sent, with its code and what its survey says of itself."""

    email: str
    language: str
    sender: str
    attempts: int
    code: str
    title_fr: str
    title_en: str
    closes_at: dt.datetime | None
    access_mode: str


async def lock_survey(conn: asyncpg.Connection, survey_id: int) -> None:
    """Wait for other batches and resends of the survey until the caller's transaction
    ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('invitation_mails'), $1)", survey_id)


async def known_hashes(conn: asyncpg.Connection, survey_id: int, hashes: list[str]) -> set[str]:
    """Those of these address hashes already invited to the survey."""
    rows = await conn.fetch(
        "SELECT email_hash FROM invitation_mails WHERE survey_id = $1"
        " AND email_hash = ANY($2::text[])",
        survey_id,
        hashes,
    )
    return {r["email_hash"] for r in rows}


async def insert_queued(
    conn: asyncpg.Connection,
    survey_id: int,
    mails: tuple[Sequence[int], Sequence[str], Sequence[str], Sequence[str]],
    *,
    language: str,
    sender: str,
) -> list[int]:
    """Queue one mail for each (invitation id, address, hash, masked address); their ids."""
    invitation_ids, emails, hashes, masked = mails
    rows = await conn.fetch(
        "INSERT INTO invitation_mails (invitation_id, survey_id, email, email_hash, masked,"
        " language, sender, status, attempts, error, created_at)"
        " SELECT i, $1, e, h, m, $6, $7, 'queued', 0, '', now()"
        " FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) AS x(i, e, h, m)"
        " RETURNING id",
        survey_id,
        list(invitation_ids),
        list(emails),
        list(hashes),
        list(masked),
        language,
        sender,
    )
    return [int(r["id"]) for r in rows]


async def lock(conn: asyncpg.Connection, mail_id: int, survey_id: int) -> Locked | None:
    """The survey's mail ``mail_id``, locked until the caller's transaction ends."""
    row = await conn.fetchrow(
        "SELECT status, email_hash, invitation_id FROM invitation_mails"
        " WHERE id = $1 AND survey_id = $2 FOR UPDATE",
        mail_id,
        survey_id,
    )
    if row is None:
        return None
    return Locked(row["status"], row["email_hash"], int(row["invitation_id"]))


async def hash_known(conn: asyncpg.Connection, survey_id: int, email_hash: str) -> bool:
    """Whether an address of this hash was invited to the survey already."""
    return bool(
        await conn.fetchval(
            "SELECT 1 FROM invitation_mails WHERE survey_id = $1 AND email_hash = $2",
            survey_id,
            email_hash,
        )
    )


async def requeue(
    conn: asyncpg.Connection,
    mail_id: int,
    invitation_id: int,
    address: str,
    email_hash: str,
    masked: str,
) -> None:
    """Queue the mail again, to this address with this code, as if made now."""
    await conn.execute(
        "UPDATE invitation_mails SET invitation_id = $2, email = $3, email_hash = $4,"
        " masked = $5, status = 'queued', attempts = 0, error = '', created_at = now()"
        " WHERE id = $1",
        mail_id,
        invitation_id,
        address,
        email_hash,
        masked,
    )


async def status_counts(conn: asyncpg.Connection, survey_id: int) -> dict[str, int]:
    """How many of the survey's mails are in each status (statuses without any are absent)."""
    rows = await conn.fetch(
        "SELECT status, count(*) AS n FROM invitation_mails WHERE survey_id = $1 GROUP BY status",
        survey_id,
    )
    return {r["status"]: int(r["n"]) for r in rows}


async def latest(conn: asyncpg.Connection, survey_id: int, limit: int) -> list[Listed]:
    """The survey's latest mails with their codes, failed ones first."""
    rows = await conn.fetch(
        "SELECT m.id, i.code, coalesce(m.email, m.masked) AS address, m.email, m.status,"
        " m.attempts,"
        " m.error, m.created_at, m.sent_at FROM invitation_mails m"
        " JOIN invitations i ON i.id = m.invitation_id WHERE m.survey_id = $1"
        " ORDER BY m.status = 'failed' DESC, m.id DESC LIMIT $2",
        survey_id,
        limit,
    )
    return [
        Listed(
            r["id"],
            r["code"],
            r["address"],
            r["email"],
            r["status"],
            r["attempts"],
            r["error"],
            r["created_at"],
            r["sent_at"],
        )
        for r in rows
    ]


async def take_for_sending(mail_id: int) -> Outgoing | None:
    """The mail ``mail_id`` if it is queued with its address, its attempt counted; None when
    it was sent already or its survey deleted."""
    async with connection() as conn:
        row = await conn.fetchrow(
            "UPDATE invitation_mails m SET attempts = m.attempts + 1 FROM invitations i, surveys s"
            " WHERE m.id = $1 AND m.status = 'queued' AND m.email IS NOT NULL"
            " AND i.id = m.invitation_id AND s.id = m.survey_id"
            " RETURNING m.email, m.language, m.sender, m.attempts, i.code, s.title_fr,"
            " s.title_en, s.closes_at, s.access_mode",
            mail_id,
        )
    if row is None:
        return None
    return Outgoing(
        row["email"],
        row["language"],
        row["sender"],
        int(row["attempts"]),
        row["code"],
        row["title_fr"],
        row["title_en"],
        row["closes_at"],
        row["access_mode"],
    )


async def mark_sent(mail_id: int) -> None:
    """The mail was sent: its address goes now (the table checks it)."""
    async with connection() as conn:
        await conn.execute(
            "UPDATE invitation_mails SET status = 'sent', email = NULL, error = '',"
            " sent_at = now() WHERE id = $1",
            mail_id,
        )


async def set_status(mail_id: int, status: str, error: str) -> None:
    async with connection() as conn:
        await conn.execute(
            "UPDATE invitation_mails SET status = $2, error = $3 WHERE id = $1",
            mail_id,
            status,
            error,
        )
