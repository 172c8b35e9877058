"""The draw of a council's panel: stratified among a survey's volunteers, recorded, queued
when slow, reported.

The bridge between the database and the draw: the pool (responses that said "yes" to a
volunteer question, not drawn before for this council) and its counts per stratification
value are read by PostgreSQL; the draw is pure and reproducible from its seed; the audit
record (with the algorithm and the version of the software that ran it) and the new members
are written in one transaction.

The draw uses the Sortition Foundation's ``sortition-algorithms`` library
(``analysis.sortition_lib``) when it is installed, ``parlons[sortition]``. Without it, the
page says how to install it and draws with Parlons's own simple algorithm
(``analysis.sortition``), labelled as such in the audit record.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field, replace
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import asyncpg

from analysis import sortition_lib
from analysis.sortition import InfeasibleQuotas, draw_panel
from survey.domain.contacts import is_email, is_phone
from survey.domain.councils import get_council, insert_member, log_event
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef, get_definition
from survey.domain.forms import FieldError
from survey.domain.jobs import (
    Progress,
    add_keyed_errors,
    enqueue,
    keyed_waiting,
    latest_keyed,
)
from survey.domain.queries import council_audit, responses, sortition_draws
from survey.domain.sortition_form import (
    SIMPLE_ALGORITHM,
    DrawCommand,
    DrawErrors,
    DrawField,
    ErrorPlace,
    InvalidDraw,
    Quota,
    QuotaPlace,
    check_algorithm,
    check_choices,
    check_quotas,
    default_algorithm,
    field_error,
    infeasible_error,
)
from survey.domain.volunteer_pool import pool_counts, pool_query
from survey.enums import QuestionKind
from survey.errors import NotFound
from survey.i18n import DEFAULT_LANGUAGE, translate
from survey.models import Survey
from survey.models.councils import Council
from survey.models.sortition import SortitionDraw


def _contact(text: str | None) -> tuple[str, str]:
    """(e-mail, phone) from a free contact answer; anything else is left out."""
    text = (text or "").strip()
    if is_email(text) and len(text) <= 254:
        return text, ""
    if is_phone(text):
        return "", text
    return "", ""


async def draw_sortition(
    council_id: int, command: DrawCommand, *, actor: str, queue_slow: bool = False
) -> SortitionDraw | uuid.UUID:
    """Draw a panel among the volunteers, record the draw and add the drawn as members.

    Every rule broken by the command is raised at once, as ``InvalidDraw``. With
    ``queue_slow``, a draw by maximin (seconds of solving) is checked here and left to the
    job queue: its key is returned, and ``queued_draw`` tells how it went.
    """
    council = await get_council(council_id)
    choices = await check_choices(command)
    errors = dict(choices.errors)
    definition = choices.definition
    if definition is None or {DrawField.QUESTION, DrawField.SIZE, DrawField.STRATA} & errors.keys():
        raise InvalidDraw(errors)
    territory = next(
        (s for s in choices.strata if definition.question(s).kind == QuestionKind.TERRITORY), ""
    )
    key = command.key
    async with connection() as conn, conn.transaction():
        # One draw at a time per council: the pool must not change under it.
        await sortition_draws.lock_council(conn, council.id)
        if key is not None:
            done = await sortition_draws.by_request_key(conn, key, council.id)
            if done is not None:  # a second click or a retry of the same form
                return await SortitionDraw.get(id=done)
        which = pool_query(definition, choices.question, council.id, choices.strata)
        volunteers = await pool_counts(which, conn=conn)
        pool_size, counts = volunteers.size, volunteers.counts
        # Every typed number is checked too, so that all mistakes show at once.
        quotas = check_quotas(command.quotas, counts, errors)
        algorithm = choices.algorithm or default_algorithm(pool_size)
        if problem := check_algorithm(algorithm, pool_size):
            errors[DrawField.ALGORITHM] = problem
        if errors or choices.size is None or choices.seed is None:
            raise InvalidDraw(errors)
        if queue_slow and algorithm == "maximin":
            return await _queue_draw(conn, council.id, command, actor)
        rows = await responses.volunteers(conn, which)
        pool = [(r.id, dict(zip(choices.strata, r.strata, strict=True))) for r in rows]
        try:
            selected, software, chances = await _draw(
                algorithm, pool, quotas, choices.size, choices.seed
            )
        except InfeasibleQuotas as exc:
            raise InvalidDraw(infeasible_error(exc, choices.size)) from exc
        except sortition_lib.LibraryMissing as exc:
            missing = field_error("sortition.library_missing")
            raise InvalidDraw({DrawField.ALGORITHM: missing}) from exc
        drawn = await responses.counts_by_value(conn, selected, choices.strata)
        audit = {
            c: {
                v: {"min": lo, "max": hi, "pool": counts[c][v], "panel": drawn.get((c, v), 0)}
                for v, (lo, hi) in values.items()
            }
            for c, values in quotas.items()
        }
        # Volunteers are numbered across the council's draws, so that names stay distinct.
        before = await sortition_draws.drawn_count(conn, council.id)
        draw_id = await sortition_draws.insert(
            conn,
            sortition_draws.NewDraw(
                council_id=council.id,
                survey_id=definition.id,
                question_code=choices.question,
                strata=json.dumps(choices.strata),
                panel_size=choices.size,
                pool_size=pool_size,
                quotas=json.dumps(audit, ensure_ascii=False),
                seed=choices.seed,
                selected=json.dumps(selected),
                actor=actor,
                algorithm=algorithm,
                software=software,
                probabilities=json.dumps(chances),
                request_key=key,
            ),
        )
        by_id: dict[Hashable, responses.Volunteer] = {r.id: r for r in rows}
        for n, response_id in enumerate(selected, start=before + 1):
            row = by_id[response_id]
            strata = dict(zip(choices.strata, row.strata, strict=True))
            email, phone = _contact(row.contact)
            await insert_member(
                conn,
                council.id,
                translate(DEFAULT_LANGUAGE, "sortition.volunteer_name", n=n),
                email=email,
                phone=phone,
                territory=strata.get(territory, "")[:100],
                strata={k: v for k, v in strata.items() if v},
            )
        await log_event(
            conn,
            council.id,
            "sortition_drawn",
            actor=actor,
            details={
                "draw": draw_id,
                "seed": choices.seed,
                "members": len(selected),
                "algorithm": algorithm,
                "software": software,
                "unreachable": volunteers.unreachable,
            },
        )
    return await SortitionDraw.get(id=draw_id)


DRAW_JOB = "sortition.draw"


async def _queue_draw(
    conn: asyncpg.Connection, council_id: int, command: DrawCommand, actor: str
) -> uuid.UUID:
    """Queue the draw of a checked command, once per key."""
    key = command.key or uuid.uuid4()
    if not await keyed_waiting(conn, DRAW_JOB, str(key)):
        payload = {
            "council": council_id,
            "key": str(key),
            "command": command_payload(replace(command, key=key)),
            "actor": actor,
        }
        await enqueue(DRAW_JOB, payload, conn=conn)
    return key


def command_payload(command: DrawCommand) -> dict[str, Any]:
    """A draw command as JSON data, for the job queue."""
    return {
        "survey": command.survey,
        "size": command.size,
        "seed": command.seed,
        "question": command.question,
        "strata": list(command.strata),
        "algorithm": command.algorithm,
        "quotas": [
            [category, value, quota.minimum, quota.maximum]
            for category, values in command.quotas.items()
            for value, quota in values.items()
        ],
        "key": str(command.key) if command.key else None,
    }


def command_from_payload(data: Mapping[str, Any]) -> DrawCommand:
    """The draw command that ``command_payload`` wrote."""
    quotas: dict[str, dict[str, Quota]] = {}
    for category, value, low, high in data["quotas"]:
        quotas.setdefault(category, {})[value] = Quota(low, high)
    return DrawCommand(
        survey=data["survey"],
        size=data["size"],
        seed=data["seed"],
        question=data["question"],
        strata=tuple(data["strata"]),
        algorithm=data["algorithm"],
        quotas=quotas,
        key=uuid.UUID(data["key"]) if data["key"] else None,
    )


def _place_payload(place: ErrorPlace) -> str | list[str | None]:
    if isinstance(place, QuotaPlace):
        return [place.category, place.value, place.bound]
    return place.value


def _place_from_payload(data: str | list[Any]) -> ErrorPlace:
    if isinstance(data, str):
        return DrawField(data)
    category, value, bound = data
    return QuotaPlace(category, value, "max" if bound == "max" else "min")


async def run_queued_draw(payload: dict[str, Any], progress: Progress) -> None:
    """Run a queued draw; the rules it broke are kept for the staff's page."""
    command = command_from_payload(payload["command"])
    try:
        await draw_sortition(payload["council"], command, actor=payload["actor"])
    except InvalidDraw as exc:
        errors = [[_place_payload(p), e.key, e.params] for p, e in exc.errors.items()]
        await add_keyed_errors(DRAW_JOB, payload["key"], json.dumps(errors, ensure_ascii=False))


