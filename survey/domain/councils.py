"""Citizen councils: councils, members and their access, consultations and their options.

Form validation returns keyed errors per field (``InvalidForm``) so pages can show each
message next to its field; state changes write an audit entry in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from analysis.masking import mask_personal_data
from analysis.voting import METHODS
from survey.domain.access_codes import is_well_formed, new_code, normalise_code
from survey.domain.db import connection
from survey.domain.definitions import QuestionDef, get_definition
from survey.domain.forms import FieldError
from survey.enums import QuestionKind
from survey.errors import Conflict, Forbidden, NotFound, SurveyError
from survey.i18n import pick
from survey.models.councils import (
    AuditEntry,
    Consultation,
    ConsultationOption,
    ConsultationState,
    Council,
    Member,
    OptionStatus,
)

NAME_MAX = 200
TEXT_MAX = 5000
STATEMENT_MAX = 300
_EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]{2,}$")
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 .()-]{7,18}[0-9]$")
_STRATUM_RE = re.compile(r"^[a-z0-9_]{1,32}$")


class InvalidForm(SurveyError):
    """Some fields of a staff or member form are invalid; ``errors`` maps field → error."""

    status = 422

    def __init__(self, errors: dict[str, FieldError]) -> None:
        super().__init__("council.form_errors", n=len(errors))
        self.errors = errors


def _error(key: str, **params: Any) -> FieldError:
    return FieldError(key, params)


async def log_event(
    conn: asyncpg.Connection,
    council_id: int,
    action: str,
    *,
    actor: str,
    consultation_id: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Write one audit entry (inside the caller's transaction)."""
    await conn.execute(
        "INSERT INTO council_audit (council_id, consultation_id, actor, action, details)"
        " VALUES ($1, $2, $3, $4, $5::jsonb)",
        council_id,
        consultation_id,
        actor,
        action,
        json.dumps(dict(details or {}), ensure_ascii=False, default=str),
    )


# ---------------------------------------------------------------------------- councils


