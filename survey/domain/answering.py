"""Answering a survey: the page-by-page flow of a resident and the storing of a response.

``advance`` is the resident's page state machine, pure: from what was typed and the page
it was typed on, the page to show next, the page to show again with its errors, or the
complete answers. ``answer_page`` is the one call a resident's POST makes: it saves a draft,
advances, and on the last page stores the response.

Every response, whichever way it comes, is stored by ``submit_response`` (or, for files
and demo data, ``submit_batch``) through one statement, ``queries.responses.insert_checked``, which

- locks the survey row ``FOR SHARE`` and checks the version the answers were validated
  against (see ``survey.domain.responses``): an edit in between maps them onto the new one;
- checks the survey takes answers, by way of ``via`` (``_accepts``): residents only while
  it is open and inside its schedule; paper entry and file imports also on a draft (staff
  fill a survey before publishing it), never once it is closed;
- stores the rows once per idempotency key: a retried POST gets the first receipt back;
- queues one delivery job per active webhook of the survey for each newly stored response
  (files and demo data announce nothing, as before).

The resident's submit path, from the route to the INSERT (5 hops):
``web.resident.survey_post`` → ``web.resident._flow`` → ``answering.answer_page``
→ ``answering.submit_response`` → ``answering._run_insert`` (the statement).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import asyncpg

from survey.domain import drafts, webhooks
from survey.domain.access_codes import new_receipt, normalise_code
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef, forget, get_definition
from survey.domain.forms import (
    FieldError,
    RawForm,
    Walk,
    clean_section,
    next_visible,
    walk_sections,
)
from survey.domain.invitations import check_invitation
from survey.domain.queries import invitations as invitation_rows
from survey.domain.queries import responses as queries
from survey.domain.responses import retired_answers
from survey.enums import Channel
from survey.errors import Conflict, SurveyError

# --- the pages -------------------------------------------------------------------------------


class Action(StrEnum):
    """What a resident's button asks for."""

    NEXT = "next"  # on the last page: finish
    BACK = "back"
    SAVE = "save"  # finish later: a draft and its code


@dataclass(frozen=True)
class Next:
    """Show page ``step``; ``before`` holds the answers and visible pages before it."""

    step: int
    before: Walk


@dataclass(frozen=True)
class Invalid:
    """Show page ``step`` again with ``errors`` (an earlier page, if it was tampered with or
    the survey changed meanwhile)."""

    step: int
    errors: dict[str, FieldError]
    before: Walk


@dataclass(frozen=True)
class Complete:
    """Every visible page is valid: ``answers`` are ready to store."""

    answers: dict[str, Any]


def advance(
    definition: SurveyDef, raw: RawForm, step: int, action: Action, *, today: dt.date
) -> Next | Invalid | Complete:
    """Where a POST of page ``step`` leads; pure. ``raw`` holds every page's fields (what
    earlier pages sent travels with the form), ``today`` bounds date questions.

    The pages before ``step`` are validated once, in order: a hidden page is skipped, a
    hidden question's answer dropped (``forms``)."""
    walk = walk_sections(definition.sections, raw, stop=step, today=today)
    if action == Action.BACK:
        earlier = [i for i in walk.visible if i < step]
        target = earlier[-1] if earlier else 0
        return Next(target, walk.before(target))
    if walk.failed is not None:
        return Invalid(walk.failed, walk.errors, walk.before(walk.failed))
    values, errors = clean_section(definition.sections[step], raw, walk.answers, today=today)
    if errors:
        return Invalid(step, errors, walk)
    answers = {**walk.answers, **values}
    following = next_visible(definition.sections, step, answers)
    if following is not None:
        # The pages in between are hidden by these very answers.
        return Next(following, Walk(answers=answers, visible=[*walk.visible, step]))
    return Complete({**retired_answers(definition, raw), **answers})


@dataclass(frozen=True)
class Page:
    """One POST of a resident's page, parsed by the view."""

    raw: RawForm
    step: int
    action: Action
    key: uuid.UUID
    language: str
    today: dt.date
    invitation: str = ""  # the code typed on entering, in invitation modes
    resume: str = ""  # the draft this answering was resumed from
    preview: bool = False  # staff preview: nothing checked against codes, nothing stored


@dataclass(frozen=True)
class Saved:
    draft: drafts.Draft


@dataclass(frozen=True)
class Submitted:
    receipt: str


@dataclass(frozen=True)
class Refused:
    """The invitation code is unknown or used: the resident types one again."""

    error: SurveyError


