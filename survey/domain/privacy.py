"""Personal data: retention purge, a resident's own answer by receipt, the processing register.

A response that goes (erased by its author, or past retention) takes with it what was
derived from it: its place in the needs (by cascade), its words copied into ballot options,
and, through a job queued in the same transaction, the label, keywords and quotes of the
needs it was in, built again from the answers left. The purge also deletes uploaded files
never imported (after a day) and resume drafts past their expiry, and runs by itself once a
day in the job queue (``purge.daily``) as well as from ``parlons purge``.
"""

# SQL below is assembled from constant fragments only; every value is a query parameter.
# ruff: noqa: S608
from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from analysis.masking import mask_personal_data
from survey import localtime
from survey.domain.access_codes import normalise_receipt
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.followup_news import erase_expired_subscribers
from survey.domain.jobs import Progress, enqueue
from survey.domain.needs import forget_erased
from survey.domain.queries import responses
from survey.errors import NotFound

log = logging.getLogger("parlons.privacy")
PURGE_KIND = "purge.daily"
FORGET_KIND = "purge.forget"
# An uploaded responses file is kept this long for staff to map and confirm it.
UPLOAD_HOURS = 24
_BATCH = 1000


async def _delete_responses(conn: asyncpg.Connection, where: str, *args: Any) -> list[str]:
    """Delete the responses ``r`` matching ``where`` (with their survey ``s``), inside the
    caller's transaction, with what was derived from them; the slug of each one deleted."""
    rows = await conn.fetch(
        "SELECT r.id, r.answers, s.slug FROM responses r JOIN surveys s ON s.id = r.survey_id"
        f" WHERE {where} ORDER BY r.id LIMIT {_BATCH} FOR UPDATE OF r",
        *args,
    )
    if not rows:
        return []
    ids = [int(r["id"]) for r in rows]
    answers = {int(r["id"]): json.loads(r["answers"]) for r in rows}
    placed = await conn.fetch(
        "SELECT na.need_id, na.response_id, ar.question_code FROM ("
        " SELECT run_id, need_id, response_id FROM need_answers"
        " UNION ALL SELECT run_id, need_id, response_id FROM need_mentions) na"
        " JOIN analysis_runs ar ON ar.id = na.run_id"
        " WHERE na.response_id = ANY($1::bigint[]) AND na.need_id IS NOT NULL",
        ids,
    )
    words: dict[int, set[str]] = {}
    for p in placed:
        text = answers[int(p["response_id"])].get(p["question_code"])
        if isinstance(text, str) and text:
            words.setdefault(int(p["need_id"]), set()).update({text, mask_personal_data(text)})
    # Quotes were copied into ballot options when they were made from the needs.
    await conn.executemany(
        "UPDATE consultation_options SET quotes = coalesce((SELECT jsonb_agg(q.value)"
        " FROM jsonb_array_elements_text(quotes) AS q(value)"
        " WHERE NOT q.value = ANY($2::text[])), '[]'::jsonb)"
        " WHERE need_id = $1 AND jsonb_typeof(quotes) = 'array'",
        [(need, sorted(texts)) for need, texts in words.items()],
    )
    await conn.execute("DELETE FROM responses WHERE id = ANY($1::bigint[])", ids)
    needs = sorted({int(p["need_id"]) for p in placed})
    if needs:
        await enqueue(FORGET_KIND, {"needs": needs}, conn=conn)
    return [r["slug"] for r in rows]


async def forget_job(payload: dict[str, Any], progress: Progress) -> None:
    await forget_erased([int(n) for n in payload.get("needs", [])])


def _per_survey(slugs: Counter[str], name: str) -> list[dict[str, Any]]:
    return [{"survey": slug, name: n} for slug, n in sorted(slugs.items())]


async def purge_expired() -> list[dict[str, Any]]:
    """Delete responses older than their survey's retention period; safe to run again."""
    deleted: Counter[str] = Counter()
    while True:
        async with connection() as conn, conn.transaction():
            slugs = await _delete_responses(
                conn,
                "s.retention_days IS NOT NULL"
                " AND r.submitted_at < now() - make_interval(days => s.retention_days)",
            )
        deleted.update(slugs)
        if len(slugs) < _BATCH:
            break
    report = _per_survey(deleted, "deleted")
    for line in report:
        log.info("purged %(deleted)s responses of %(survey)s past retention", line)
    return report


