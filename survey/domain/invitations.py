"""Access and distribution: invitation codes, "finish later" resume codes, storing a new
response, and for other programs the read-only API (tokens) and signed webhooks.

Codes use the receipt alphabet (no 0/O, no 1/I) so they can be read out over the phone, and
are shown in two groups of four. In anonymous mode a used invitation is recorded without
time nor receipt, in a table that holds no response id: nothing links answers to a code.
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
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import segno

from survey import localtime
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.jobs import Progress, RetryLater
from survey.domain.responses import RECEIPT_ALPHABET, new_receipt, submit_response
from survey.enums import Channel
from survey.errors import Conflict, NotFound, SurveyError

CODE_LENGTH = 8
MAX_BATCH = 1000
RawForm = dict[str, list[str]]


def new_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(length))


def normalise_code(text: str) -> str:
    """What a person typed, made comparable: case, spaces and dashes do not matter."""
    return "".join(c for c in str(text).upper() if c.isalnum())[:16]


def display_code(code: str) -> str:
    """``ABCD-EFGH``: easier to read out and to copy."""
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


def qr_svg(address: str, *, scale: int = 8) -> str:
    """A QR code of ``address`` as inline SVG, drawn here: no outside service is called."""
    qr = segno.make(address, error="m")
    # A viewBox instead of a fixed size, so that the page's CSS can scale it whole.
    return str(qr.svg_inline(scale=scale, dark="#000", light="#fff", omitsize=True))


# --- resume codes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    code: str
    raw: RawForm
    step: int
    language: str
    invitation: str
    expires_at: dt.datetime


async def save_draft(
    definition: SurveyDef, raw: RawForm, *, step: int, language: str, invitation: str = ""
) -> Draft:
    """Keep the answers typed so far; they expire after the survey's resume delay."""
    payload = json.dumps(raw, ensure_ascii=False)
    async with connection() as conn:
        # Expired drafts go as new ones arrive: no separate clean-up task to run.
        await conn.execute("DELETE FROM resume_drafts WHERE expires_at < now()")
        for _ in range(5):
            row = await conn.fetchrow(
                "INSERT INTO resume_drafts (survey_id, code, form_values, step, language,"
                " invitation, created_at, expires_at) VALUES ($1, $2, $3::jsonb, $4, $5, $6, now(),"
                " now() + make_interval(days => $7))"
                " ON CONFLICT (code) DO NOTHING RETURNING code, expires_at",
                definition.id,
                new_code(),
                payload,
                step,
                language,
                invitation,
                definition.resume_days,
            )
            if row:
                return Draft(row["code"], raw, step, language, invitation, row["expires_at"])
    raise SurveyError("error.try_again")


async def load_draft(definition: SurveyDef, code: str) -> Draft:
    """The saved answers for ``code``; unknown and expired codes get a clear message."""
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT code, form_values, step, language, invitation, expires_at,"
            " expires_at < now() AS old FROM resume_drafts WHERE survey_id = $1 AND code = $2",
            definition.id,
            normalise_code(code),
        )
    if row is None:
        raise NotFound("builder.resume_unknown")
    if row["old"]:
        raise SurveyError("builder.resume_expired")
    raw = {str(k): [str(v) for v in vs] for k, vs in json.loads(row["form_values"]).items()}
    return Draft(
        row["code"], raw, row["step"], row["language"], row["invitation"], row["expires_at"]
    )


async def delete_draft(code: str) -> None:
    async with connection() as conn:
        await conn.execute("DELETE FROM resume_drafts WHERE code = $1", normalise_code(code))


# --- invitation codes -----------------------------------------------------------------------


