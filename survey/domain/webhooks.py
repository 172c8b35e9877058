"""Webhooks: each new response of a survey sent, signed, to the addresses staff gave.

Delivery jobs are queued by the statement that stores the response
(``survey.domain.answering``); each job sends one response to one address and is tried
again later when it fails.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import urllib.error
import urllib.request
import uuid
from typing import Any

from survey.domain.api import response_item
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.jobs import Progress, RetryLater
from survey.domain.queries import responses, webhook_deliveries
from survey.domain.queries import webhooks as webhook_rows
from survey.errors import NotFound, SurveyError

JOB_KIND = "webhook"  # the jobs deliver_webhook takes (see job_kinds)

WEBHOOK_TIMEOUT = 10.0
# Waits before the 2nd, 3rd and 4th attempt, in seconds. The job goes back to the queue for
# that long: the worker sends other things meanwhile.
RETRY_DELAYS: tuple[float, ...] = (60.0, 600.0, 3600.0)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value of a webhook body."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


async def add_webhook(definition: SurveyDef, url: str) -> str:
    """Register an address for the survey's new responses; returns its signing secret."""
    url = url.strip()
    if len(url) > 500 or not re.match(r"^https?://[^\s/$.?#][^\s]*$", url):
        raise SurveyError("builder.webhook_url_invalid")
    secret = secrets.token_hex(32)
    await webhook_rows.insert(definition.id, url, secret)
    return secret


async def list_webhooks(definition: SurveyDef) -> list[dict[str, Any]]:
    """The survey's webhooks, each with its last deliveries (window function per hook)."""
    async with connection() as conn:
        hooks = await webhook_rows.by_survey(conn, definition.id)
        # The response's number, never its receipt: the receipt is the resident's alone.
        deliveries = await webhook_deliveries.recent_by_survey(conn, definition.id)
    by_hook: dict[int, list[dict[str, Any]]] = {h.id: [] for h in hooks}
    for d in deliveries:
        by_hook[d.webhook_id].append(d._asdict())
    return [{**h._asdict(), "deliveries": by_hook[h.id]} for h in hooks]


async def delete_webhook(definition: SurveyDef, webhook_id: int) -> None:
    if not await webhook_rows.delete(webhook_id, definition.id):
        raise NotFound("builder.webhook_unknown")


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - http(s) checked on save
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


async def deliver_webhook(payload: dict[str, Any], progress: Progress) -> None:
    """Send one response to one webhook; a failed attempt is logged and tried again later,
    until the last one fails the job."""
    webhook_id, receipt = int(payload["webhook"]), str(payload["receipt"])
    async with connection() as conn:
        hook = await webhook_rows.active_target(conn, webhook_id)
        row = await responses.published_by_receipt(conn, receipt)
        # The log is the count of attempts: it stays right even if a worker died mid-way.
        attempt = 1 + await webhook_deliveries.count_for(conn, webhook_id, receipt)
    if hook is None or row is None:
        return  # Deleted meanwhile: nothing to send.
    body = json.dumps(
        {"event": "response.created", "survey": hook.slug, "response": response_item(row)},
        ensure_ascii=False,
    ).encode()
    timestamp = str(int(dt.datetime.now(dt.UTC).timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Parlons-Webhook/1",
        "X-Parlons-Event": "response.created",
        "X-Parlons-Delivery": str(uuid.uuid4()),
        "X-Parlons-Timestamp": timestamp,
        "X-Parlons-Signature": sign(hook.secret, timestamp, body),
    }
    status, error = None, ""
    try:
        status = await asyncio.to_thread(_post, hook.url, body, headers)
    except (OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    await webhook_deliveries.insert(webhook_id, receipt, attempt, status, error)
    if status is not None and 200 <= status < 300:
        return
    reason = error or f"HTTP {status}"
    if attempt <= len(RETRY_DELAYS):
        raise RetryLater(RETRY_DELAYS[attempt - 1], reason)
    raise WebhookFailed(f"{reason} (attempt {attempt}, the last)")


class WebhookFailed(Exception):
    """The last attempt to deliver a webhook failed; the job is recorded as failed."""
