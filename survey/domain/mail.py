"""Invitation codes sent by e-mail.

Staff give a list of addresses (pasted, or a column of a CSV file). Each valid address gets a
fresh invitation code and one message, sent by a job of the queue, never during the staff's
request. A failed sending is queued again for later (after 1, 5 then 30 minutes); after the
last attempt the code shows "failed" with the mail server's answer, and staff may send it again
(``resend_failed_mail``): to the same address with the same code, or to a corrected address
with a fresh code, the old one being deleted, unless the old code was used or a draft was
saved with it, which proves the first message arrived.

Fresh codes rather than unused ones: a code already shown on the printable sheet may be in
someone's hands, and one code must reach one person only.

Personal data: the address is kept next to its code until the mail server accepts the
message, or after a failure so that staff can see which address to correct. Once sent, only
a masked form remains (``j•••@example.org``, for staff to tell the rows apart) and a keyed
hash (HMAC-SHA256 with the site's secret key) that keeps one address from being invited
twice to the same survey. No reminders are sent, so nothing more is kept. Responses never
refer to invitations, so exports cannot show an address; in anonymous mode the use of a code
is still recorded without time nor receipt, and the codes page does not say which e-mailed
codes were used.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import hmac
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from analysis.csvio import TableError, parse_table
from survey import localtime
from survey.domain.access_codes import display_code, new_code
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.forms import FieldError
from survey.domain.jobs import Progress, RetryLater, enqueue_for_mails
from survey.domain.queries import invitation_mails
from survey.domain.queries import invitations as invitation_rows
from survey.errors import NotFound, SurveyError
from survey.i18n import LANGUAGES, translate
from survey.settings import SmtpSettings

MAX_ADDRESSES = 1000
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_FILE_ROWS = 5 * MAX_ADDRESSES
MAX_SENDER = 200
# Waits before the 2nd, 3rd and 4th attempt, in seconds.
RETRY_DELAYS: tuple[float, ...] = (60.0, 300.0, 1800.0)
SMTP_TIMEOUT = 30.0
MAIL_STATES = ("queued", "sent", "failed")

# What mail servers accept in practice, in plain ASCII (smtplib sends these without
# SMTPUTF8): a local part of the usual characters, dotted domain labels, a letters-only TLD.
_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_SEPARATORS = re.compile(r"[,;\t\n\r]+")
_HEADER = re.compile(r"e-?mail|courriel|adresse|address|mail", re.IGNORECASE)

_FILE_ERRORS = {
    "csv.too_large": "builder.mail_file_too_large",
    "csv.empty": "builder.mail_file_empty",
}

MAIL_JOB = "invitation_mail"
NEWS_JOB = "followup_mail"


async def deliver(smtp: SmtpSettings, message: EmailMessage) -> tuple[str, bool]:
    """Send ``message``: ('', False) when the server took it, else its answer and whether
    trying again could help."""
    try:
        await asyncio.to_thread(_send, smtp, message)
    except (smtplib.SMTPException, OSError) as exc:
        return _describe(exc)
    return "", False


# --- reading addresses ----------------------------------------------------------------------


@dataclass(frozen=True)
class AddressList:
    """Addresses as given: the valid ones (duplicates dropped, first spelling kept) and the
    entries that are not addresses, in their order."""

    valid: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()


def _clean(entry: str) -> str:
    entry = entry.strip().strip('"').strip()
    if entry.endswith(">") and "<" in entry:  # "Jeanne Martin <jeanne@example.org>"
        entry = parseaddr(entry)[1] or entry
    return entry.strip()


def _address_list(entries: list[str]) -> AddressList:
    valid: dict[str, str] = {}
    invalid: dict[str, None] = {}
    for raw in entries:
        entry = _clean(raw)
        if not entry:
            continue
        if len(entry) <= 254 and len(entry.split("@")[0]) <= 64 and _ADDRESS.fullmatch(entry):
            local, domain = entry.rsplit("@", 1)
            valid.setdefault(entry.casefold(), f"{local}@{domain.lower()}")
        else:
            invalid[entry[:100]] = None
    return AddressList(tuple(valid.values()), tuple(invalid))


def read_addresses(text: str) -> AddressList:
    """Addresses one per line (commas, semicolons and tabs also separate them)."""
    return _address_list(_SEPARATORS.split(text))


def addresses_from_csv(data: bytes) -> AddressList:
    """The addresses of a CSV file: the column titled like "e-mail" or "courriel", else the
    one holding the most addresses. A file without a title row is read whole."""
    try:
        table = parse_table(data, max_bytes=MAX_FILE_BYTES, max_rows=MAX_FILE_ROWS)
    except TableError as error:
        key = _FILE_ERRORS.get(error.key, "builder.csv_unreadable")
        raise SurveyError(key, mb=MAX_FILE_BYTES // (1024 * 1024), max=MAX_FILE_ROWS) from error
    titled = not any("@" in cell for cell in table.header)
    rows = table.rows if titled else [table.header, *table.rows]
    width = max((len(r) for r in rows), default=0)
    if width == 0:
        raise SurveyError("builder.mail_file_empty")

    def cells(column: int) -> list[str]:
        return [r[column] for r in rows if column < len(r)]

    named = [i for i, title in enumerate(table.header) if titled and _HEADER.search(title)]
    column = (
        named[0]
        if named
        else max(range(width), key=lambda i: sum("@" in cell for cell in cells(i)))
    )
    return _address_list(cells(column))


def mask(address: str) -> str:
    """``jeanne@example.org`` → ``j•••@example.org``."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}"