async def list_councils() -> list[dict[str, Any]]:
    """Every council with its member and consultation counts (one grouped query)."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT c.id, c.name, c.description,"
            " (SELECT count(*) FROM council_members m WHERE m.council_id = c.id AND m.active)"
            "   AS members,"
            " (SELECT count(*) FROM consultations k WHERE k.council_id = c.id) AS consultations"
            " FROM councils c ORDER BY c.created_at DESC, c.id DESC"
        )
    return [dict(r) for r in rows]


def _clean_text(
    form: Mapping[str, str],
    name: str,
    errors: dict[str, FieldError],
    *,
    required: bool,
    limit: int,
) -> str:
    value = form.get(name, "").strip()
    if required and not value:
        errors[name] = _error("council.required")
    elif len(value) > limit:
        errors[name] = _error("council.too_long", max=limit)
    return value


async def create_council(form: Mapping[str, str], *, actor: str) -> Council:
    """Create a council from its form (``name``, ``description``)."""
    errors: dict[str, FieldError] = {}
    name = _clean_text(form, "name", errors, required=True, limit=NAME_MAX)
    description = _clean_text(form, "description", errors, required=False, limit=TEXT_MAX)
    if errors:
        raise InvalidForm(errors)
    council = await Council.create(name=name, description=description)
    async with connection() as conn:
        await log_event(conn, council.id, "council_created", actor=actor, details={"name": name})
    return council


async def get_council(council_id: int) -> Council:
    council = await Council.get_or_none(id=council_id)
    if council is None:
        raise NotFound("council.not_found")
    return council


def natural_key(text: str) -> tuple[str | int, ...]:
    """Sort key that reads numbers as numbers: "n° 2" before "n° 10"."""
    parts = re.split(r"(\d+)", text.casefold())
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts))


async def list_members(council_id: int) -> list[Member]:
    """Active members, by name in natural order (Volontaire n° 2 before n° 10)."""
    members = await Member.filter(council_id=council_id, active=True)
    return sorted(members, key=lambda m: (natural_key(m.name), m.id))


@dataclass(frozen=True)
class MemberRow:
    """A member as listed to staff: territory and strata by their labels in the survey."""

    member: Member
    territory: str
    # (question, value, from a survey): the question's text and the choice's label when a
    # draw's survey asks it, else the key and the value as typed by staff.
    strata: list[tuple[str, str, bool]]


async def _strata_questions(council_id: int) -> dict[str, QuestionDef]:
    """The stratification questions of the surveys this council was drawn from (latest
    draw first), by question code."""
    async with connection() as conn:
        slugs = await conn.fetch(
            "SELECT s.slug FROM sortition_draws d JOIN surveys s ON s.id = d.survey_id"
            " WHERE d.council_id = $1 GROUP BY s.slug ORDER BY max(d.id) DESC",
            council_id,
        )
    questions: dict[str, QuestionDef] = {}
    for row in slugs:
        definition = await get_definition(row["slug"])
        for question in definition.questions:
            questions.setdefault(question.code, question)
    return questions


async def member_rows(council_id: int, members: list[Member], language: str) -> list[MemberRow]:
    """Members with the labels of their answers ("Bissy", not ``bissy``) in ``language``."""
    questions = await _strata_questions(council_id)
    territory = next((q for q in questions.values() if q.kind == QuestionKind.TERRITORY), None)

    def label(code: str, value: str) -> str:
        return questions[code].choice_label(value, language)

    rows = []
    for m in members:
        place = m.territory
        if territory is not None and place:
            place = territory.choice_label(place, language)
        rows.append(
            MemberRow(
                member=m,
                territory=place,
                strata=[
                    (pick(questions[k].text, language), label(k, v), True)
                    if k in questions
                    else (k, v, False)
                    for k, v in m.strata.items()
                ],
            )
        )
    return rows


def _strata(text: str, errors: dict[str, FieldError]) -> dict[str, str]:
    """``key=value`` lines (e.g. ``age=30-44``) into a dict."""
    strata: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        key = key.strip().lower()
        if not sep or not _STRATUM_RE.match(key) or not value.strip() or len(value) > 100:
            errors["strata"] = _error("council.strata_invalid")
            return {}
        strata[key] = value.strip()
    return strata


async def add_member(council_id: int, form: Mapping[str, str], *, actor: str) -> Member:
    """Add a member (name, optional e-mail/phone, territory, ``key=value`` strata lines)."""
    council = await get_council(council_id)
    errors: dict[str, FieldError] = {}
    name = _clean_text(form, "name", errors, required=True, limit=NAME_MAX)
    email = _clean_text(form, "email", errors, required=False, limit=254)
    if email and "email" not in errors and not _EMAIL_RE.match(email):
        errors["email"] = _error("council.email_invalid")
    phone = _clean_text(form, "phone", errors, required=False, limit=40)
    if phone and "phone" not in errors and not _PHONE_RE.match(phone):
        errors["phone"] = _error("council.phone_invalid")
    territory = _clean_text(form, "territory", errors, required=False, limit=100)
    strata = _strata(form.get("strata", ""), errors)
    if errors:
        raise InvalidForm(errors)
    return await _insert_member(
        council.id,
        name,
        email=email,
        phone=phone,
        territory=territory,
        strata=strata,
        actor=actor,
    )


async def insert_member(
    conn: asyncpg.Connection,
    council_id: int,
    name: str,
    *,
    email: str,
    phone: str,
    territory: str,
    strata: dict[str, str],
) -> int:
    """Add a member with a new link token and access code; return its id.

    Each attempt is a savepoint, so that a colliding access code (drawn at random) neither
    aborts an enclosing transaction nor fails the request: another code is drawn.
    """
    for _ in range(5):
        try:
            async with conn.transaction():
                return int(
                    await conn.fetchval(
                        "INSERT INTO council_members (council_id, name, email, phone, territory,"
                        " strata, token, code) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)"
                        " RETURNING id",
                        council_id,
                        name,
                        email,
                        phone,
                        territory,
                        json.dumps(strata, ensure_ascii=False),
                        secrets.token_urlsafe(32),
                        new_code(),
                    )
                )
        except asyncpg.UniqueViolationError:
            continue
    raise SurveyError("error.try_again")


async def _insert_member(
    council_id: int,
    name: str,
    *,
    email: str,
    phone: str,
    territory: str,
    strata: dict[str, str],
    actor: str,
) -> Member:
    async with connection() as conn, conn.transaction():
        member_id = await insert_member(
            conn, council_id, name, email=email, phone=phone, territory=territory, strata=strata
        )
        await log_event(
            conn, council_id, "member_added", actor=actor, details={"member": member_id}
        )
    return await Member.get(id=member_id)


async def remove_member(council_id: int, member_id: int, *, actor: str) -> None:
    """Take a member off the council; their past participation and ballots stay counted."""
    async with connection() as conn, conn.transaction():
        done = await conn.execute(
            "UPDATE council_members SET active = false WHERE id = $1 AND council_id = $2"
            " AND active",
            member_id,
            council_id,
        )
        if done.endswith(" 0"):
            raise NotFound("member.not_found")
        await log_event(
            conn, council_id, "member_removed", actor=actor, details={"member": member_id}
        )


# ---------------------------------------------------------------------- member access


async def member_by_code(code: str) -> Member | None:
    """The active member whose printed access code is ``code`` (spaces and dashes ignored)."""
    code = normalise_code(code)
    if not is_well_formed(code):
        return None
    return await Member.get_or_none(code=code, active=True)


async def member_by_token(token: str) -> Member | None:
    if not token or len(token) > 64:
        return None
    return await Member.get_or_none(token=token, active=True)


async def get_member(member_id: Any) -> Member | None:
    """The logged-in member, if still active."""
    if not isinstance(member_id, int):
        return None
    return await Member.get_or_none(id=member_id, active=True).select_related("council")


# ------------------------------------------------------------------------ consultations


def _parse_datetime(text: str) -> dt.datetime | None:
    """A ``datetime-local`` value (``2026-12-01T18:00``), read as UTC."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _parse_int(text: str) -> int | None:
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


