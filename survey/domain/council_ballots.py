"""Ballots: reading a ballot form for each method, casting it once, paper ballots, receipts.

A secret ballot must not be linkable to its voter by anyone who reads the database or a
dump of it: no column, system column (``xmin``, ``ctid``), row order, key, timestamp or
sequence value may pair a ballot with a member better than chance. The design:

- *Who* and *what* live apart. ``council_participations`` says who voted (one row per member
  and consultation, whose unique constraint is the single-ballot guarantee); it holds no
  time and a random key. A secret ballot accepted while voting is open is stored at once
  (never lost across restarts) in ``council_ballot_pool``: its marks as JSON, its receipt,
  no member, no channel, no time, a random key.
- Nothing keeps the order of arrival. A ballot cast (online or on paper) first locks the
  consultation's row, so ballots of one consultation are written one at a time, then deletes
  and writes back *all* the consultation's participations and pending ballots in an order
  drawn with ``secrets``: every one of these rows then carries the same ``xmin`` (this
  transaction's, which takes no savepoint: a savepoint would give its rows their own
  increasing id), their keys are new random UUIDs and their physical order (``ctid``, the
  order ``pg_dump`` writes) is a fresh random permutation. A member's participation row is
  thus no more recent than anyone else's, and the newest pending ballot no more recent than
  the others. This costs a rewrite of two rows per voter at each ballot: fine for councils
  of hundreds.
- At closing, the closing transaction moves the pool into ``council_ballots`` and
  ``council_marks`` in another random order (one ``xmin`` for all), then counts them.
- The receipt is a hash of the ballot's content with a random salt, shown to the voter and
  listed on the published results, so each voter can check that their ballot was counted.
- Changing a secret ballot (when the consultation allows it) needs its receipt *and* the
  change code given with it: 84 random bits (``access_codes``) held by the voter's session
  and by the voter. The pending ballot stores only ``HMAC-SHA256(key=code,
  "consultation:member")``: without the code it is a random value that no join can match to
  a member, and with a stolen receipt and code another member still computes another value
  and is refused. Changes end at closing, so a ballot that can be changed is always in the
  pool.

What this does not hide: someone who reads the database both just before and just after one
ballot (two dumps, the write-ahead log, a replica, statement logs) sees which pending ballot
appeared; dead row versions stay in the table files until vacuum; staff who type a paper
ballot see it. Named ballots (not secret) carry their member, channel and time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from analysis.voting import METHODS
from analysis.voting.base import BallotOption
from survey.domain.access_codes import new_change_code, normalise_change_code
from survey.domain.councils import InvalidForm, log_event
from survey.domain.db import connection
from survey.domain.forms import FieldError, RawForm
from survey.domain.queries import (
    consultation_options,
    consultations,
    council_ballot_pool,
    council_ballots,
    council_participations,
)
from survey.enums import Channel
from survey.errors import Conflict, Forbidden, NotFound

Marks = dict[int, int]


def parse_ballot(
    method: str,
    options: Sequence[Any],
    raw: RawForm,
    *,
    budget: float | None = None,
) -> tuple[Marks, dict[str, FieldError]]:
    """Marks (option id → value) from a ballot form, or errors keyed by form field, as the
    consultation's voting method reads them."""
    reader = METHODS.get(method)
    if reader is None:
        raise ValueError(f"unknown method {method!r}")
    marks, errors = reader.parse(
        [BallotOption(int(o.id), o.cost) for o in options], raw, budget=budget
    )
    return marks, {name: FieldError(e.key, e.params) for name, e in errors.items()}


def ballot_receipt(consultation_id: int, marks: Mapping[int, int], salt: str) -> str:
    """Hash of the ballot content with its salt: 16 hex digits shown to the voter."""
    content = json.dumps(
        {"consultation": consultation_id, "marks": sorted(marks.items())}, separators=(",", ":")
    )
    return hashlib.sha256((salt + content).encode()).hexdigest()[:16]