def address_hash(secret: str, address: str) -> str:
    return hmac.new(secret.encode(), address.casefold().encode(), hashlib.sha256).hexdigest()


# --- queueing -------------------------------------------------------------------------------


class MailInvalid(SurveyError):
    """The e-mail form has errors (field name → error); ``addresses`` keeps the valid ones."""

    status = 422

    def __init__(self, errors: dict[str, FieldError], addresses: tuple[str, ...]) -> None:
        super().__init__("builder.form_errors", n=len(errors))
        self.errors = errors
        self.addresses = addresses


@dataclass(frozen=True)
class Queued:
    queued: int
    skipped: int = 0


async def queue_invitation_mails(
    definition: SurveyDef,
    text: str,
    *,
    sender: str,
    language: str,
    link: str,
    secret: str,
    smtp: SmtpSettings | None,
) -> Queued:
    """Give each address a fresh code and queue its message; nothing is queued if any entry
    is not an address. Addresses already invited to the survey are skipped and counted."""
    addresses = read_addresses(text)
    sender = " ".join(sender.split())
    errors: dict[str, FieldError] = {}
    if addresses.invalid:
        errors["addresses"] = FieldError(
            "builder.mail_invalid",
            {"n": len(addresses.invalid), "list": ", ".join(addresses.invalid[:20])},
        )
    elif not addresses.valid:
        errors["addresses"] = FieldError("builder.mail_none", {})
    elif len(addresses.valid) > MAX_ADDRESSES:
        errors["addresses"] = FieldError("builder.mail_too_many", {"max": MAX_ADDRESSES})
    if not sender:
        errors["sender"] = FieldError("builder.mail_sender_missing", {})
    elif len(sender) > MAX_SENDER:
        errors["sender"] = FieldError("builder.mail_sender_long", {"max": MAX_SENDER})
    if language not in LANGUAGES:
        errors["language"] = FieldError("builder.mail_language_invalid", {})
    if errors:
        raise MailInvalid(errors, addresses.valid)
    if smtp is None:
        raise SurveyError("builder.mail_not_configured")
    if not definition.needs_code:
        raise SurveyError("builder.mail_open_mode")
    hashes = [address_hash(secret, a) for a in addresses.valid]
    async with connection() as conn, conn.transaction():
        # One batch at a time per survey, so two batches never invite one address twice.
        await invitation_mails.lock_survey(conn, definition.id)
        known = await invitation_mails.known_hashes(conn, definition.id, hashes)
        fresh = [(a, h) for a, h in zip(addresses.valid, hashes, strict=True) if h not in known]
        if not fresh:
            return Queued(0, len(known))
        invitation_ids: list[int] = []
        while len(invitation_ids) < len(fresh):
            invitation_ids += await invitation_rows.insert_codes(
                conn, definition.id, [new_code() for _ in range(len(fresh) - len(invitation_ids))]
            )
        mail_ids = await invitation_mails.insert_queued(
            conn,
            definition.id,
            (
                invitation_ids,
                [a for a, _ in fresh],
                [h for _, h in fresh],
                [mask(a) for a, _ in fresh],
            ),
            language=language,
            sender=sender,
        )
        await enqueue_for_mails(conn, MAIL_JOB, mail_ids, link)
    return Queued(len(fresh), len(known))