async def create_invitations(definition: SurveyDef, count: int) -> int:
    """Generate ``count`` new codes for the survey (up to 1000 at a time)."""
    if not 1 <= count <= MAX_BATCH:
        raise SurveyError("builder.codes_count", max=MAX_BATCH)
    made = 0
    async with connection() as conn:
        while made < count:
            codes = [new_code() for _ in range(count - made)]
            result = await conn.fetch(
                "INSERT INTO invitations (survey_id, code, label, created_at)"
                " SELECT $1, c, '', now() FROM unnest($2::text[]) AS c"
                " ON CONFLICT (code) DO NOTHING RETURNING id",
                definition.id,
                codes,
            )
            made += len(result)
    return made


async def list_invitations(definition: SurveyDef, *, unused_only: bool = False) -> list[str]:
    """The survey's codes, oldest first; ``unused_only``: those still free to hand out
    (neither used nor sent to someone by e-mail)."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT i.code FROM invitations i LEFT JOIN invitation_uses u"
            " ON u.invitation_id = i.id WHERE i.survey_id = $1"
            " AND (NOT $2 OR (u.invitation_id IS NULL AND NOT EXISTS"
            " (SELECT 1 FROM invitation_mails m WHERE m.invitation_id = i.id))) ORDER BY i.id",
            definition.id,
            unused_only,
        )
    return [r["code"] for r in rows]


async def invitation_counts(definition: SurveyDef) -> dict[str, int]:
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT count(*) AS total, count(u.invitation_id) AS used FROM invitations i"
            " LEFT JOIN invitation_uses u ON u.invitation_id = i.id WHERE i.survey_id = $1",
            definition.id,
        )
    assert row is not None  # an aggregate always returns its one row
    return {"total": int(row["total"]), "used": int(row["used"])}


async def check_invitation(definition: SurveyDef, code: str) -> str:
    """The normalised code if it belongs to the survey and is still unused."""
    wanted = normalise_code(code)
    if not wanted:
        raise SurveyError("builder.invitation_missing")
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT i.id, u.invitation_id IS NOT NULL AS used FROM invitations i"
            " LEFT JOIN invitation_uses u ON u.invitation_id = i.id"
            " WHERE i.survey_id = $1 AND i.code = $2",
            definition.id,
            wanted,
        )
    if row is None:
        raise SurveyError("builder.invitation_unknown")
    if row["used"]:
        raise Conflict("builder.invitation_used")
    return wanted


_INSERT_RESPONSE = """
INSERT INTO responses (survey_id, idempotency_key, receipt, answers, language, channel,
                       submitted_at)
VALUES ($1, $2, $3, $4::jsonb, $5, $6, now())
ON CONFLICT DO NOTHING
RETURNING receipt
"""


async def submit_with_invitation(
    definition: SurveyDef,
    answers: dict[str, Any],
    *,
    key: uuid.UUID,
    language: str,
    code: str,
) -> str:
    """Store a response and use up its invitation code in one transaction.

    A retried POST (same key) gets the stored receipt back; a used code is refused.
    """
    anonymous = definition.access_mode == "anonymous"
    payload = json.dumps(answers, ensure_ascii=False)
    async with connection() as conn, conn.transaction():
        existing = await _existing(conn, key, definition)
        if existing:
            return existing
        # Key-share locked: a code being replaced by a resend at this moment is either kept
        # until this answer is stored, or already gone (then "unknown code").
        invitation_id = await conn.fetchval(
            "SELECT id FROM invitations WHERE survey_id = $1 AND code = $2 FOR KEY SHARE",
            definition.id,
            normalise_code(code),
        )
        if invitation_id is None:
            raise SurveyError("builder.invitation_unknown")
        receipt = new_receipt()
        claimed = await conn.fetchval(
            "INSERT INTO invitation_uses (invitation_id, used_at, receipt)"
            " VALUES ($1, CASE WHEN $2 THEN NULL ELSE now() END, $3)"
            " ON CONFLICT DO NOTHING RETURNING invitation_id",
            invitation_id,
            anonymous,
            None if anonymous else receipt,
        )
        if claimed is None:
            existing = await _existing(conn, key, definition)
            if existing:
                return existing
            raise Conflict("builder.invitation_used")
        stored = await conn.fetchval(
            _INSERT_RESPONSE,
            definition.id,
            key,
            receipt,
            payload,
            language,
            str(Channel.WEB),
        )
        if stored is None:  # A receipt collision: so rare that a retry by the person is fine.
            raise SurveyError("error.try_again")
        return str(stored)


async def _existing(conn: asyncpg.Connection, key: uuid.UUID, definition: SurveyDef) -> str | None:
    row = await conn.fetchrow(
        "SELECT receipt, survey_id FROM responses WHERE idempotency_key = $1", key
    )
    if row is None:
        return None
    if row["survey_id"] != definition.id:
        raise SurveyError("error.bad_form")
    return str(row["receipt"])


# --- storing a new response -----------------------------------------------------------------


async def store_response(
    definition: SurveyDef,
    answers: dict[str, Any],
    *,
    key: uuid.UUID,
    language: str,
    invitation: str = "",
    channel: Channel = Channel.WEB,
) -> str:
    """Store a validated response (using up its invitation code in invitation modes) and
    tell the survey's webhooks; a retried POST returns the first receipt, told once."""
    if not (definition.needs_code and channel == Channel.WEB):
        # The common path: one statement stores the response and queues its webhooks.
        return await submit_response(
            definition, answers, key=key, language=language, channel=channel
        )
    async with connection() as conn:
        known = await conn.fetchval("SELECT 1 FROM responses WHERE idempotency_key = $1", key)
    receipt = await submit_with_invitation(
        definition, answers, key=key, language=language, code=invitation
    )
    if not known:
        await notify_new_response(definition, receipt)
    return receipt


