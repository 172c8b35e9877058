"""News of a survey's follow-up by e-mail, for the residents who asked for it.

A resident may leave an address on the thank-you page, with its own consent. The address is
stored apart from the answers so that nobody can tell which address goes with which answer:

- no column refers to a response, and the thank-you form sends no receipt;
- the row's identifier is random (no sequence to compare with the responses' ids) and its
  only date is the day;
- once a day the day's new rows are rewritten together in random order
  (``shuffle_subscribers``), so that neither their order on disk, nor their transaction ids,
  nor the order of a dump follow the order of the answers. Before that daily rewrite, a
  reader of the raw database could still compare the transaction ids of the day's new rows
  with those of the day's answers; the pages and exports never show them side by side.

Messages: at most one a week per survey, when a consultation on the survey was closed and
published or an action changed since the last one, each a plain-text digest in the
resident's language, sent by the job queue through the configured mail server, with a link
that unsubscribes in one click (no login) and the ``List-Unsubscribe`` headers mail clients
use. Addresses are erased when staff close the follow-up, and after the survey's retention
period.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from survey import localtime
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.forms import FieldError
from survey.domain.jobs import Progress, RetryLater, enqueue
from survey.domain.mail import NEWS_JOB, RETRY_DELAYS, deliver, read_addresses
from survey.domain.outcomes import outcome_of, summary_text
from survey.enums import SurveyStatus
from survey.errors import NotFound, SurveyError
from survey.i18n import LANGUAGES, translate
from survey.settings import SmtpSettings

DIGEST_EVERY = dt.timedelta(days=7)
DAILY_KIND = "news.daily"


class SubscribeInvalid(SurveyError):
    """The subscription form has errors, one per field."""

    def __init__(self, errors: dict[str, FieldError]) -> None:
        super().__init__("followup.news_invalid")
        self.errors = errors


@dataclass(frozen=True)
class Subscription:
    email: str
    language: str


def check_subscription(email: str, consent: bool, language: str) -> Subscription:
    """The form's values, or ``SubscribeInvalid`` with a message per field."""
    errors: dict[str, FieldError] = {}
    found = read_addresses(email.strip()[:300])
    if len(found.valid) != 1 or found.invalid:
        errors["email"] = FieldError("followup.news_email_invalid", {})
    if not consent:
        errors["consent"] = FieldError("followup.news_consent_missing", {})
    if errors:
        raise SubscribeInvalid(errors)
    return Subscription(found.valid[0], language if language in LANGUAGES else "fr")


async def subscribe(definition: SurveyDef, subscription: Subscription, zone: ZoneInfo) -> None:
    """Keep the address for this survey's news, dated by the day in ``zone``; a second time
    changes nothing (and says nothing more, so the form cannot tell whether an address was
    already there)."""
    if definition.status == SurveyStatus.DRAFT:
        raise NotFound("error.survey_not_found")
    today = localtime.today(zone)
    async with connection() as conn:
        await conn.execute(
            "INSERT INTO followup_subscribers (id, survey_id, email, language, token, created_on)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (survey_id, email) DO NOTHING",
            uuid.uuid4(),
            definition.id,
            subscription.email,
            subscription.language,
            secrets.token_urlsafe(32),
            today,
        )


async def unsubscribe(token: str) -> bool:
    """Forget the address behind ``token``; False when it is unknown (already gone)."""
    async with connection() as conn:
        result = await conn.execute("DELETE FROM followup_subscribers WHERE token = $1", token[:64])
    return not result.endswith(" 0")


async def shuffle_subscribers(zone: ZoneInfo) -> int:
    """Rewrite the rows added before today (in ``zone``) in one transaction and in random
    order: their place on disk, transaction id and dump order no longer follow the answers'
    order."""
    today = localtime.today(zone)
    async with connection() as conn, conn.transaction():
        rows = await conn.fetch(
            "DELETE FROM followup_subscribers WHERE created_on < $1"
            " RETURNING id, survey_id, email, language, token, created_on",
            today,
        )
        shuffled = list(rows)
        secrets.SystemRandom().shuffle(shuffled)
        await conn.executemany(
            "INSERT INTO followup_subscribers (id, survey_id, email, language, token, created_on)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            [tuple(r.values()) for r in shuffled],
        )
    return len(rows)