async def resend_failed_mail(
    definition: SurveyDef,
    mail_id: int,
    text: str,
    *,
    link: str,
    secret: str,
    smtp: SmtpSettings | None,
) -> bool:
    """Queue a failed invitation again to the address typed by staff: the same one (after an
    outage) keeps its code; a corrected one gets a fresh code and the old one is deleted, since
    a failure does not prove the first message never arrived. ``False`` when the e-mail is no
    longer failed (queued again by a first click, or sent): nothing changes then."""
    if smtp is None:
        raise SurveyError("builder.mail_not_configured")
    if not definition.needs_code:
        raise SurveyError("builder.mail_open_mode")
    async with connection() as conn, conn.transaction():
        await invitation_mails.lock_survey(conn, definition.id)
        row = await invitation_mails.lock(conn, mail_id, definition.id)
        if row is None:
            raise NotFound("builder.mail_unknown")
        if row.status != "failed":
            return False
        # Locked before looking at its uses: a resident answering with this code right now
        # either has committed (and is seen below) or waits for this transaction and then
        # finds the code gone, never a use recorded on a deleted code.
        code = await invitation_rows.lock_by_id(conn, row.invitation_id)
        # A use, or a draft saved with the code, proves the message arrived.
        used = await invitation_rows.used_or_drafted(conn, row.invitation_id, definition.id, code)
        found = read_addresses(text)
        if found.invalid or len(found.valid) != 1:
            raise MailInvalid({"address": FieldError("builder.mail_resend_invalid", {})}, ())
        if used:
            raise MailInvalid({"address": FieldError("builder.mail_resend_used", {})}, ())
        address = found.valid[0]
        digest = address_hash(secret, address)
        invitation_id = row.invitation_id
        if digest != row.email_hash:
            if await invitation_mails.hash_known(conn, definition.id, digest):
                raise MailInvalid({"address": FieldError("builder.mail_resend_known", {})}, ())
            invitation_id = await _fresh_invitation(conn, definition.id)
        # A fresh series of attempts; the 30 days before an undelivered address is erased
        # start again from now.
        await invitation_mails.requeue(conn, mail_id, invitation_id, address, digest, mask(address))
        if invitation_id != row.invitation_id:
            await invitation_rows.delete(conn, row.invitation_id)
        await enqueue_for_mails(conn, MAIL_JOB, [mail_id], link)
    return True


async def _fresh_invitation(conn: asyncpg.Connection, survey_id: int) -> int:
    """A new code for the survey (drawn again in the unlikely case it exists already)."""
    while True:
        made = await invitation_rows.insert_code(conn, survey_id, new_code())
        if made is not None:
            return made


# --- listing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailReport:
    counts: dict[str, int] = field(default_factory=dict)
    rows: tuple[invitation_mails.Listed, ...] = ()


async def list_invitation_mails(definition: SurveyDef, *, limit: int = 500) -> MailReport:
    """How the survey's e-mails went: counts per status and the latest ones, failed first."""
    async with connection() as conn:
        counts = await invitation_mails.status_counts(conn, definition.id)
        rows = await invitation_mails.latest(conn, definition.id, limit)
    return MailReport(
        {state: 0 for state in MAIL_STATES} | counts,
        tuple(rows),
    )


# --- the message ----------------------------------------------------------------------------