# --- read-only API --------------------------------------------------------------------------

TOKEN_PREFIX = "prl_"  # noqa: S105 - a visible marker, not a secret
API_PAGE_MAX = 500
API_AFTER_MAX = 2**63 - 1  # response ids are PostgreSQL bigints


def _token_hash(token: str) -> str:
    # Tokens carry 256 random bits: a plain SHA-256 is enough, no slow hash needed.
    return hashlib.sha256(token.encode()).hexdigest()


# The one scope so far: read surveys, their definitions and responses; never write.
READ_SURVEYS = "surveys:read"


async def create_api_token(user_id: int, name: str, *, survey_slug: str = "") -> str:
    """A new read-only token for ``user_id``, for every survey or the one of
    ``survey_slug``; the only time it is given in full."""
    name = name.strip()[:100]
    if not name:
        raise SurveyError("builder.token_name_missing")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with connection() as conn:
        survey_id = None
        if survey_slug:
            survey_id = await conn.fetchval("SELECT id FROM surveys WHERE slug = $1", survey_slug)
            if survey_id is None:
                raise SurveyError("builder.token_survey_unknown")
        await conn.execute(
            "INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at, scope,"
            " survey_id) VALUES ($1, $2, $3, $4, now(), $5, $6)",
            user_id,
            name,
            token[:12],
            _token_hash(token),
            READ_SURVEYS,
            survey_id,
        )
    return token


async def list_api_tokens(user_id: int) -> list[dict[str, Any]]:
    """The user's tokens, newest first, with the survey each one reads (none: all)."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT t.id, t.name, t.prefix, t.created_at, t.last_used_at, t.revoked_at,"
            " t.scope, s.slug AS survey_slug FROM api_tokens t"
            " LEFT JOIN surveys s ON s.id = t.survey_id"
            " WHERE t.user_id = $1 ORDER BY t.created_at DESC, t.id DESC",
            user_id,
        )
    return [dict(r) for r in rows]


async def revoke_api_token(user_id: int, token_id: int) -> None:
    """Revoke one of the user's own tokens (another user's is not found)."""
    async with connection() as conn:
        done = await conn.execute(
            "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())"
            " WHERE id = $1 AND user_id = $2",
            token_id,
            user_id,
        )
    if done.endswith(" 0"):
        raise NotFound("builder.token_unknown")


async def token_survey_choices() -> list[dict[str, Any]]:
    """The surveys a new token may be limited to: slug and titles, newest first."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT slug, title_fr, title_en FROM surveys ORDER BY created_at DESC, id DESC"
        )
    return [dict(r) for r in rows]


