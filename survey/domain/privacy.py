"""Personal data: retention purge, a resident's own answer by receipt, the processing register."""

from __future__ import annotations

import json
import logging
from typing import Any

from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.errors import NotFound

log = logging.getLogger("parlons.privacy")
RECEIPT_LENGTH = 10


async def purge_expired() -> list[dict[str, Any]]:
    """Delete responses older than their survey's retention period; safe to run again."""
    async with connection() as conn:
        rows = await conn.fetch(
            "WITH gone AS ("
            " DELETE FROM responses r USING surveys s"
            " WHERE r.survey_id = s.id AND s.retention_days IS NOT NULL"
            " AND r.submitted_at < now() - make_interval(days => s.retention_days)"
            " RETURNING r.survey_id)"
            " SELECT s.slug, count(*) AS deleted FROM gone JOIN surveys s ON s.id = gone.survey_id"
            " GROUP BY s.slug ORDER BY s.slug"
        )
    report = [{"survey": r["slug"], "deleted": int(r["deleted"])} for r in rows]
    for line in report:
        log.info("purged %(deleted)s responses of %(survey)s past retention", line)
    return report


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
    code = "".join(receipt.split()).upper().replace("-", "")
    if len(code) != RECEIPT_LENGTH or not code.isalnum():
        raise NotFound("privacy.receipt_unknown")
    return code


async def find_by_receipt(definition: SurveyDef, receipt: str) -> dict[str, Any]:
    """The response of ``definition`` carrying this receipt code."""
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT id, answers, submitted_at FROM responses WHERE survey_id = $1 AND receipt = $2",
            definition.id,
            _clean_receipt(receipt),
        )
    if row is None:
        raise NotFound("privacy.receipt_unknown")
    return {**dict(row), "answers": json.loads(row["answers"])}


async def erase_by_receipt(definition: SurveyDef, receipt: str) -> None:
    """Erase a resident's response (and what the analysis derived from it, by cascade)."""
    async with connection() as conn:
        result = await conn.execute(
            "DELETE FROM responses WHERE survey_id = $1 AND receipt = $2",
            definition.id,
            _clean_receipt(receipt),
        )
    if result.endswith(" 0"):
        raise NotFound("privacy.receipt_unknown")
    log.info("a response of %s was erased by its author", definition.slug)


async def processing_register() -> list[dict[str, Any]]:
    """One entry per survey for the register of processing activities (RGPD art. 30)."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT s.slug, s.title_fr, s.status, s.retention_days, s.created_at,"
            " count(r.id) AS responses, min(r.submitted_at) AS first_answer,"
            " max(r.submitted_at) AS last_answer,"
            " (SELECT coalesce(json_agg(q.code ORDER BY q.code), '[]') FROM questions q"
            "  JOIN sections se ON se.id = q.section_id"
            "  WHERE se.survey_id = s.id AND q.personal_data) AS personal_fields,"
            " (SELECT count(*) FROM invitation_mails m WHERE m.survey_id = s.id"
            "  AND m.email IS NOT NULL) AS addresses_held"
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
            "first_answer": r["first_answer"].isoformat() if r["first_answer"] else None,
            "last_answer": r["last_answer"].isoformat() if r["last_answer"] else None,
            "created_at": r["created_at"].isoformat(),
        }
        for r in rows
    ]