async def create_consultation(
    council_id: int, form: Mapping[str, str], *, actor: str
) -> Consultation:
    """Create a draft consultation from its form; every field error is reported at once."""
    council = await get_council(council_id)
    errors: dict[str, FieldError] = {}
    title = _clean_text(form, "title", errors, required=True, limit=NAME_MAX)
    description = _clean_text(form, "description", errors, required=False, limit=TEXT_MAX)
    method = form.get("method", "")
    voting = METHODS.get(method)
    if voting is None:
        errors["method"] = _error("council.method_invalid")
    dates: dict[str, dt.datetime | None] = {}
    for name in ("opens_at", "closes_at"):
        text = form.get(name, "").strip()
        dates[name] = _parse_datetime(text) if text else None
        if text and dates[name] is None:
            errors[name] = _error("council.date_invalid")
    if dates["opens_at"] and dates["closes_at"] and dates["closes_at"] <= dates["opens_at"]:
        errors["closes_at"] = _error("council.dates_order")
    quorum_text = form.get("quorum", "").strip() or "0"
    quorum = _parse_int(quorum_text)
    if quorum is None:
        errors["quorum"] = _error("council.quorum_invalid")
    budget = None
    if voting is not None and voting.costs:
        budget = parse_amount(form.get("budget", ""))
        if budget is None:
            errors["budget"] = _error("council.budget_invalid")
    if errors:
        raise InvalidForm(errors)
    consultation = await Consultation.create(
        council_id=council.id,
        title=title,
        description=description,
        method=method,
        opens_at=dates["opens_at"],
        closes_at=dates["closes_at"],
        quorum=quorum or 0,
        secret=form.get("secret") == "1",
        allow_change=form.get("allow_change") == "1",
        budget=budget,
    )
    async with connection() as conn:
        await log_event(
            conn,
            council.id,
            "consultation_created",
            actor=actor,
            consultation_id=consultation.id,
            details={
                "title": title,
                "method": method,
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
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT k.id, k.title, k.method, k.state, k.published, k.opens_at, k.closes_at,"
            " count(p.id) AS ballots FROM consultations k"
            " LEFT JOIN council_participations p ON p.consultation_id = k.id"
            " WHERE k.council_id = $1 GROUP BY k.id ORDER BY k.created_at DESC, k.id DESC",
            council_id,
        )
    return [dict(r) for r in rows]


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


_FOLLOW_NEEDS = """
UPDATE consultation_options o SET title = left(coalesce(n.staff_label, n.label), $2)
FROM needs n, consultations k
WHERE o.consultation_id = $1 AND o.follows_need AND n.id = o.need_id
  AND k.id = o.consultation_id AND k.state = 'draft'
  AND o.title IS DISTINCT FROM left(coalesce(n.staff_label, n.label), $2)
"""


async def follow_need_names(conn: asyncpg.Connection, consultation_id: int) -> None:
    """Give a draft's options made from needs the needs' current (reviewed) names."""
    await conn.execute(_FOLLOW_NEEDS, consultation_id, STATEMENT_MAX)


def _check_editable(consultation: Consultation, *, while_open: bool = False) -> None:
    if consultation.state == ConsultationState.CLOSED:
        raise Conflict("council.closed_no_edit")
    if consultation.state == ConsultationState.OPEN and not while_open:
        raise Conflict("council.open_no_edit")


async def add_option(
    council_id: int, consultation_id: int, form: Mapping[str, str], *, actor: str
) -> ConsultationOption:
    """Add an option written by hand (title, description, cost for budgets)."""
    consultation = await get_consultation(council_id, consultation_id)
    voting = METHODS[consultation.method]
    is_statement = voting.proposals
    _check_editable(consultation, while_open=is_statement)
    errors: dict[str, FieldError] = {}
    limit = STATEMENT_MAX if is_statement else NAME_MAX
    title = _clean_text(form, "title", errors, required=True, limit=limit)
    description = _clean_text(form, "description", errors, required=False, limit=TEXT_MAX)
    cost = None
    if voting.costs:
        cost = parse_amount(form.get("cost", ""))
        if cost is None:
            errors["cost"] = _error("council.cost_invalid")
    if errors:
        raise InvalidForm(errors)
    created = await create_options(
        consultation, [(title, description, None)], costs=[cost], actor=actor
    )
    return created[0]


async def create_options(
    consultation: Consultation,
    items: Iterable[tuple[str, str, int | None]],
    *,
    costs: Iterable[float | None] | None = None,
    quotes: Iterable[list[str]] | None = None,
    actor: str,
) -> list[ConsultationOption]:
    """Add options from ``(label, description, need_id)`` items (needs or typed by hand)."""
    _check_editable(consultation, while_open=METHODS[consultation.method].proposals)
    rows = list(items)
    cost_list = list(costs) if costs is not None else [None] * len(rows)
    quote_list = list(quotes) if quotes is not None else [[] for _ in rows]
    created: list[int] = []
    async with connection() as conn, conn.transaction():
        start = await conn.fetchval(
            "SELECT coalesce(max(position) + 1, 0) FROM consultation_options"
            " WHERE consultation_id = $1",
            consultation.id,
        )
        for offset, ((label, description, need_id), cost, quoted) in enumerate(
            zip(rows, cost_list, quote_list, strict=True)
        ):
            created.append(
                await conn.fetchval(
                    "INSERT INTO consultation_options (consultation_id, position, title,"
                    " description, cost, need_id, quotes, follows_need) VALUES ($1, $2, $3, $4,"
                    " $5, $6, $7::jsonb, $6::int IS NOT NULL) RETURNING id",
                    consultation.id,
                    start + offset,
                    label[:STATEMENT_MAX],
                    description,
                    cost,
                    need_id,
                    json.dumps([mask_personal_data(q) for q in quoted], ensure_ascii=False),
                )
            )
        await log_event(
            conn,
            consultation.council_id,
            "options_added",
            actor=actor,  # type: ignore[attr-defined]
            consultation_id=consultation.id,
            details={"options": [r[0] for r in rows]},
        )
    return await ConsultationOption.filter(id__in=created).order_by("position")


async def get_option(
    council_id: int, consultation_id: int, option_id: int, *, masked: bool = False
) -> ConsultationOption:
    """An approved option of a consultation of ``council_id`` (quotes as stored, or masked
    for display)."""
    consultation = await get_consultation(council_id, consultation_id)
    option = await ConsultationOption.get_or_none(
        id=option_id, consultation_id=consultation.id, status=OptionStatus.APPROVED
    )
    if option is None:
        raise NotFound("council.option_not_found")
    if masked:
        option.quotes = [mask_personal_data(str(q)) for q in option.quotes]
    return option


async def need_name(option: ConsultationOption) -> str | None:
    """The current (reviewed) name of the need an option came from, if it still exists."""
    if option.need_id is None:
        return None
    async with connection() as conn:
        return await conn.fetchval(
            "SELECT left(coalesce(staff_label, label), $2) FROM needs WHERE id = $1",
            option.need_id,
            STATEMENT_MAX,
        )


async def update_option(
    council_id: int,
    consultation_id: int,
    option_id: int,
    form: Mapping[str, str],
    keep_quotes: Iterable[str],
    *,
    actor: str,
) -> None:
    """Staff edit an option of a draft: title, description, cost, which quotes stay.

    An option made from a need keeps following the need's name only while its title is the
    need's current name."""
    consultation = await get_consultation(council_id, consultation_id)
    _check_editable(consultation)
    option = await get_option(council_id, consultation_id, option_id)
    errors: dict[str, FieldError] = {}
    voting = METHODS[consultation.method]
    limit = STATEMENT_MAX if voting.proposals else NAME_MAX
    title = _clean_text(form, "title", errors, required=True, limit=limit)
    description = _clean_text(form, "description", errors, required=False, limit=TEXT_MAX)
    cost = option.cost
    if voting.costs:
        cost = parse_amount(form.get("cost", ""))
        if cost is None:
            errors["cost"] = _error("council.cost_invalid")
    if errors:
        raise InvalidForm(errors)
    kept = {k for k in keep_quotes if k.isdigit()}
    quotes = [q for i, q in enumerate(option.quotes) if str(i) in kept]
    followed = await need_name(option)
    async with connection() as conn, conn.transaction():
        await conn.execute(
            "UPDATE consultation_options SET title = $2, description = $3, cost = $4,"
            " quotes = $5::jsonb, follows_need = $6 WHERE id = $1",
            option.id,
            title,
            description,
            cost,
            json.dumps(quotes, ensure_ascii=False),
            followed is not None and title == followed,
        )
        await log_event(
            conn,
            council_id,
            "option_edited",
            actor=actor,
            consultation_id=consultation.id,
            details={"option": option.id, "title": title},
        )


async def remove_option(
    council_id: int, consultation_id: int, option_id: int, *, actor: str
) -> None:
    """Take an option off a draft's ballot."""
    consultation = await get_consultation(council_id, consultation_id)
    _check_editable(consultation)
    option = await get_option(council_id, consultation_id, option_id)
    async with connection() as conn, conn.transaction():
        await conn.execute("DELETE FROM consultation_options WHERE id = $1", option.id)
        await log_event(
            conn,
            council_id,
            "option_removed",
            actor=actor,
            consultation_id=consultation.id,
            details={"option": option.id, "title": option.title},
        )


async def propose_statement(member: Member, consultation_id: int, text: str) -> None:
    """A member proposes a statement; it waits for staff moderation."""
    consultation = await Consultation.get_or_none(
        id=consultation_id,
        council_id=member.council_id,  # type: ignore[attr-defined]
    )
    if consultation is None:
        raise NotFound("council.consultation_not_found")
    if not METHODS[consultation.method].proposals:
        raise SurveyError("vote.no_proposals")
    if consultation.state != ConsultationState.OPEN:
        raise Conflict("vote.closed")
    text = text.strip()
    if not text:
        raise InvalidForm({"statement": _error("council.required")})
    if len(text) > STATEMENT_MAX:
        raise InvalidForm({"statement": _error("council.too_long", max=STATEMENT_MAX)})
    async with connection() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO consultation_options (consultation_id, position, title, status,"
            " proposed_by_id) SELECT $1, coalesce(max(position) + 1, 0), $2, 'pending', $3"
            " FROM consultation_options WHERE consultation_id = $1",
            consultation.id,
            text,
            member.id,
        )


async def moderate_statement(
    council_id: int, consultation_id: int, option_id: int, *, approve: bool, actor: str
) -> None:
    """Staff accept or reject a statement proposed by a member."""
    consultation = await get_consultation(council_id, consultation_id)
    _check_editable(consultation, while_open=True)
    status = OptionStatus.APPROVED if approve else OptionStatus.REJECTED
    async with connection() as conn, conn.transaction():
        done = await conn.execute(
            "UPDATE consultation_options SET status = $3 WHERE id = $1 AND consultation_id = $2"
            " AND status = 'pending'",
            option_id,
            consultation.id,
            str(status),
        )
        if done.endswith(" 0"):
            raise NotFound("council.option_not_found")
        await log_event(
            conn,
            council_id,
            "statement_" + str(status),
            actor=actor,
            consultation_id=consultation.id,
            details={"option": option_id},
        )


@dataclass(frozen=True)
class Tally:
    """Participation so far: ballots (online and paper) against active members."""

    ballots: int
    paper: int
    members: int


async def count_participation(consultation: Consultation) -> Tally:
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT count(*) AS ballots, count(*) FILTER (WHERE channel = 'paper') AS paper,"
            " (SELECT count(*) FROM council_members WHERE council_id = $2 AND active) AS members"
            " FROM council_participations WHERE consultation_id = $1",
            consultation.id,
            consultation.council_id,  # type: ignore[attr-defined]
        )
    return Tally(ballots=row["ballots"], paper=row["paper"], members=row["members"])


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
        options = await conn.fetchval(
            "SELECT count(*) FROM consultation_options WHERE consultation_id = $1"
            " AND status = 'approved'",
            consultation.id,
        )
        if options < METHODS[consultation.method].min_options:
            raise Conflict("council.needs_options")
        done = await conn.execute(
            "UPDATE consultations SET state = 'open', opened_at = now() WHERE id = $1"
            " AND state = 'draft'",
            consultation.id,
        )
        if done.endswith(" 0"):
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
        await conn.execute(
            "UPDATE consultations SET published = true, published_at = now() WHERE id = $1",
            consultation.id,
        )
        await log_event(conn, council_id, "published", actor=actor, consultation_id=consultation.id)