class ApiDenied(SurveyError):
    status = 401


@dataclass(frozen=True)
class ApiGrant:
    """What a token lets its holder read: every survey, or one."""

    user_id: int
    survey_id: int | None

    def check(self, definition: SurveyDef) -> None:
        """A survey outside the token's scope is answered as unknown."""
        if self.survey_id is not None and self.survey_id != definition.id:
            raise NotFound("error.survey_not_found")


async def authenticate_token(header: str | None) -> ApiGrant:
    """The grant behind an ``Authorization: Bearer`` header; revoked tokens, and tokens
    without the read scope, are refused."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX):
        raise ApiDenied("builder.api_token_missing")
    async with connection() as conn:
        row = await conn.fetchrow(
            "UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1"
            " AND revoked_at IS NULL AND scope = $2 RETURNING user_id, survey_id",
            _token_hash(token.strip()),
            READ_SURVEYS,
        )
    if row is None:
        raise ApiDenied("builder.api_token_invalid")
    return ApiGrant(int(row["user_id"]), row["survey_id"])


async def api_surveys(grant: ApiGrant) -> list[dict[str, Any]]:
    """The surveys the token reads, with their response counts (one grouped query)."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT s.slug, s.title_fr, s.title_en, s.status, s.version, count(r.id) AS responses"
            " FROM surveys s LEFT JOIN responses r ON r.survey_id = s.id"
            " WHERE $1::int IS NULL OR s.id = $1"
            " GROUP BY s.id ORDER BY s.created_at DESC, s.id DESC",
            grant.survey_id,
        )
    return [
        {
            "slug": r["slug"],
            "title": {"fr": r["title_fr"], "en": r["title_en"]},
            "status": r["status"],
            "version": r["version"],
            "responses": int(r["responses"]),
        }
        for r in rows
    ]


async def api_responses(
    definition: SurveyDef, *, after: int = 0, limit: int = 100, zone: ZoneInfo | None = None
) -> dict[str, Any]:
    """A page of responses in id order; ``next_after`` continues where this page ends.

    Moments are ISO 8601 with an explicit offset: wall-clock time of ``zone`` (the
    instance's) when given, else UTC (``+00:00``)."""
    limit = max(1, min(limit, API_PAGE_MAX))
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT id, answers, language, channel, submitted_at FROM responses"
            " WHERE survey_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            definition.id,
            after,
            limit,
        )
    items = [_response_item(r, zone) for r in rows]
    return {
        "items": items,
        "next_after": items[-1]["id"] if len(items) == limit else None,
    }