def compose(
    smtp: SmtpSettings,
    *,
    to: str,
    language: str,
    title: str,
    sender: str,
    link: str,
    code: str,
    closes_at: dt.datetime | None,
    anonymous: bool,
    time_zone: ZoneInfo,
) -> EmailMessage:
    """The invitation in ``language``: who sends it, the personal link, the code to type;
    the closing time is read on the clocks of ``time_zone``."""

    def t(key: str, **params: Any) -> str:
        return translate(language, key, **params)

    lines = [
        t("builder.mail_hello"),
        "",
        t("builder.mail_intro", sender=sender, title=title),
        "",
        t("builder.mail_link"),
        f"{link}?invitation={code}" + ("&lang=en" if language == "en" else ""),
        "",
        t("builder.mail_code", address=link, code=display_code(code)),
        t("builder.mail_once"),
    ]
    if closes_at is not None:
        local = localtime.local(closes_at, time_zone)
        lines.append(
            t("builder.mail_closes", date=local.strftime("%d/%m/%Y"), time=local.strftime("%H:%M"))
        )
    lines += ["", t("builder.mail_anonymous" if anonymous else "builder.mail_privacy")]
    lines += ["", "-- ", sender]
    message = EmailMessage()
    message["Subject"] = t("builder.mail_subject", title=title)
    message["From"] = smtp.sender
    message["To"] = to
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    domain = parseaddr(smtp.sender)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("\n".join(lines) + "\n")
    return message


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the system's certificates takes tens of milliseconds: once per process.
    return ssl.create_default_context()


@functools.cache
def _local_name() -> str:
    # What smtplib would look up (reverse DNS) on every connection otherwise.
    return socket.getfqdn()


def _send(smtp: SmtpSettings, message: EmailMessage) -> None:
    client: smtplib.SMTP
    if smtp.tls == "tls":
        client = smtplib.SMTP_SSL(
            smtp.host,
            smtp.port,
            local_hostname=_local_name(),
            timeout=SMTP_TIMEOUT,
            context=_tls_context(),
        )
    else:
        client = smtplib.SMTP(
            smtp.host, smtp.port, local_hostname=_local_name(), timeout=SMTP_TIMEOUT
        )
    with client:
        if smtp.tls == "starttls":
            client.starttls(context=_tls_context())
        if smtp.user:
            client.login(smtp.user, smtp.password)
        client.send_message(message)


def _describe(exc: Exception) -> tuple[str, bool]:
    """The server's answer, and whether trying again could help (not for a 5xx refusal)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code, text = next(iter(exc.recipients.values()))
        return f"{code} {text.decode(errors='replace')}"[:500], code < 500
    if isinstance(exc, smtplib.SMTPResponseException):
        # Typed as bytes, but smtplib passes a str for errors it makes up itself.
        error: bytes | str = exc.smtp_error
        reply = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
        return f"{exc.smtp_code} {reply}"[:500], exc.smtp_code < 500
    return f"{type(exc).__name__}: {exc}"[:500], True


class MailFailed(Exception):
    """The last attempt to send an invitation failed; the job is recorded as failed."""


async def send_invitation_mail(
    smtp: SmtpSettings | None, payload: dict[str, Any], progress: Progress, zone: ZoneInfo
) -> None:
    """Send one invitation with ``smtp`` (None: this process has no mail server); on
    failure try again later, until the last attempt."""
    mail_id = int(payload["mail"])
    row = await invitation_mails.take_for_sending(mail_id)
    if row is None:
        return  # Sent already, or the survey was deleted meanwhile.
    error, retry = "", False
    if smtp is None:
        error = translate(row.language, "builder.mail_not_configured")
    else:
        try:
            message = compose(
                smtp,
                to=row.email,
                language=row.language,
                title=(row.title_en if row.language == "en" else "") or row.title_fr,
                sender=row.sender,
                link=str(payload["link"]),
                code=row.code,
                closes_at=row.closes_at,
                anonymous=row.access_mode == "anonymous",
                time_zone=zone,
            )
            await asyncio.to_thread(_send, smtp, message)
        except (smtplib.SMTPException, OSError) as exc:
            error, retry = _describe(exc)
        except ValueError as exc:  # A header the message cannot carry: retrying cannot help.
            error = f"{type(exc).__name__}: {exc}"[:500]
    if not error:
        # The address is no longer needed: it goes now (the table checks it).
        await invitation_mails.mark_sent(mail_id)
        return
    last = not retry or row.attempts > len(RETRY_DELAYS)
    await invitation_mails.set_status(mail_id, "failed" if last else "queued", error)
    if last:
        raise MailFailed(error)
    raise RetryLater(RETRY_DELAYS[row.attempts - 1], error)
