"""Consultations of a citizen council: drafting, opening, publishing, what staff and members
see of them.

Closing and counting are in ``council_results``, ballots in ``council_ballots``, options in
``consultation_options``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from analysis.masking import mask_personal_data
from analysis.voting import METHODS
from survey.domain.councils import (
    NAME_MAX,
    STATEMENT_MAX,
    TEXT_MAX,
    InvalidForm,
    MemberRow,
    checked_text,
    error,
    get_council,
    list_members,
    log_event,
    member_rows,
)
from survey.domain.db import connection
from survey.domain.forms import FieldError
from survey.domain.queries import consultation_options as option_rows
from survey.domain.queries import consultations as queries
from survey.domain.queries import council_participations as participations
from survey.enums import ConsultationState, OptionStatus
from survey.errors import Conflict, Forbidden, NotFound
from survey.models.councils import AuditEntry, Consultation, ConsultationOption, Council, Member


def parse_count(text: str) -> int | None:
    """A count typed as digits (spaces allowed), else ``None``."""
    text = text.strip().replace(" ", "")
    return int(text) if text.isdigit() and len(text) < 10 else None


def parse_amount(text: str) -> float | None:
    """A positive amount typed as ``12 500``, ``12500,50`` or ``12500.5``."""
    cleaned = text.strip().replace("\u202f", "").replace(" ", "").replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if 0 < value < 1e12 else None


@dataclass(frozen=True)
class ConsultationDraft:
    """A new consultation as staff describe it. ``quorum`` and ``budget`` are ``None`` when
    what was typed is not a number; moments are instants (typed in the instance's zone)."""

    title: str
    method: str
    description: str = ""
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None
    quorum: int | None = 0
    secret: bool = False
    allow_change: bool = False
    budget: float | None = None


def draft_errors(draft: ConsultationDraft) -> dict[str, FieldError]:
    """What is wrong with a draft, by field; empty when it may be created."""
    errors: dict[str, FieldError] = {}
    checked_text(draft.title, "title", errors, required=True, limit=NAME_MAX)
    checked_text(draft.description, "description", errors, required=False, limit=TEXT_MAX)
    voting = METHODS.get(draft.method)
    if voting is None:
        errors["method"] = error("council.method_invalid")
    if draft.opens_at and draft.closes_at and draft.closes_at <= draft.opens_at:
        errors["closes_at"] = error("council.dates_order")
    if draft.quorum is None or draft.quorum < 0:
        errors["quorum"] = error("council.quorum_invalid")
    if voting is not None and voting.costs and draft.budget is None:
        errors["budget"] = error("council.budget_invalid")
    return errors


async def create_consultation(
    council_id: int, draft: ConsultationDraft, *, actor: str
) -> Consultation:
    """Create a draft consultation; every field error is reported at once."""
    council = await get_council(council_id)
    errors = draft_errors(draft)
    if errors:
        raise InvalidForm(errors)
    consultation = await Consultation.create(
        council_id=council.id,
        title=draft.title.strip(),
        description=draft.description.strip(),
        method=draft.method,
        opens_at=draft.opens_at,
        closes_at=draft.closes_at,
        quorum=draft.quorum or 0,
        secret=draft.secret,
        allow_change=draft.allow_change,
        budget=draft.budget if METHODS[draft.method].costs else None,
    )
    async with connection() as conn:
        await log_event(
            conn,
            council.id,
            "consultation_created",
            actor=actor,
            consultation_id=consultation.id,
            details={
                "title": consultation.title,
                "method": draft.method,
                "secret": consultation.secret,
                "allow_change": consultation.allow_change,
                "quorum": consultation.quorum,
            },
        )
    return consultation


async def get_consultation(council_id: int, consultation_id: int) -> Consultation:
    """A consultation of ``council_id`` (another council's is not found)."""
    consultation = await Consultation.get_or_none(id=consultation_id, council_id=council_id)
    if consultation is None:
        raise NotFound("council.consultation_not_found")
    return consultation


async def list_consultations(council_id: int) -> list[dict[str, Any]]:
    """The council's consultations with their ballot counts (one grouped query)."""
    return [r._asdict() for r in await queries.with_ballot_counts(council_id)]


async def list_options(consultation_id: int, *, approved_only: bool = True) -> list[Any]:
    """A consultation's options in ballot order; their quotes masked for display."""
    query = ConsultationOption.filter(consultation_id=consultation_id)
    if approved_only:
        query = query.filter(status=OptionStatus.APPROVED)
    options = await query.order_by("position", "id")
    for option in options:
        # Residents' words go through the same masking as every other display; the objects
        # are only read (changes to options are written by SQL below).
        option.quotes = [mask_personal_data(str(q)) for q in option.quotes]
    return options


async def follow_need_names(conn: asyncpg.Connection, consultation_id: int) -> None:
    """Give a draft's options made from needs the needs' current (reviewed) names."""
    await option_rows.follow_need_names(conn, consultation_id, STATEMENT_MAX)


def check_editable(consultation: Consultation, *, while_open: bool = False) -> None:
    if consultation.state == ConsultationState.CLOSED:
        raise Conflict("council.closed_no_edit")
    if consultation.state == ConsultationState.OPEN and not while_open:
        raise Conflict("council.open_no_edit")


@dataclass(frozen=True)
class Tally:
    """Participation so far: ballots (online and paper) against active members."""

    ballots: int
    paper: int
    members: int


async def count_participation(consultation: Consultation) -> Tally:
    row = await participations.turnout(consultation.id, consultation.council_id)
    return Tally(ballots=row.ballots, paper=row.paper, members=row.members)


async def audit_log(consultation_id: int) -> list[AuditEntry]:
    return await AuditEntry.filter(consultation_id=consultation_id).order_by("at", "id")


async def open_consultation(council_id: int, consultation_id: int, *, actor: str) -> None:
    """Open a draft consultation for voting (refused without options)."""
    consultation = await get_consultation(council_id, consultation_id)
    if consultation.state != ConsultationState.DRAFT:
        raise Conflict("council.not_draft")
    async with connection() as conn, conn.transaction():
        # The ballot opens with the needs' names of now; later renames leave it alone.
        await follow_need_names(conn, consultation.id)
        options = await option_rows.approved_count(conn, consultation.id)
        if options < METHODS[consultation.method].min_options:
            raise Conflict("council.needs_options")
        if not await queries.open_draft(conn, consultation.id):
            raise Conflict("council.not_draft")
        await log_event(
            conn,
            council_id,
            "opened",
            actor=actor,
            consultation_id=consultation.id,
            details={"options": options},
        )


async def publish_results(council_id: int, consultation_id: int, *, actor: str) -> None:
    """Make the frozen results public at ``/c/results/{id}``."""
    consultation = await get_consultation(council_id, consultation_id)
    if consultation.state != ConsultationState.CLOSED:
        raise Conflict("council.not_closed")
    async with connection() as conn, conn.transaction():
        await queries.publish(conn, consultation.id)
        await log_event(conn, council_id, "published", actor=actor, consultation_id=consultation.id)


async def member_consultations(member: Member) -> list[dict[str, Any]]:
    """The member's council's consultations open now, and the published ones, with whether
    the member has voted."""
    return [r._asdict() for r in await queries.for_member(member.council_id, member.id)]


@dataclass(frozen=True)
class CouncilOverview:
    council: Council
    members: list[Member]
    consultations: list[dict[str, Any]]
    # The members with the labels of their answers, when asked for in a language.
    member_rows: list[MemberRow] = field(default_factory=list)


async def council_overview(council_id: int, *, language: str | None = None) -> CouncilOverview:
    """A council with its active members and its consultations (and, given a ``language``,
    the members as staff read them)."""
    council = await get_council(council_id)
    members = await list_members(council.id)
    return CouncilOverview(
        council=council,
        members=members,
        consultations=await list_consultations(council.id),
        member_rows=await member_rows(council.id, members, language) if language else [],
    )


@dataclass(frozen=True)
class ConsultationOverview:
    council: Council
    consultation: Consultation
    options: list[ConsultationOption]
    pending: list[ConsultationOption]
    tally: Tally
    audit: list[AuditEntry]
    members: list[Member]


async def consultation_overview(council_id: int, consultation_id: int) -> ConsultationOverview:
    """Everything the staff page of a consultation shows."""
    council = await get_council(council_id)
    consultation = await get_consultation(council.id, consultation_id)
    if consultation.state == ConsultationState.DRAFT:
        async with connection() as conn:
            await follow_need_names(conn, consultation.id)
    every = await list_options(consultation.id, approved_only=False)
    return ConsultationOverview(
        council=council,
        consultation=consultation,
        options=[o for o in every if o.status == OptionStatus.APPROVED],
        pending=[o for o in every if o.status == OptionStatus.PENDING],
        tally=await count_participation(consultation),
        audit=await audit_log(consultation.id),
        members=await list_members(council.id),
    )


@dataclass(frozen=True)
class BallotContext:
    consultation: Consultation
    options: list[ConsultationOption]
    voting: bool
    voted: bool


async def ballot_context(member: Member, consultation_id: int) -> BallotContext:
    """The consultation a member is about to vote in; another council's is refused."""
    consultation = await Consultation.get_or_none(id=consultation_id)
    if consultation is None:
        raise NotFound("council.consultation_not_found")
    if consultation.council_id != member.council_id:
        raise Forbidden("vote.not_your_council")
    if consultation.state == ConsultationState.DRAFT:
        raise NotFound("council.consultation_not_found")
    now = dt.datetime.now(dt.UTC)
    voting = (
        consultation.state == ConsultationState.OPEN
        and (consultation.opens_at is None or consultation.opens_at <= now)
        and (consultation.closes_at is None or consultation.closes_at > now)
    )
    return BallotContext(
        consultation=consultation,
        options=await list_options(consultation.id),
        voting=voting,
        voted=await participations.has_voted(member.id, consultation.id),
    )