def change_key(code: str, consultation_id: int, member_id: int) -> str:
    """The keyed hash stored with a secret ballot: it opens to its voter's code only."""
    message = f"{consultation_id}:{member_id}".encode()
    return hmac.new(normalise_change_code(code).encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class CastBallot:
    """What the voter takes away: the receipt, and for a secret ballot that may be changed
    the code that changing it needs."""

    receipt: str
    change_code: str | None = None


async def _check_options(
    conn: asyncpg.Connection, consultation_id: int, marks: Mapping[int, int]
) -> None:
    option_ids = list(marks)
    known = await consultation_options.count_approved(conn, consultation_id, option_ids)
    if known != len(option_ids):
        raise Conflict("vote.options_changed")


async def _insert_named_ballot(
    conn: asyncpg.Connection,
    consultation_id: int,
    marks: Mapping[int, int],
    *,
    member_id: int,
    channel: Channel,
) -> str:
    await _check_options(conn, consultation_id, marks)
    salt = secrets.token_hex(16)
    receipt = ballot_receipt(consultation_id, marks, salt)
    ballot_id = await council_ballots.insert_named(
        conn, consultation_id, member_id, receipt=receipt, salt=salt, channel=str(channel)
    )
    await council_ballots.insert_marks(
        conn, [(ballot_id, option_id, value) for option_id, value in marks.items()]
    )
    return receipt


async def _add_pending_ballot(
    conn: asyncpg.Connection,
    consultation_id: int,
    marks: Mapping[int, int],
    *,
    key: str | None,
) -> str:
    await _check_options(conn, consultation_id, marks)
    salt = secrets.token_hex(16)
    receipt = ballot_receipt(consultation_id, marks, salt)
    await council_ballot_pool.insert(
        conn,
        consultation_id,
        receipt=receipt,
        salt=salt,
        marks=json.dumps({str(k): v for k, v in marks.items()}),
        change_key=key,
    )
    return receipt


_shuffler = secrets.SystemRandom()


async def _rewrite_in_random_order(conn: asyncpg.Connection, consultation_id: int) -> None:
    """Write the consultation's participations and pending ballots again, shuffled: one
    ``xmin`` for all, new random keys, a new physical order (see the module docstring)."""
    people = await council_participations.take_all(conn, consultation_id)
    pending = await council_ballot_pool.take_all(conn, consultation_id)
    _shuffler.shuffle(people)
    _shuffler.shuffle(pending)
    await council_participations.insert_in_order(conn, consultation_id, people)
    await council_ballot_pool.insert_in_order(conn, consultation_id, pending)


async def count_pending_ballots(conn: asyncpg.Connection, consultation_id: int) -> int:
    """Move the pool into the counted ballots in a random order (inside the closing
    transaction); returns how many moved."""
    pending = await council_ballot_pool.take_contents(conn, consultation_id)
    if not pending:
        return 0
    _shuffler.shuffle(pending)
    ids = [uuid.uuid4() for _ in pending]
    await council_ballots.insert_counted(
        conn, consultation_id, ids, [b.receipt for b in pending], [b.salt for b in pending]
    )
    await council_ballots.copy_marks(
        conn,
        [
            (ballot_id, int(option_id), int(value))
            for ballot_id, b in zip(ids, pending, strict=True)
            for option_id, value in json.loads(b.marks).items()
        ],
    )
    return len(pending)


async def cast_ballot(
    member_id: int,
    council_id: int,
    consultation_id: int,
    marks: Mapping[int, int],
    *,
    proof: tuple[str, str] | None = None,
) -> CastBallot:
    """Store a member's ballot; return its receipt (and change code).

    Refused after closing, from another council, or for a second ballot unless changes are
    allowed; a change replaces the earlier ballot in the same transaction. A secret ballot
    is only changed by its own voter, who shows its receipt and change code (``proof``).
    """
    try:
        return await _cast_ballot(member_id, council_id, consultation_id, marks, proof)
    except asyncpg.UniqueViolationError as exc:  # Only if two writers got past the lock.
        raise Conflict("vote.already_voted") from exc


async def _cast_ballot(
    member_id: int,
    council_id: int,
    consultation_id: int,
    marks: Mapping[int, int],
    proof: tuple[str, str] | None,
) -> CastBallot:
    async with connection() as conn, conn.transaction():
        # The row lock: one ballot at a time per consultation, and closing waits for them.
        target = await consultations.lock_for_vote(conn, consultation_id)
        if target is None:
            raise NotFound("council.consultation_not_found")
        if target.council_id != council_id:
            raise Forbidden("vote.not_your_council")
        if not target.voting:
            raise Conflict("vote.closed")
        secret = target.secret
        voted = await council_participations.channel_of(conn, consultation_id, member_id)
        if voted is not None:
            if not target.allow_change or voted != Channel.WEB:
                raise Conflict("vote.already_voted")
            if secret:
                await _remove_own_pending_ballot(conn, consultation_id, member_id, proof)
            else:
                await council_ballots.delete_named(conn, consultation_id, member_id)
        else:
            await council_participations.add_web(conn, consultation_id, member_id)
        if not secret:
            receipt = await _insert_named_ballot(
                conn, consultation_id, marks, member_id=member_id, channel=Channel.WEB
            )
            return CastBallot(receipt)
        code = new_change_code() if target.allow_change else None
        key = change_key(code, consultation_id, member_id) if code else None
        receipt = await _add_pending_ballot(conn, consultation_id, marks, key=key)
        await _rewrite_in_random_order(conn, consultation_id)
        return CastBallot(receipt, code)


async def _remove_own_pending_ballot(
    conn: asyncpg.Connection,
    consultation_id: int,
    member_id: int,
    proof: tuple[str, str] | None,
) -> None:
    receipt, code = proof or ("", "")
    receipt = receipt.strip().lower()[:16]
    if not receipt or not normalise_change_code(code):
        raise Conflict("vote.receipt_needed")
    if not await council_ballot_pool.delete_own(
        conn, consultation_id, receipt, change_key(code, consultation_id, member_id)
    ):
        raise Conflict("vote.change_refused")


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
        target = await consultations.lock_for_paper(conn, consultation_id)
        if target is None or target.council_id != council_id:
            raise NotFound("council.consultation_not_found")
        if target.state != "open":
            raise Conflict("council.paper_not_open")
        check = await council_participations.paper_check(
            conn, council_id, consultation_id, member_id
        )
        if not check.is_member:
            raise InvalidForm({"member": FieldError("council.member_required", {})})
        if check.voted:
            raise InvalidForm({"member": FieldError("council.member_voted", {})})
        if check.ballots >= check.members:
            raise Conflict("council.too_many_ballots")
        await council_participations.add_paper(conn, consultation_id, member_id)
        if target.secret:
            receipt = await _add_pending_ballot(conn, consultation_id, marks, key=None)
            await _rewrite_in_random_order(conn, consultation_id)
        else:
            receipt = await _insert_named_ballot(
                conn, consultation_id, marks, member_id=member_id, channel=Channel.PAPER
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
    return await council_participations.has_voted(member_id, consultation_id)


async def named_ballot_marks(member_id: int, consultation_id: int) -> Marks:
    """A member's own named ballot, to show it again when they change their vote."""
    return await council_ballots.named_marks(member_id, consultation_id)