async def erase_subscribers(survey_id: int) -> int:
    """Erase every address of a survey's news (the follow-up is closed)."""
    async with connection() as conn:
        result = await conn.execute(
            "DELETE FROM followup_subscribers WHERE survey_id = $1", survey_id
        )
    return int(result.split()[-1])


async def erase_expired_subscribers(zone: ZoneInfo) -> int:
    """Erase the addresses kept longer than their survey's retention period (their day and
    today are days of ``zone``)."""
    async with connection() as conn:
        result = await conn.execute(
            "DELETE FROM followup_subscribers f USING surveys s WHERE s.id = f.survey_id"
            " AND s.retention_days IS NOT NULL"
            " AND f.created_on + s.retention_days < $1",
            localtime.today(zone),
        )
    return int(result.split()[-1])


async def count_subscribers(survey_id: int) -> int:
    async with connection() as conn:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM followup_subscribers WHERE survey_id = $1", survey_id
            )
        )


# --- digests --------------------------------------------------------------------------------

_DUE = """
SELECT f.survey_id, f.address, coalesce(f.digest_sent_at, f.published_at) AS since
FROM followups f
WHERE f.published AND f.address <> ''
  AND (f.digest_sent_at IS NULL OR f.digest_sent_at <= $1::timestamptz - $2::interval)
  AND EXISTS (SELECT 1 FROM followup_subscribers s WHERE s.survey_id = f.survey_id)
  AND (EXISTS (SELECT 1 FROM actions a WHERE a.survey_id = f.survey_id
               AND a.updated_at > coalesce(f.digest_sent_at, f.published_at))
       OR EXISTS (SELECT 1 FROM consultations c
                  JOIN consultation_options o ON o.consultation_id = c.id
                  JOIN needs n ON n.id = o.need_id
                  JOIN analysis_runs ar ON ar.id = n.run_id
                  WHERE ar.survey_id = f.survey_id AND c.published
                  AND c.published_at > coalesce(f.digest_sent_at, f.published_at)))
"""


async def queue_due_digests(now: dt.datetime | None = None) -> int:
    """Queue one message per subscriber of each survey with news since its last digest, at
    most one digest a week per survey; the number of messages queued."""
    now = now or dt.datetime.now(dt.UTC)
    queued = 0
    async with connection() as conn:
        due = await conn.fetch(_DUE, now, DIGEST_EVERY)
        for survey in due:
            # Taken by one process only: the digest time moves before anything is queued.
            taken = await conn.fetchval(
                "UPDATE followups SET digest_sent_at = $2 WHERE survey_id = $1"
                " AND (digest_sent_at IS NULL OR digest_sent_at <= $2::timestamptz - $3::interval)"
                " RETURNING survey_id",
                survey["survey_id"],
                now,
                DIGEST_EVERY,
            )
            if taken is None:
                continue
            ids = await conn.fetch(
                "SELECT id FROM followup_subscribers WHERE survey_id = $1", survey["survey_id"]
            )
            for row in ids:
                await enqueue(
                    NEWS_JOB,
                    {
                        "subscriber": str(row["id"]),
                        "since": survey["since"].isoformat(),
                        "until": now.isoformat(),
                    },
                )
                queued += 1
    return queued


@dataclass(frozen=True)
class Digest:
    title: str
    address: str
    since: dt.datetime
    decisions: tuple[tuple[str, Any], ...]
    actions: tuple[tuple[str, str], ...]