async def purge_uploads(hours: int = UPLOAD_HOURS) -> list[dict[str, Any]]:
    """Delete uploaded responses files never imported, ``hours`` after they were sent."""
    async with connection() as conn:
        rows = await conn.fetch(
            "WITH gone AS (DELETE FROM uploads"
            " WHERE created_at < now() - make_interval(hours => $1) RETURNING survey_id)"
            " SELECT s.slug, count(*) AS n FROM gone JOIN surveys s ON s.id = gone.survey_id"
            " GROUP BY s.slug ORDER BY s.slug",
            hours,
        )
    report = [{"survey": r["slug"], "uploads_deleted": int(r["n"])} for r in rows]
    for line in report:
        log.info("deleted %(uploads_deleted)s files of %(survey)s never imported", line)
    return report


async def purge_drafts() -> list[dict[str, Any]]:
    """Delete resume drafts past their expiry (they are refused from then on anyway)."""
    async with connection() as conn:
        rows = await conn.fetch(
            "WITH gone AS (DELETE FROM resume_drafts WHERE expires_at < now()"
            " RETURNING survey_id)"
            " SELECT s.slug, count(*) AS n FROM gone JOIN surveys s ON s.id = gone.survey_id"
            " GROUP BY s.slug ORDER BY s.slug"
        )
    report = [{"survey": r["slug"], "drafts_deleted": int(r["n"])} for r in rows]
    for line in report:
        log.info("deleted %(drafts_deleted)s expired resume drafts of %(survey)s", line)
    return report


async def purge_all(zone: ZoneInfo) -> dict[str, list[dict[str, Any]]]:
    """Every purge, in order: responses, undelivered addresses, uploads, drafts, and the
    follow-up news addresses kept past their survey's retention period (counted in days of
    ``zone``, the days they were kept under)."""
    return {
        "responses": await purge_expired(),
        "addresses": await erase_undelivered_addresses(),
        "uploads": await purge_uploads(),
        "drafts": await purge_drafts(),
        "news_addresses": [{"erased": await erase_expired_subscribers(zone)}],
    }


async def daily_purge(payload: dict[str, Any], progress: Progress, zone: ZoneInfo) -> None:
    await purge_all(zone)


UNDELIVERED_DAYS = 30


async def erase_undelivered_addresses(days: int = UNDELIVERED_DAYS) -> list[dict[str, Any]]:
    """Erase the e-mail addresses of invitations that could not be delivered, ``days`` after
    they were queued (sent ones are erased at sending); only the masked form stays."""
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
    report = [{"survey": r["slug"], "addresses_erased": int(r["erased"])} for r in rows]
    for line in report:
        log.info("erased %(addresses_erased)s undelivered addresses of %(survey)s", line)
    return report


def _clean_receipt(receipt: str) -> str:
    code = normalise_receipt(receipt)
    if code is None:
        raise NotFound("privacy.receipt_unknown")
    return code


async def find_by_receipt(definition: SurveyDef, receipt: str) -> dict[str, Any]:
    """The response of ``definition`` carrying this receipt code (id, answers, submitted_at)."""
    found = await responses.by_receipt(definition.id, _clean_receipt(receipt))
    if found is None:
        raise NotFound("privacy.receipt_unknown")
    return found._asdict()


async def erase_by_receipt(definition: SurveyDef, receipt: str) -> None:
    """Erase a resident's response and what was derived from it (see the module's note)."""
    code = _clean_receipt(receipt)
    async with connection() as conn, conn.transaction():
        gone = await _delete_responses(
            conn, "r.survey_id = $1 AND r.receipt = $2", definition.id, code
        )
    if not gone:
        raise NotFound("privacy.receipt_unknown")
    log.info("a response of %s was erased by its author", definition.slug)


async def processing_register(zone: ZoneInfo) -> list[dict[str, Any]]:
    """One entry per survey for the register of processing activities (RGPD art. 30), its
    dates in ISO 8601 with the offset of ``zone``."""
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
        {
            "survey": r["slug"],
            "purpose": r["title_fr"],
            "status": r["status"],
            "retention_days": r["retention_days"],
            "personal_fields": json.loads(r["personal_fields"]),
            "responses": int(r["responses"]),
            # E-mail addresses of invitations not yet delivered (erased once sent).
            "invitation_addresses_held": int(r["addresses_held"]),
            # Addresses of residents who asked for news of the follow-up (kept apart).
            "followup_news_addresses": int(r["news_addresses"]),
            # Residents listed in the directory from their offer of help, with their consent.
            "directory_residents": int(r["directory_residents"]),
            "first_answer": localtime.export(r["first_answer"], zone) or None,
            "last_answer": localtime.export(r["last_answer"], zone) or None,
            "created_at": localtime.export(r["created_at"], zone),
        }
        for r in rows
    ]
