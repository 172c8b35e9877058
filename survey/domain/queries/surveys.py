"""The ``surveys`` table as the builder and the definitions read and write it: a survey's
settings, its publication state and its version (bumped by every edit)."""

from __future__ import annotations

import datetime as dt
import json
from typing import NamedTuple

import asyncpg

from survey.domain.db import connection


class EditorHead(NamedTuple):
    """A survey's own row, as the builder shows and edits it."""

    id: int
    slug: str
    status: str
    version: int
    title_fr: str
    title_en: str
    description_fr: str
    description_en: str
    consent_fr: str
    consent_en: str
    access_mode: str
    resume_days: int
    retention_days: int | None
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None


class Schedule(NamedTuple):
    """The columns the definitions read past the ORM (added by later migrations)."""

    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    access_mode: str
    resume_days: int


class NewSurvey(NamedTuple):
    slug: str
    title_fr: str
    title_en: str
    description_fr: str
    description_en: str
    consent_fr: str
    consent_en: str
    status: str
    retention_days: int | None
    access_mode: str
    resume_days: int
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None


_HEAD = (
    "SELECT id, slug, status, version, title_fr, title_en, description_fr, description_en,"
    " consent_fr, consent_en, access_mode, resume_days, retention_days, opens_at, closes_at"
    " FROM surveys WHERE slug = $1"
)
# Edits of one survey run one after the other.
_LOCKED_HEAD = _HEAD + " FOR UPDATE"


async def editor_head(conn: asyncpg.Connection, slug: str, *, lock: bool) -> EditorHead | None:
    """The survey ``slug``; with ``lock``, its row locked until the caller's transaction ends
    (other edits wait, and so does every submit, which locks it ``FOR SHARE``)."""
    row = await conn.fetchrow(_LOCKED_HEAD if lock else _HEAD, slug)
    if row is None:
        return None
    return EditorHead(
        id=int(row["id"]),
        slug=row["slug"],
        status=row["status"],
        version=int(row["version"]),
        title_fr=row["title_fr"],
        title_en=row["title_en"],
        description_fr=row["description_fr"],
        description_en=row["description_en"],
        consent_fr=row["consent_fr"],
        consent_en=row["consent_en"],
        access_mode=row["access_mode"],
        resume_days=row["resume_days"],
        retention_days=row["retention_days"],
        opens_at=row["opens_at"],
        closes_at=row["closes_at"],
    )


async def bump_version(conn: asyncpg.Connection, survey_id: int) -> None:
    """A new version: pages rendered before are mapped onto it when sent."""
    await conn.execute(
        "UPDATE surveys SET version = version + 1, updated_at = now() WHERE id = $1", survey_id
    )


async def update_settings(
    conn: asyncpg.Connection,
    survey_id: int,
    *,
    title: tuple[str, str],
    description: tuple[str, str],
    consent: tuple[str, str],
    access_mode: str,
    resume_days: int,
    retention_days: int | None,
) -> None:
    """Titles, introduction and consent (French, English) and the distribution settings."""
    await conn.execute(
        "UPDATE surveys SET title_fr = $2, title_en = $3, description_fr = $4,"
        " description_en = $5, consent_fr = $6, consent_en = $7, access_mode = $8,"
        " resume_days = $9, retention_days = $10 WHERE id = $1",
        survey_id,
        *title,
        *description,
        *consent,
        access_mode,
        resume_days,
        retention_days,
    )


async def set_open(
    conn: asyncpg.Connection,
    survey_id: int,
    opens_at: dt.datetime | None,
    closes_at: dt.datetime | None,
) -> None:
    await conn.execute(
        "UPDATE surveys SET status = 'open', opens_at = $2, closes_at = $3 WHERE id = $1",
        survey_id,
        opens_at,
        closes_at,
    )


async def set_closed(conn: asyncpg.Connection, survey_id: int) -> None:
    await conn.execute(
        "UPDATE surveys SET status = 'closed', closes_at = NULL WHERE id = $1", survey_id
    )


async def set_draft(conn: asyncpg.Connection, survey_id: int) -> None:
    await conn.execute("UPDATE surveys SET status = 'draft' WHERE id = $1", survey_id)


async def schedule(conn: asyncpg.Connection, survey_id: int) -> Schedule | None:
    row = await conn.fetchrow(
        "SELECT opens_at, closes_at, access_mode, resume_days FROM surveys WHERE id = $1",
        survey_id,
    )
    if row is None:
        return None
    return Schedule(row["opens_at"], row["closes_at"], row["access_mode"], row["resume_days"])


