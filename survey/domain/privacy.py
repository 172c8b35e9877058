"""Personal data: retention purge, a resident's own answer by receipt, the processing register.

A response that goes (erased by its author, or past retention) takes with it what was
derived from it: its place in the needs (by cascade), its words copied into ballot options,
and, through a job queued in the same transaction, the label, keywords and quotes of the
needs it was in, built again from the answers left. The purge also deletes uploaded files
never imported (after a day) and resume drafts past their expiry, and runs by itself once a
day in the job queue (``purge.daily``) as well as from ``parlons purge``.
"""

from __future__ import annotations

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
from survey.domain.queries import (
    consultation_options,
    invitation_mails,
    need_answers,
    responses,
    resume_drafts,
    surveys,
    uploads,
)
from survey.errors import NotFound

log = logging.getLogger("parlons.privacy")
PURGE_KIND = "purge.daily"
FORGET_KIND = "purge.forget"
# An uploaded responses file is kept this long for staff to map and confirm it.
UPLOAD_HOURS = 24
_BATCH = 1000


async def _delete_responses(conn: asyncpg.Connection, rows: list[responses.Doomed]) -> list[str]:
    """Delete these responses, locked by the caller's transaction, with what was derived
    from them; the slug of each one deleted."""
    if not rows:
        return []
    ids = [r.id for r in rows]
    answers = {r.id: r.answers for r in rows}
    placed = await need_answers.placements(conn, ids)
    words: dict[int, set[str]] = {}
    for p in placed:
        text = answers[p.response_id].get(p.question_code)
        if isinstance(text, str) and text:
            words.setdefault(p.need_id, set()).update({text, mask_personal_data(text)})
    # Quotes were copied into ballot options when they were made from the needs.
    await consultation_options.remove_quotes(
        conn, [(need, sorted(texts)) for need, texts in words.items()]
    )
    await responses.delete_ids(conn, ids)
    needs = sorted({p.need_id for p in placed})
    if needs:
        await enqueue(FORGET_KIND, {"needs": needs}, conn=conn)
    return [r.slug for r in rows]


async def forget_job(payload: dict[str, Any], progress: Progress) -> None:
    await forget_erased([int(n) for n in payload.get("needs", [])])


def _per_survey(slugs: Counter[str], name: str) -> list[dict[str, Any]]:
    return [{"survey": slug, name: n} for slug, n in sorted(slugs.items())]


async def purge_expired() -> list[dict[str, Any]]:
    """Delete responses older than their survey's retention period; safe to run again."""
    deleted: Counter[str] = Counter()
    while True:
        async with connection() as conn, conn.transaction():
            doomed = await responses.lock_past_retention(conn, _BATCH)
            slugs = await _delete_responses(conn, doomed)
        deleted.update(slugs)
        if len(slugs) < _BATCH:
            break
    report = _per_survey(deleted, "deleted")
    for line in report:
        log.info("purged %(deleted)s responses of %(survey)s past retention", line)
    return report


async def purge_uploads(hours: int = UPLOAD_HOURS) -> list[dict[str, Any]]:
    """Delete uploaded responses files never imported, ``hours`` after they were sent."""
    report = [
        {"survey": slug, "uploads_deleted": n} for slug, n in await uploads.delete_older_than(hours)
    ]
    for line in report:
        log.info("deleted %(uploads_deleted)s files of %(survey)s never imported", line)
    return report


async def purge_drafts() -> list[dict[str, Any]]:
    """Delete resume drafts past their expiry (they are refused from then on anyway)."""
    report = [
        {"survey": slug, "drafts_deleted": n}
        for slug, n in await resume_drafts.delete_expired_per_survey()
    ]
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
    report = [
        {"survey": slug, "addresses_erased": n}
        for slug, n in await invitation_mails.erase_undelivered(days)
    ]
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
        doomed = await responses.lock_by_receipt(conn, definition.id, code, _BATCH)
        gone = await _delete_responses(conn, doomed)
    if not gone:
        raise NotFound("privacy.receipt_unknown")
    log.info("a response of %s was erased by its author", definition.slug)


async def processing_register(zone: ZoneInfo) -> list[dict[str, Any]]:
    """One entry per survey for the register of processing activities (RGPD art. 30), its
    dates in ISO 8601 with the offset of ``zone``."""
    return [
        {
            "survey": r.slug,
            "purpose": r.title_fr,
            "status": r.status,
            "retention_days": r.retention_days,
            "personal_fields": r.personal_fields,
            "responses": r.responses,
            # E-mail addresses of invitations not yet delivered (erased once sent).
            "invitation_addresses_held": r.addresses_held,
            # Addresses of residents who asked for news of the follow-up (kept apart).
            "followup_news_addresses": r.news_addresses,
            # Residents listed in the directory from their offer of help, with their consent.
            "directory_residents": r.directory_residents,
            "first_answer": localtime.export(r.first_answer, zone) or None,
            "last_answer": localtime.export(r.last_answer, zone) or None,
            "created_at": localtime.export(r.created_at, zone),
        }
        for r in await surveys.register()
    ]
