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
import secrets
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from survey import localtime
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.forms import FieldError
from survey.domain.jobs import Progress, RetryLater, enqueue
from survey.domain.mail import NEWS_JOB, RETRY_DELAYS, deliver, read_addresses
from survey.domain.outcomes import outcome_of, summary_text
from survey.domain.queries import actions as action_rows
from survey.domain.queries import consultations as consultation_rows
from survey.domain.queries import followup_subscribers as subscribers
from survey.domain.queries import followups as followup_rows
from survey.domain.queries import surveys as survey_rows
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
    await subscribers.insert(
        uuid.uuid4(),
        definition.id,
        subscription.email,
        subscription.language,
        secrets.token_urlsafe(32),
        localtime.today(zone),
    )


async def unsubscribe(token: str) -> bool:
    """Forget the address behind ``token``; False when it is unknown (already gone)."""
    return await subscribers.delete_by_token(token[:64])


async def shuffle_subscribers(zone: ZoneInfo) -> int:
    """Rewrite the rows added before today (in ``zone``) in one transaction and in random
    order: their place on disk, transaction id and dump order no longer follow the answers'
    order."""
    today = localtime.today(zone)
    async with connection() as conn, conn.transaction():
        rows = await subscribers.take_older_than(conn, today)
        shuffled = list(rows)
        secrets.SystemRandom().shuffle(shuffled)
        await subscribers.insert_many(conn, shuffled)
    return len(rows)


async def erase_subscribers(survey_id: int) -> int:
    """Erase every address of a survey's news (the follow-up is closed)."""
    return await subscribers.delete_for_survey(survey_id)


async def erase_expired_subscribers(zone: ZoneInfo) -> int:
    """Erase the addresses kept longer than their survey's retention period (their day and
    today are days of ``zone``)."""
    return await subscribers.delete_expired(localtime.today(zone))


async def count_subscribers(survey_id: int) -> int:
    return await subscribers.count_for_survey(survey_id)


# --- digests --------------------------------------------------------------------------------


async def queue_due_digests(now: dt.datetime | None = None) -> int:
    """Queue one message per subscriber of each survey with news since its last digest, at
    most one digest a week per survey; the number of messages queued."""
    now = now or dt.datetime.now(dt.UTC)
    queued = 0
    async with connection() as conn:
        due = await followup_rows.due_digests(conn, now, DIGEST_EVERY)
        for survey in due:
            # Taken by one process only: the digest time moves before anything is queued.
            if not await followup_rows.take_digest(conn, survey.survey_id, now, DIGEST_EVERY):
                continue
            for subscriber_id in await subscribers.ids_for_survey(conn, survey.survey_id):
                await enqueue(
                    NEWS_JOB,
                    {
                        "subscriber": str(subscriber_id),
                        "since": survey.since.isoformat(),
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
    conn: asyncpg.Connection, survey_id: int, since: dt.datetime, until: dt.datetime, lang: str
) -> Digest:
    survey = await survey_rows.with_followup_address(conn, survey_id)
    # Digests are queued only for surveys with a follow-up page, which goes with its survey.
    assert survey is not None
    decisions = await consultation_rows.published_on_survey_between(conn, survey_id, since, until)
    actions = await action_rows.changed_between(conn, survey_id, since, until)
    title = (survey.title_en if lang == "en" else "") or survey.title_fr
    return Digest(
        title,
        survey.address,
        since,
        tuple((d.title, outcome_of(d.results)) for d in decisions),
        tuple((a.title, a.status) for a in actions),
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
        row = await subscribers.recipient(conn, uuid.UUID(str(payload["subscriber"])))
        if row is None:
            return  # Unsubscribed or erased meanwhile: nothing to send.
        digest = await _digest(
            conn,
            row.survey_id,
            dt.datetime.fromisoformat(payload["since"]),
            dt.datetime.fromisoformat(payload["until"]),
            row.language,
        )
    if smtp is None:
        raise RetryLater(RETRY_DELAYS[-1], "no mail server")
    base = digest.address.rsplit("/suivi", 1)[0]
    message = compose_digest(
        smtp,
        to=row.email,
        language=row.language,
        digest=digest,
        unsubscribe=f"{base}/suivi/desabonner/{row.token}",
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