@dataclass(frozen=True)
class QueuedDraw:
    """Where a queued draw stands: ``queued``, ``running``, ``done`` (``draw_id``),
    ``invalid`` (``errors`` in its ``command``) or ``failed``."""

    state: str
    draw_id: int | None = None
    # None when the job holds no command this version can read.
    command: DrawCommand | None = None
    errors: DrawErrors = field(default_factory=dict)


async def queued_draw(council_id: int, key: str) -> QueuedDraw:
    try:
        request_key = uuid.UUID(key)
    except ValueError as exc:
        raise NotFound("error.not_found") from exc
    draw = await SortitionDraw.get_or_none(council_id=council_id, request_key=request_key)
    if draw is not None:
        return QueuedDraw("done", draw.id)
    job = await latest_keyed(DRAW_JOB, str(request_key), str(council_id))
    if job is None:
        raise NotFound("error.not_found")
    try:
        command = command_from_payload(job.payload["command"])
    except (KeyError, TypeError, ValueError):
        # Queued by an earlier version (its payload held the form as typed): not drawable.
        failed = field_error("sortition.draw_failed")
        return QueuedDraw("failed", errors={DrawField.ALGORITHM: failed})
    errors = {
        _place_from_payload(place): FieldError(message, params)
        for place, message, params in job.payload.get("errors", [])
    }
    if errors:
        return QueuedDraw("invalid", command=command, errors=errors)
    if job.state in ("failed", "done"):
        # Done without a draw or errors, or failed: something broke; the form can be sent again.
        failed = field_error("sortition.draw_failed")
        return QueuedDraw("failed", command=command, errors={DrawField.ALGORITHM: failed})
    return QueuedDraw(job.state)


