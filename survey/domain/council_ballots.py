"""Ballots: reading a ballot form for each method, casting it once, paper ballots, receipts.

One ballot per member and consultation is enforced by the unique constraint on
``council_participations``; a secret ballot row carries no member, no timestamp and a random
key, so nothing in the database ties it to its voter. The receipt is a hash of the ballot's
content with a random salt, listed on the published results so each voter can find theirs.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from survey.domain.councils import InvalidForm, log_event
from survey.domain.db import connection
from survey.domain.forms import FieldError, RawForm
from survey.enums import Channel
from survey.errors import Conflict, Forbidden, NotFound
from survey.models.councils import VotingMethod

# Grade index 6 is "Excellent", 0 is "À rejeter", as in ``analysis.voting``.
GRADES = tuple(range(7))
STATEMENT_VOTES = {"agree": 1, "disagree": -1, "pass": 0}
Marks = dict[int, int]

_CONSULTATION_FOR_VOTE = """
SELECT council_id, secret, allow_change,
       state = 'open' AND (opens_at IS NULL OR opens_at <= now())
       AND (closes_at IS NULL OR closes_at > now()) AS voting
FROM consultations WHERE id = $1 FOR SHARE
"""


def _first(raw: RawForm, name: str) -> str:
    values = raw.get(name) or [""]
    return values[0].strip()


def format_amount(value: float) -> str:
    """An amount with a thin space between thousands, no decimals when whole."""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return text.replace(",", "\u202f")


def parse_ballot(
    method: str,
    options: Sequence[Any],
    raw: RawForm,
    *,
    budget: float | None = None,
) -> tuple[Marks, dict[str, FieldError]]:
    """Marks (option id → value) from a ballot form, or errors keyed by form field.

    Majority judgment: ``g_<id>`` = grade 0..6, every option graded. Approval and budget:
    ``a`` = approved option ids (a budget ballot may not cost more than the budget). Ranked:
    ``r_<id>`` = rank 1..n, ties allowed, unranked options left empty, at least one ranked.
    Statements: ``s_<id>`` = agree, disagree or pass; at least one statement answered.
    """
    ids = [int(o.id) for o in options]
    marks: Marks = {}
    errors: dict[str, FieldError] = {}
    if method == VotingMethod.MAJORITY_JUDGMENT:
        for option_id in ids:
            text = _first(raw, f"g_{option_id}")
            if not text:
                errors[f"g_{option_id}"] = FieldError("vote.grade_missing", {})
            elif not text.isdigit() or int(text) not in GRADES:
                errors[f"g_{option_id}"] = FieldError("vote.grade_unknown", {})
            else:
                marks[option_id] = int(text)
    elif method in (VotingMethod.APPROVAL, VotingMethod.BUDGET):
        for text in raw.get("a", []):
            if not text.isdigit() or int(text) not in ids:
                errors["a"] = FieldError("vote.option_unknown", {})
                break
            marks[int(text)] = 1
        if method == VotingMethod.BUDGET and "a" not in errors and budget is not None:
            cost = sum(float(o.cost or 0) for o in options if o.id in marks)
            if cost > budget * (1 + 1e-9):
                errors["a"] = FieldError(
                    "vote.over_budget",
                    {"total": format_amount(cost), "budget": format_amount(budget)},
                )
    elif method == VotingMethod.RANKED:
        for option_id in ids:
            text = _first(raw, f"r_{option_id}")
            if not text:
                continue
            if not text.isdigit() or not 1 <= int(text) <= len(ids):
                errors[f"r_{option_id}"] = FieldError("vote.rank_invalid", {"n": len(ids)})
            else:
                marks[option_id] = int(text)
        if not marks and not errors:
            errors["ranks"] = FieldError("vote.rank_none", {})
    elif method == VotingMethod.STATEMENTS:
        for option_id in ids:
            text = _first(raw, f"s_{option_id}")
            if not text:
                continue
            if text not in STATEMENT_VOTES:
                errors[f"s_{option_id}"] = FieldError("vote.choice_invalid", {})
            else:
                marks[option_id] = STATEMENT_VOTES[text]
        if not marks and not errors:
            errors["statements"] = FieldError("vote.statement_none", {})
    else:
        raise ValueError(f"unknown method {method!r}")
    return marks, errors


def ballot_receipt(consultation_id: int, marks: Mapping[int, int], salt: str) -> str:
    """Hash of the ballot content with its salt: 16 hex digits shown to the voter."""
    content = json.dumps(
        {"consultation": consultation_id, "marks": sorted(marks.items())}, separators=(",", ":")
    )
    return hashlib.sha256((salt + content).encode()).hexdigest()[:16]


async def _insert_ballot(
    conn: asyncpg.Connection,
    consultation_id: int,
    marks: Mapping[int, int],
    *,
    member_id: int | None,
    channel: Channel,
) -> str:
    option_ids = list(marks)
    known = await conn.fetchval(
        "SELECT count(*) FROM consultation_options WHERE consultation_id = $1"
        " AND status = 'approved' AND id = ANY($2::int[])",
        consultation_id,
        option_ids,
    )
    if known != len(option_ids):
        raise Conflict("vote.options_changed")
    salt = secrets.token_hex(16)
    receipt = ballot_receipt(consultation_id, marks, salt)
    ballot_id = await conn.fetchval(
        "INSERT INTO council_ballots (consultation_id, member_id, receipt, salt, channel,"
        " cast_at) VALUES ($1, $2, $3, $4, $5, CASE WHEN $2::int IS NULL THEN NULL"
        " ELSE now() END) RETURNING id",
        consultation_id,
        member_id,
        receipt,
        salt,
        str(channel),
    )
    await conn.executemany(
        "INSERT INTO council_marks (ballot_id, option_id, value) VALUES ($1, $2, $3)",
        [(ballot_id, option_id, value) for option_id, value in marks.items()],
    )
    return receipt


async def cast_ballot(
    member_id: int,
    council_id: int,
    consultation_id: int,
    marks: Mapping[int, int],
    *,
    held_receipt: str | None = None,
) -> str:
    """Store a member's ballot and return its receipt.

    Refused after closing, from another council, or for a second ballot unless changes are
    allowed; a change replaces the earlier ballot in the same transaction. A secret ballot
    can only be found again through the receipt its voter holds (``held_receipt``).
    """
    async with connection() as conn, conn.transaction():
        # FOR SHARE: closing (FOR UPDATE) waits for ballots in flight and vice versa.
        row = await conn.fetchrow(_CONSULTATION_FOR_VOTE, consultation_id)
        if row is None:
            raise NotFound("council.consultation_not_found")
        if row["council_id"] != council_id:
            raise Forbidden("vote.not_your_council")
        if not row["voting"]:
            raise Conflict("vote.closed")
        voted = await conn.fetchrow(
            "SELECT id, channel FROM council_participations WHERE consultation_id = $1"
            " AND member_id = $2 FOR UPDATE",
            consultation_id,
            member_id,
        )
        if voted is not None:
            if not row["allow_change"] or voted["channel"] != Channel.WEB:
                raise Conflict("vote.already_voted")
            if row["secret"]:
                done = await conn.execute(
                    "DELETE FROM council_ballots WHERE consultation_id = $1 AND receipt = $2"
                    " AND member_id IS NULL AND channel = 'web'",
                    consultation_id,
                    held_receipt or "",
                )
            else:
                done = await conn.execute(
                    "DELETE FROM council_ballots WHERE consultation_id = $1 AND member_id = $2",
                    consultation_id,
                    member_id,
                )
            if done.endswith(" 0"):
                raise Conflict("vote.receipt_needed")
            await conn.execute(
                "UPDATE council_participations SET voted_at = now() WHERE id = $1", voted["id"]
            )
        else:
            try:
                async with conn.transaction():
                    await conn.execute(
                        "INSERT INTO council_participations (consultation_id, member_id,"
                        " channel) VALUES ($1, $2, 'web')",
                        consultation_id,
                        member_id,
                    )
            except asyncpg.UniqueViolationError as exc:  # The same member, twice at once.
                raise Conflict("vote.already_voted") from exc
        return await _insert_ballot(
            conn,
            consultation_id,
            marks,
            member_id=None if row["secret"] else member_id,
            channel=Channel.WEB,
        )


async def record_paper_ballot(
    council_id: int,
    consultation_id: int,
    member_id: int | None,
    marks: Mapping[int, int],
    *,
    actor: str,
) -> str:
    """Staff type in a paper ballot and tick off the member who handed it in.

    Refused when that member already voted, and whenever it would make more ballots than
    active members; the consultation must be open (a paper count may follow the closing date).
    """
    if member_id is None:
        raise InvalidForm({"member": FieldError("council.member_required", {})})
    async with connection() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT council_id, state, secret FROM consultations WHERE id = $1 FOR UPDATE",
            consultation_id,
        )
        if row is None or row["council_id"] != council_id:
            raise NotFound("council.consultation_not_found")
        if row["state"] != "open":
            raise Conflict("council.paper_not_open")
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM council_members WHERE council_id = $1 AND active)"
            "   AS members,"
            " (SELECT count(*) FROM council_participations WHERE consultation_id = $2) AS ballots,"
            " EXISTS (SELECT 1 FROM council_members WHERE id = $3 AND council_id = $1"
            "         AND active) AS is_member",
            council_id,
            consultation_id,
            member_id,
        )
        if not counts["is_member"]:
            raise InvalidForm({"member": FieldError("council.member_required", {})})
        if counts["ballots"] >= counts["members"]:
            raise Conflict("council.too_many_ballots")
        try:
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO council_participations (consultation_id, member_id, channel)"
                    " VALUES ($1, $2, 'paper')",
                    consultation_id,
                    member_id,
                )
        except asyncpg.UniqueViolationError as exc:
            raise InvalidForm({"member": FieldError("council.member_voted", {})}) from exc
        receipt = await _insert_ballot(
            conn,
            consultation_id,
            marks,
            member_id=None if row["secret"] else member_id,
            channel=Channel.PAPER,
        )
        await log_event(
            conn,
            council_id,
            "paper_ballot",
            actor=actor,
            consultation_id=consultation_id,
            details={"member": member_id},
        )
    return receipt


async def has_voted(member_id: int, consultation_id: int) -> bool:
    async with connection() as conn:
        return bool(
            await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM council_participations WHERE member_id = $1"
                " AND consultation_id = $2)",
                member_id,
                consultation_id,
            )
        )


async def named_ballot_marks(member_id: int, consultation_id: int) -> Marks:
    """A member's own named ballot, to show it again when they change their vote."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT m.option_id, m.value FROM council_marks m"
            " JOIN council_ballots b ON b.id = m.ballot_id"
            " WHERE b.consultation_id = $1 AND b.member_id = $2",
            consultation_id,
            member_id,
        )
    return {r["option_id"]: r["value"] for r in rows}