def _response_item(row: asyncpg.Record, zone: ZoneInfo | None = None) -> dict[str, Any]:
    # Never the receipt: it belongs to the resident, who can see and erase the answer with it.
    moment = row["submitted_at"]
    return {
        "id": row["id"],
        "submitted_at": localtime.export(moment, zone) if zone else moment.isoformat(),
        "channel": row["channel"],
        "language": row["language"],
        "answers": json.loads(row["answers"]),
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 description of the read-only API and of the webhook."""
    error = {"$ref": "#/components/schemas/Error"}
    bearer: list[dict[str, list[str]]] = [{"token": []}]
    reasons = {
        "400": "A query value is not an integer in its range",
        "401": "Missing or revoked token",
        "404": "No such survey",
    }

    def failures(*codes: str) -> dict[str, Any]:
        return {
            code: {
                "description": reasons[code],
                "content": {"application/json": {"schema": error}},
            }
            for code in codes
        }

    slug = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
    texts = {"type": "object", "properties": {"fr": {"type": "string"}, "en": {"type": "string"}}}
    response_schema = {
        "type": "object",
        "required": ["id", "submitted_at", "channel", "language", "answers"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer"},
            "submitted_at": {
                "type": "string",
                "format": "date-time",
                "description": "ISO 8601 with an explicit offset (+01:00).",
            },
            "channel": {"type": "string", "enum": [str(c) for c in Channel]},
            "language": {"type": "string"},
            "answers": {
                "type": "object",
                "description": "Question code → answer: a code, a list of codes, text or number.",
            },
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Parlons API",
            "version": "1",
            "description": (
                "Read-only access to surveys and responses. Create a token on the staff page"
                " « Jetons d'API » and send it as `Authorization: Bearer <token>`. A token"
                " has the scope `surveys:read`, for every survey or for one: another survey"
                ' is answered 404. "Log out everywhere" revokes its owner\'s tokens.'
                " Residents' receipts are never given out."
            ),
        },
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                },
                "Response": response_schema,
                "Survey": {
                    "type": "object",
                    "properties": {
                        "slug": {"type": "string"},
                        "title": texts,
                        "status": {"type": "string"},
                        "version": {"type": "integer"},
                        "responses": {"type": "integer"},
                    },
                },
            },
        },
        "paths": {
            "/api/surveys": {
                "get": {
                    "summary": "Every survey with its number of responses",
                    "security": bearer,
                    "responses": {
                        "200": {
                            "description": "The surveys",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Survey"},
                                    }
                                }
                            },
                        },
                        **failures("401"),
                    },
                }
            },
            "/api/surveys/{slug}": {
                "get": {
                    "summary": "A survey's definition (Parlons JSON)",
                    "security": bearer,
                    "parameters": [slug],
                    "responses": {
                        "200": {
                            "description": "The definition",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        **failures("401", "404"),
                    },
                }
            },
            "/api/surveys/{slug}/responses": {
                "get": {
                    "summary": "Responses in id order, a page at a time",
                    "security": bearer,
                    "parameters": [
                        slug,
                        {
                            "name": "after",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 0, "maximum": API_AFTER_MAX},
                            "description": "Only responses with a greater id (next_after).",
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": API_PAGE_MAX},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "A page of responses",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["items", "next_after"],
                                        "properties": {
                                            "items": {
                                                "type": "array",
                                                "items": {"$ref": "#/components/schemas/Response"},
                                            },
                                            "next_after": {"type": ["integer", "null"]},
                                        },
                                    }
                                }
                            },
                        },
                        **failures("400", "401", "404"),
                    },
                }
            },
        },
        "webhooks": {
            "response.created": {
                "post": {
                    "summary": "A new response was stored",
                    "description": (
                        "Sent to each webhook of the survey. `X-Parlons-Signature` is"
                        " `sha256=` followed by the hex HMAC-SHA256, with the webhook's secret,"
                        " of `<X-Parlons-Timestamp>.<body>`. Failed deliveries are retried."
                    ),
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "event": {"type": "string"},
                                        "survey": {"type": "string"},
                                        "response": {"$ref": "#/components/schemas/Response"},
                                    },
                                }
                            }
                        }
                    },
                    "responses": {"2XX": {"description": "Received"}},
                }
            }
        },
    }


# --- webhooks -------------------------------------------------------------------------------

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
    async with connection() as conn:
        await conn.execute(
            "INSERT INTO webhooks (survey_id, url, secret, active, created_at)"
            " VALUES ($1, $2, $3, true, now())",
            definition.id,
            url,
            secret,
        )
    return secret


async def list_webhooks(definition: SurveyDef) -> list[dict[str, Any]]:
    """The survey's webhooks, each with its last deliveries (window function per hook)."""
    async with connection() as conn:
        hooks = await conn.fetch(
            "SELECT id, url, active, created_at FROM webhooks WHERE survey_id = $1 ORDER BY id",
            definition.id,
        )
        deliveries = await conn.fetch(
            # The response's number, never its receipt: the receipt is the resident's alone.
            "SELECT recent.*, r.number AS response_number FROM (SELECT d.webhook_id, d.receipt,"
            " d.attempt, d.status_code, d.error, d.created_at, row_number() OVER (PARTITION BY"
            " d.webhook_id ORDER BY d.created_at DESC, d.id DESC) AS n FROM webhook_deliveries d"
            " JOIN webhooks w ON w.id = d.webhook_id WHERE w.survey_id = $1) recent"
            " LEFT JOIN responses r ON r.receipt = recent.receipt"
            " WHERE recent.n <= 20 ORDER BY recent.created_at DESC",
            definition.id,
        )
    by_hook: dict[int, list[dict[str, Any]]] = {h["id"]: [] for h in hooks}
    for d in deliveries:
        entry = dict(d)
        del entry["receipt"]
        by_hook[d["webhook_id"]].append(entry)
    return [{**dict(h), "deliveries": by_hook[h["id"]]} for h in hooks]


async def delete_webhook(definition: SurveyDef, webhook_id: int) -> None:
    async with connection() as conn:
        done = await conn.execute(
            "DELETE FROM webhooks WHERE id = $1 AND survey_id = $2", webhook_id, definition.id
        )
    if done.endswith(" 0"):
        raise NotFound("builder.webhook_unknown")


async def notify_new_response(definition: SurveyDef, receipt: str) -> int:
    """Queue one delivery job per active webhook of the survey (none: nothing queued)."""
    async with connection() as conn:
        done = await conn.execute(
            "INSERT INTO jobs (kind, payload, state, progress, error, created_at)"
            " SELECT 'webhook', jsonb_build_object('webhook', id, 'receipt', $2::text,"
            " 'attempt', 1), 'queued', 0, '', now() FROM webhooks"
            " WHERE survey_id = $1 AND active",
            definition.id,
            receipt,
        )
    return int(done.split()[-1])


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
        hook = await conn.fetchrow(
            "SELECT w.url, w.secret, s.slug FROM webhooks w JOIN surveys s ON s.id = w.survey_id"
            " WHERE w.id = $1 AND w.active",
            webhook_id,
        )
        row = await conn.fetchrow(
            "SELECT id, answers, language, channel, submitted_at FROM responses WHERE receipt = $1",
            receipt,
        )
        # The log is the count of attempts: it stays right even if a worker died mid-way.
        attempt = 1 + await conn.fetchval(
            "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1 AND receipt = $2",
            webhook_id,
            receipt,
        )
    if hook is None or row is None:
        return  # Deleted meanwhile: nothing to send.
    body = json.dumps(
        {"event": "response.created", "survey": hook["slug"], "response": _response_item(row)},
        ensure_ascii=False,
    ).encode()
    timestamp = str(int(dt.datetime.now(dt.UTC).timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Parlons-Webhook/1",
        "X-Parlons-Event": "response.created",
        "X-Parlons-Delivery": str(uuid.uuid4()),
        "X-Parlons-Timestamp": timestamp,
        "X-Parlons-Signature": sign(hook["secret"], timestamp, body),
    }
    status, error = None, ""
    try:
        status = await asyncio.to_thread(_post, hook["url"], body, headers)
    except (OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    async with connection() as conn:
        await conn.execute(
            "INSERT INTO webhook_deliveries (webhook_id, receipt, attempt, status_code, error,"
            " created_at) VALUES ($1, $2, $3, $4, $5, now())",
            webhook_id,
            receipt,
            attempt,
            status,
            error,
        )
    if status is not None and 200 <= status < 300:
        return
    reason = error or f"HTTP {status}"
    if attempt <= len(RETRY_DELAYS):
        raise RetryLater(RETRY_DELAYS[attempt - 1], reason)
    raise WebhookFailed(f"{reason} (attempt {attempt}, the last)")


class WebhookFailed(Exception):
    """The last attempt to deliver a webhook failed; the job is recorded as failed."""