async def _draw(
    algorithm: str,
    pool: list[tuple[int, dict[str, str]]],
    quotas: dict[str, dict[str, tuple[int, int]]],
    size: int,
    seed: int,
) -> tuple[list[Hashable], str, dict[str, float]]:
    """The panel, the software that drew it and each volunteer's chance (when known)."""
    if algorithm == SIMPLE_ALGORITHM:
        try:
            software = f"parlons {version('parlons')}"
        except PackageNotFoundError:
            software = "parlons"
        return draw_panel(pool, quotas, size, seed), software, {}
    # maximin takes seconds: a worker thread keeps the other requests answered meanwhile.
    result = await asyncio.to_thread(
        sortition_lib.draw_with_library, pool, quotas, size, seed, algorithm=algorithm
    )
    chances = {str(k): p for k, p in result.probabilities.items()}
    software = f"{sortition_lib.LIBRARY} {result.version}"
    return result.selected, software, chances


@dataclass(frozen=True)
class DrawReport:
    council: Council
    draw: SortitionDraw
    definition: SurveyDef
    # Volunteers left out for want of a contact (None for draws recorded before it was kept).
    unreachable: int | None = None
    # Each drawn response's number within its survey, shown instead of its id.
    numbers: dict[int, int] = field(default_factory=dict)


async def draw_report(council_id: int, draw_id: int) -> DrawReport:
    """A draw as recorded: seed, quotas, pool and panel counts per value."""
    council = await get_council(council_id)
    draw = await SortitionDraw.get_or_none(id=draw_id, council_id=council.id)
    if draw is None:
        raise NotFound("sortition.draw_not_found")
    survey = await Survey.get(id=draw.survey_id)
    return DrawReport(
        council=council,
        draw=draw,
        definition=await get_definition(survey.slug),
        unreachable=await council_audit.unreachable_of_draw(council.id, draw.id),
        numbers=await responses.numbers([int(i) for i in draw.selected]),
    )