async def _digest(
    conn: Any, survey_id: int, since: dt.datetime, until: dt.datetime, lang: str
) -> Digest:
    survey = await conn.fetchrow(
        "SELECT s.title_fr, s.title_en, f.address FROM surveys s"
        " JOIN followups f ON f.survey_id = s.id WHERE s.id = $1",
        survey_id,
    )
    decisions = await conn.fetch(
        "SELECT DISTINCT c.id, c.title, c.results FROM consultations c"
        " JOIN consultation_options o ON o.consultation_id = c.id"
        " JOIN needs n ON n.id = o.need_id JOIN analysis_runs ar ON ar.id = n.run_id"
        " WHERE ar.survey_id = $1 AND c.published AND c.published_at > $2"
        " AND c.published_at <= $3 ORDER BY c.id",
        survey_id,
        since,
        until,
    )
    actions = await conn.fetch(
        "SELECT title, status FROM actions WHERE survey_id = $1 AND updated_at > $2"
        " AND updated_at <= $3 ORDER BY id",
        survey_id,
        since,
        until,
    )
    title = (survey["title_en"] if lang == "en" else "") or survey["title_fr"]
    return Digest(
        title,
        survey["address"],
        since,
        tuple(
            (d["title"], outcome_of(json.loads(d["results"]) if d["results"] else None))
            for d in decisions
        ),
        tuple((a["title"], str(a["status"])) for a in actions),
    )


def compose_digest(
    smtp: SmtpSettings,
    *,
    to: str,
    language: str,
    digest: Digest,
    unsubscribe: str,
    time_zone: ZoneInfo,
) -> EmailMessage:
    """The plain-text digest in ``language``, with its one-click unsubscribe link; its date
    is the day in ``time_zone``."""

    def t(key: str, **params: Any) -> str:
        return translate(language, key, **params)

    since = localtime.show(digest.since, time_zone, language, day=True)
    lines = [t("followup.mail_hello"), "", t("followup.mail_intro", title=digest.title, date=since)]
    if digest.decisions:
        lines += ["", t("followup.mail_decisions")]
        for name, outcome in digest.decisions:
            said = summary_text(outcome, language) if outcome else ""
            lines.append(f"- {name} : {said}" if language == "fr" else f"- {name}: {said}")
    if digest.actions:
        lines += ["", t("followup.mail_actions")]
        for name, status in digest.actions:
            state = t(f"actions.status_{status}")
            lines.append(f"- {name} : {state}" if language == "fr" else f"- {name}: {state}")
    lines += ["", t("followup.mail_read"), digest.address, ""]
    lines += [t("followup.mail_why"), t("followup.mail_unsubscribe"), unsubscribe]
    message = EmailMessage()
    message["Subject"] = t("followup.mail_subject", title=digest.title)
    message["From"] = smtp.sender
    message["To"] = to
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    domain = parseaddr(smtp.sender)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content("\n".join(lines) + "\n")
    return message


async def send_digest(
    smtp: SmtpSettings | None, payload: dict[str, Any], progress: Progress, zone: ZoneInfo
) -> None:
    """Send one subscriber's digest; a server that may take it later is tried again."""
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT survey_id, email, language, token FROM followup_subscribers WHERE id = $1",
            uuid.UUID(str(payload["subscriber"])),
        )
        if row is None:
            return  # Unsubscribed or erased meanwhile: nothing to send.
        digest = await _digest(
            conn,
            row["survey_id"],
            dt.datetime.fromisoformat(payload["since"]),
            dt.datetime.fromisoformat(payload["until"]),
            row["language"],
        )
    if smtp is None:
        raise RetryLater(RETRY_DELAYS[-1], "no mail server")
    base = digest.address.rsplit("/suivi", 1)[0]
    message = compose_digest(
        smtp,
        to=row["email"],
        language=row["language"],
        digest=digest,
        unsubscribe=f"{base}/suivi/desabonner/{row['token']}",
        time_zone=zone,
    )
    error, retry = await deliver(smtp, message)
    attempt = int(payload.get("attempt", 0))
    if error and retry and attempt < len(RETRY_DELAYS):
        await enqueue(NEWS_JOB, {**payload, "attempt": attempt + 1}, delay=RETRY_DELAYS[attempt])
    if error:
        raise SurveyError("followup.mail_failed")


async def daily_news(payload: dict[str, Any], progress: Progress, zone: ZoneInfo) -> None:
    """Each day: rewrite yesterday's new addresses in random order, erase the expired ones,
    and queue the digests that are due."""
    await shuffle_subscribers(zone)
    await erase_expired_subscribers(zone)
    await queue_due_digests()