async def member_consultations(member: Member) -> list[dict[str, Any]]:
    """The member's council's consultations open now, and the published ones, with whether
    the member has voted."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT k.id, k.title, k.description, k.method, k.state, k.published, k.closes_at,"
            " (k.state = 'open' AND (k.opens_at IS NULL OR k.opens_at <= now())"
            "  AND (k.closes_at IS NULL OR k.closes_at > now())) AS voting,"
            " EXISTS (SELECT 1 FROM council_participations p WHERE p.consultation_id = k.id"
            "         AND p.member_id = $2) AS voted"
            " FROM consultations k WHERE k.council_id = $1"
            " AND (k.state = 'open' OR k.published) ORDER BY k.created_at DESC, k.id DESC",
            member.council_id,  # type: ignore[attr-defined]
            member.id,
        )
    return [dict(r) for r in rows]


@dataclass(frozen=True)
class CouncilOverview:
    council: Council
    members: list[Member]
    consultations: list[dict[str, Any]]


async def council_overview(council_id: int) -> CouncilOverview:
    """A council with its active members and its consultations."""
    council = await get_council(council_id)
    return CouncilOverview(
        council=council,
        members=await list_members(council.id),
        consultations=await list_consultations(council.id),
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
    if consultation.council_id != member.council_id:  # type: ignore[attr-defined]
        raise Forbidden("vote.not_your_council")
    if consultation.state == ConsultationState.DRAFT:
        raise NotFound("council.consultation_not_found")
    now = dt.datetime.now(dt.UTC)
    voting = (
        consultation.state == ConsultationState.OPEN
        and (consultation.opens_at is None or consultation.opens_at <= now)
        and (consultation.closes_at is None or consultation.closes_at > now)
    )
    async with connection() as conn:
        voted = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM council_participations WHERE consultation_id = $1"
            " AND member_id = $2)",
            consultation.id,
            member.id,
        )
    return BallotContext(
        consultation=consultation,
        options=await list_options(consultation.id),
        voting=voting,
        voted=bool(voted),
    )
