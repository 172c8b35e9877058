"""Citizen councils: councils, their members and the members' access.

Consultations are in ``consultations``, their options in ``consultation_options``. Verbs take
typed commands (``NewCouncil``, ``NewMember``); their rules return keyed errors per field
(``InvalidForm``) so pages can show each message next to its field; state changes write an
audit entry in the same transaction.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from survey.domain.access_codes import is_well_formed, new_code, normalise_code
from survey.domain.contacts import is_email, is_phone
from survey.domain.db import connection
from survey.domain.definitions import QuestionDef, get_definition
from survey.domain.forms import FieldError
from survey.domain.queries import council_audit, council_members, councils, sortition_draws
from survey.enums import QuestionKind
from survey.errors import NotFound, SurveyError
from survey.i18n import pick
from survey.models.councils import Council, Member

NAME_MAX = 200
TEXT_MAX = 5000
STATEMENT_MAX = 300
_STRATUM_RE = re.compile(r"^[a-z0-9_]{1,32}$")


class InvalidForm(SurveyError):
    """Some fields of a staff or member form are invalid; ``errors`` maps field → error."""

    status = 422

    def __init__(self, errors: dict[str, FieldError]) -> None:
        super().__init__("council.form_errors", n=len(errors))
        self.errors = errors


def error(key: str, **params: Any) -> FieldError:
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
    await council_audit.insert(
        conn,
        council_id,
        action,
        actor=actor,
        consultation_id=consultation_id,
        details=json.dumps(dict(details or {}), ensure_ascii=False, default=str),
    )


# ---------------------------------------------------------------------------- councils


async def list_councils() -> list[dict[str, Any]]:
    """Every council with its member and consultation counts (one grouped query)."""
    return [row._asdict() for row in await councils.with_counts()]


def checked_text(
    value: str,
    name: str,
    errors: dict[str, FieldError],
    *,
    required: bool,
    limit: int,
) -> str:
    """``value`` without surrounding spaces; a missing or too long value is an error of
    field ``name``."""
    value = value.strip()
    if required and not value:
        errors[name] = error("council.required")
    elif len(value) > limit:
        errors[name] = error("council.too_long", max=limit)
    return value


@dataclass(frozen=True)
class NewCouncil:
    name: str
    description: str = ""


async def create_council(command: NewCouncil, *, actor: str) -> Council:
    """Create a council (a name, an optional description)."""
    errors: dict[str, FieldError] = {}
    name = checked_text(command.name, "name", errors, required=True, limit=NAME_MAX)
    description = checked_text(
        command.description, "description", errors, required=False, limit=TEXT_MAX
    )
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
    questions: dict[str, QuestionDef] = {}
    for slug in await sortition_draws.survey_slugs(council_id):
        definition = await get_definition(slug)
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
            errors["strata"] = error("council.strata_invalid")
            return {}
        strata[key] = value.strip()
    return strata


@dataclass(frozen=True)
class NewMember:
    """A member as staff type them: ``strata`` holds ``key=value`` lines (``age=30-44``)."""

    name: str
    email: str = ""
    phone: str = ""
    territory: str = ""
    strata: str = ""


async def add_member(council_id: int, command: NewMember, *, actor: str) -> Member:
    """Add a member (name, optional e-mail/phone, territory, strata)."""
    council = await get_council(council_id)
    errors: dict[str, FieldError] = {}
    name = checked_text(command.name, "name", errors, required=True, limit=NAME_MAX)
    email = checked_text(command.email, "email", errors, required=False, limit=254)
    if email and "email" not in errors and not is_email(email):
        errors["email"] = error("council.email_invalid")
    phone = checked_text(command.phone, "phone", errors, required=False, limit=40)
    if phone and "phone" not in errors and not is_phone(phone):
        errors["phone"] = error("council.phone_invalid")
    territory = checked_text(command.territory, "territory", errors, required=False, limit=100)
    strata = _strata(command.strata, errors)
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
                return await council_members.insert(
                    conn,
                    council_id,
                    name,
                    email=email,
                    phone=phone,
                    territory=territory,
                    strata=json.dumps(strata, ensure_ascii=False),
                    token=secrets.token_urlsafe(32),
                    code=new_code(),
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
        if not await council_members.deactivate(conn, member_id, council_id):
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