async def answer_page(
    definition: SurveyDef, page: Page
) -> Next | Invalid | Complete | Saved | Submitted | Refused:
    """Everything a resident's POST does: check the code, save a draft, go on, or store the
    response (and forget the draft it came from). ``Complete`` is only given in preview."""
    if definition.needs_code and not page.preview:
        try:
            await check_invitation(definition, page.invitation)
        except SurveyError as error:
            return Refused(error)
    if page.action == Action.SAVE and not page.preview:
        draft = await drafts.save_draft(
            definition,
            page.raw,
            step=page.step,
            language=page.language,
            invitation=page.invitation,
        )
        if page.resume:
            await drafts.delete_draft(page.resume)
        return Saved(draft)
    action = Action.NEXT if page.action == Action.SAVE else page.action
    outcome = advance(definition, page.raw, page.step, action, today=page.today)
    if not isinstance(outcome, Complete) or page.preview:
        return outcome
    via: Via = Invitation(page.invitation) if definition.needs_code else Open()
    receipt = await submit_response(
        definition, outcome.answers, key=page.key, language=page.language, via=via
    )
    if page.resume:
        await drafts.delete_draft(page.resume)
    return Submitted(receipt)


# --- storing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Open:
    """A resident of a survey open to all, on the web."""


@dataclass(frozen=True)
class Invitation:
    """A resident with an invitation code, used up by this response."""

    code: str


@dataclass(frozen=True)
class Paper:
    """A paper questionnaire typed in by staff."""


@dataclass(frozen=True)
class Import:
    """Rows of a responses file; ``then(connection, stored)`` runs in the same transaction
    (the import records its file)."""

    then: Callable[[asyncpg.Connection, int], Awaitable[None]] | None = None


@dataclass(frozen=True)
class Seed:
    """Demo data and test fixtures: responses nobody submits now, so no status is checked
    (a closed survey's history is loaded as it was) and each item keeps its channel."""


Via = Open | Invitation | Paper | Import | Seed


@dataclass(frozen=True)
class _Rule:
    """What ``via`` means for the statement."""

    channel: Channel | None  # None: each item's own
    resident: bool  # only while open and inside the schedule
    checked: bool  # refused when closed
    notify: bool  # webhooks told


def _accepts(via: Via) -> _Rule:
    match via:
        case Open() | Invitation():
            return _Rule(Channel.WEB, resident=True, checked=True, notify=True)
        case Paper():
            return _Rule(Channel.PAPER, resident=False, checked=True, notify=True)
        case Import():
            return _Rule(Channel.IMPORT, resident=False, checked=True, notify=False)
        case Seed():
            return _Rule(None, resident=False, checked=False, notify=False)


@dataclass
class _Rows:
    """Responses to store, as the statement's arrays."""

    keys: list[uuid.UUID]
    answers: list[dict[str, Any]]
    languages: list[str]
    channels: list[str]
    moments: list[dt.datetime | None]
    receipts: list[str] = field(default_factory=list)


async def _run_insert(
    conn: asyncpg.Connection, definition: SurveyDef, rows: _Rows, rule: _Rule
) -> queries.Stored:
    if not rows.receipts:
        rows.receipts = [new_receipt() for _ in rows.keys]
    record = await queries.insert_checked(
        conn,
        definition.id,
        definition.version,
        (
            rows.keys,
            rows.receipts,
            [json.dumps(a, ensure_ascii=False) for a in rows.answers],
            rows.languages,
            rows.channels,
            rows.moments,
        ),
        resident=rule.resident,
        checked=rule.checked,
        notify=rule.notify,
        job_kind=webhooks.JOB_KIND,
    )
    if record.version is None:
        raise SurveyError("error.survey_not_found")
    return record


class _Edited(Exception):
    """The survey was edited since its definition was read (rolls a transaction back)."""


def _closed() -> Conflict:
    return Conflict("error.survey_closed")


def _map_answers(definition: SurveyDef, answers: dict[str, Any]) -> dict[str, Any]:
    """Answers validated against an older version, kept where the current one has the code."""
    codes = {q.code for q in definition.questions}
    return {k: v for k, v in answers.items() if k in codes or k.removesuffix("__other") in codes}


async def _fresh(definition: SurveyDef) -> SurveyDef:
    forget(definition.slug)
    return await get_definition(definition.slug)