async def slug_taken(conn: asyncpg.Connection, slug: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM surveys WHERE slug = $1", slug))


_INSERT = """
INSERT INTO surveys (slug, title_fr, title_en, description_fr, description_en, consent_fr,
                     consent_en, status, retention_days, public_results, version, access_mode,
                     resume_days, opens_at, closes_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, false, 1, $10, $11, $12, $13, now(), now())
RETURNING id
"""


async def insert(conn: asyncpg.Connection, survey: NewSurvey) -> int:
    """A new survey at version 1, results not public; its id."""
    return int(await conn.fetchval(_INSERT, *survey))


class FollowedSurvey(NamedTuple):
    title_fr: str
    title_en: str
    address: str


async def with_followup_address(conn: asyncpg.Connection, survey_id: int) -> FollowedSurvey | None:
    """A survey's titles and its follow-up page's public address (None without a page)."""
    row = await conn.fetchrow(
        "SELECT s.title_fr, s.title_en, f.address FROM surveys s"
        " JOIN followups f ON f.survey_id = s.id WHERE s.id = $1",
        survey_id,
    )
    return None if row is None else FollowedSurvey(row["title_fr"], row["title_en"], row["address"])


class SurveyTitle(NamedTuple):
    id: int
    slug: str
    title_fr: str
    title_en: str


class SurveyCount(NamedTuple):
    slug: str
    title_fr: str
    title_en: str
    status: str
    version: int
    responses: int


async def id_by_slug(conn: asyncpg.Connection, slug: str) -> int | None:
    value = await conn.fetchval("SELECT id FROM surveys WHERE slug = $1", slug)
    return None if value is None else int(value)


async def titles() -> list[SurveyTitle]:
    """Every survey's id, slug and titles, newest first."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT id, slug, title_fr, title_en FROM surveys ORDER BY created_at DESC, id DESC"
        )
    return [SurveyTitle(**dict(r)) for r in rows]


async def with_response_counts(survey_id: int | None) -> list[SurveyCount]:
    """The survey ``survey_id`` (None: every survey), newest first, with its response count
    (one grouped query)."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT s.slug, s.title_fr, s.title_en, s.status, s.version, count(r.id) AS responses"
            " FROM surveys s LEFT JOIN responses r ON r.survey_id = s.id"
            " WHERE $1::int IS NULL OR s.id = $1"
            " GROUP BY s.id ORDER BY s.created_at DESC, s.id DESC",
            survey_id,
        )
    return [
        SurveyCount(
            r["slug"], r["title_fr"], r["title_en"], r["status"], r["version"], int(r["responses"])
        )
        for r in rows
    ]


class RegisterEntry(NamedTuple):
    """What the register of processing activities says of one survey."""

    slug: str
    title_fr: str
    status: str
    retention_days: int | None
    created_at: dt.datetime
    responses: int
    first_answer: dt.datetime | None
    last_answer: dt.datetime | None
    personal_fields: list[str]
    addresses_held: int
    news_addresses: int
    directory_residents: int


async def register() -> list[RegisterEntry]:
    """Every survey, oldest first, with the personal data it holds (one grouped query)."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT s.slug, s.title_fr, s.status, s.retention_days, s.created_at,"
            " count(r.id) AS responses, min(r.submitted_at) AS first_answer,"
            " max(r.submitted_at) AS last_answer,"
            " (SELECT coalesce(json_agg(q.code ORDER BY q.code), '[]') FROM questions q"
            "  JOIN sections se ON se.id = q.section_id"
            "  WHERE se.survey_id = s.id AND q.personal_data) AS personal_fields,"
            " (SELECT count(*) FROM invitation_mails m WHERE m.survey_id = s.id"
            "  AND m.email IS NOT NULL) AS addresses_held,"
            " (SELECT count(*) FROM followup_subscribers f WHERE f.survey_id = s.id)"
            "  AS news_addresses,"
            " (SELECT count(*) FROM actors a JOIN responses ar ON ar.id = a.response_id"
            "  WHERE ar.survey_id = s.id) AS directory_residents"
            " FROM surveys s LEFT JOIN responses r ON r.survey_id = s.id"
            " GROUP BY s.id ORDER BY s.created_at"
        )
    return [
        RegisterEntry(
            r["slug"],
            r["title_fr"],
            r["status"],
            r["retention_days"],
            r["created_at"],
            int(r["responses"]),
            r["first_answer"],
            r["last_answer"],
            json.loads(r["personal_fields"]),
            int(r["addresses_held"]),
            int(r["news_addresses"]),
            int(r["directory_residents"]),
        )
        for r in rows
    ]


async def with_offers_question() -> list[SurveyTitle]:
    """The surveys that have an offers question, newest first."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT s.id, s.slug, s.title_fr, s.title_en FROM surveys s WHERE EXISTS (SELECT 1"
            " FROM sections sc JOIN questions q ON q.section_id = sc.id WHERE sc.survey_id = s.id"
            " AND (q.settings->>'offers') = 'true') ORDER BY s.id DESC"
        )
    return [SurveyTitle(**dict(r)) for r in rows]