async def submit_response(
    definition: SurveyDef,
    answers: dict[str, Any],
    *,
    key: uuid.UUID,
    language: str,
    via: Via,
) -> str:
    """Store one validated response once per idempotency key; return its receipt code.

    A repeated key (double tap, retried POST) returns the receipt of the stored row. When
    the survey was edited since ``definition`` was read, the answers are mapped onto the
    current version first. A survey that takes no answers ``via`` this way is refused.
    """
    rule = _accepts(via)
    channel = str(rule.channel or Channel.WEB)
    for _ in range(6):
        rows = _Rows([key], [answers], [language], [channel], [None])
        try:
            if isinstance(via, Invitation):
                return await _with_invitation(definition, rows, rule, via.code)
            async with connection() as conn:
                record = await _run_insert(conn, definition, rows, rule)
                if record.receipts:
                    return str(record.receipts[0])
                if record.version != definition.version:
                    raise _Edited
                existing = await queries.by_key(conn, key)
        except _Edited:
            # The connection is given back before reading the new version.
            definition = await _fresh(definition)
            answers = _map_answers(definition, answers)
            continue
        if existing:
            if existing.survey_id != definition.id:
                raise SurveyError("error.bad_form")
            return existing.receipt
        if not record.accepting and rule.checked:
            raise _closed()
        # Neither inserted nor found: the receipt collided; draw another.
    raise SurveyError("error.try_again")


async def _with_invitation(definition: SurveyDef, rows: _Rows, rule: _Rule, code: str) -> str:
    """Use up the code and store the response in one transaction; a used code is refused."""
    key = rows.keys[0]
    anonymous = definition.access_mode == "anonymous"
    async with connection() as conn, conn.transaction():
        existing = await _existing(conn, key, definition)
        if existing:
            return existing
        # Key-share locked: a code being replaced by a resend at this moment is either kept
        # until this answer is stored, or already gone (then "unknown code").
        invitation_id = await invitation_rows.lock_code(conn, definition.id, normalise_code(code))
        if invitation_id is None:
            raise SurveyError("builder.invitation_unknown")
        rows.receipts = [new_receipt()]
        # In anonymous mode neither time nor receipt: nothing links the code to answers.
        claimed = await invitation_rows.claim(
            conn,
            invitation_id,
            anonymous=anonymous,
            receipt=None if anonymous else rows.receipts[0],
        )
        if not claimed:
            existing = await _existing(conn, key, definition)
            if existing:
                return existing
            raise Conflict("builder.invitation_used")
        receipt = rows.receipts[0]
        record = await _run_insert(conn, definition, rows, rule)
        if record.version != definition.version:
            raise _Edited
        if not record.accepting:
            raise _closed()
        if not record.receipts:  # A receipt collision: so rare that a retry is fine.
            raise SurveyError("error.try_again")
        return receipt


async def _existing(conn: asyncpg.Connection, key: uuid.UUID, definition: SurveyDef) -> str | None:
    row = await queries.by_key(conn, key)
    if row is None:
        return None
    if row.survey_id != definition.id:
        raise SurveyError("error.bad_form")
    return row.receipt


def _as_datetime(value: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


async def submit_batch(
    definition: SurveyDef, items: Iterable[dict[str, Any]], *, via: Import | Seed
) -> int:
    """Store already validated responses (``key``, ``answers``, ``submitted_at``, and
    ``language``, ``channel``) in one transaction, through the same statement and rules as
    ``submit_response``; known keys are skipped. Returns how many were stored."""
    rule = _accepts(via)
    pending = list(items)
    for _ in range(6):
        rows = _Rows(
            [uuid.UUID(i["key"]) for i in pending],
            [i["answers"] for i in pending],
            [i.get("language", "fr") for i in pending],
            [str(rule.channel or i.get("channel", Channel.WEB)) for i in pending],
            [_as_datetime(i["submitted_at"]) for i in pending],
        )
        try:
            async with connection() as conn, conn.transaction():
                record = await _run_insert(conn, definition, rows, rule)
                if record.version != definition.version:
                    raise _Edited
                if rule.checked and not record.accepting:
                    raise _closed()
                stored = len(record.receipts or ())
                if isinstance(via, Import) and via.then is not None:
                    await via.then(conn, stored)
                return stored
        except _Edited:
            definition = await _fresh(definition)
            pending = [{**i, "answers": _map_answers(definition, i["answers"])} for i in pending]
    raise SurveyError("error.try_again")


async def load_responses(definition: SurveyDef, items: Sequence[dict[str, Any]]) -> int:
    """Demo data and fixtures: ``submit_batch`` with no status check."""
    return await submit_batch(definition, items, via=Seed())
