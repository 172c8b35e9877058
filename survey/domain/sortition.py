"""Citizen councils from a survey: stratified draws among volunteers, ballots from needs.

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
import re
import secrets
import uuid
from collections.abc import Hashable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import asyncpg

from analysis import sortition_lib
from analysis.sortition import InfeasibleQuotas, draw_panel, proportional_quotas
from survey.domain.consultation_options import create_options as create_council_options
from survey.domain.consultations import get_consultation
from survey.domain.councils import InvalidForm, get_council, insert_member, log_event
from survey.domain.db import connection
from survey.domain.definitions import QuestionDef, SurveyDef, get_definition
from survey.domain.forms import FieldError, RawForm
from survey.domain.jobs import Progress
from survey.domain.needs import NeedView, latest_run, needs_of_run, text_questions
from survey.enums import QuestionKind
from survey.errors import Conflict, NotFound
from survey.i18n import DEFAULT_LANGUAGE, pick, translate
from survey.models import Survey
from survey.models.councils import Consultation, ConsultationOption, ConsultationState, Council
from survey.models.needs import AnalysisRun
from survey.models.sortition import SortitionDraw

DEFAULT_VOLUNTEER_QUESTION = "conseil"
MAX_PANEL = 500
DEFAULT_PANEL = 12
MAX_SEED = 2**53
STRATA_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.TERRITORY, QuestionKind.YES_NO})
QUOTES_PER_OPTION = 3
SIMPLE_ALGORITHM = "simple"
# maximin solves hundreds of integer programs, more as the pool grows (measured on two busy
# cores: 4 s for 50 volunteers, 9 s for 100, 11 to 45 s for 200, 46 s for 400): it is
# proposed up to the first pool size and refused beyond the second.
MAXIMIN_PROPOSED_POOL = 100
MAXIMIN_MAX_POOL = 300
_EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]{2,}$")
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 .()-]{7,18}[0-9]$")

# Responses that volunteered and were not drawn before for this council ($1 survey,
# $2 volunteer question, $3 council, $4 contact question), each marked reachable when its
# contact answer is an e-mail address or a phone number as the survey form accepts them;
# the pool is the reachable ones, and every query below starts from it.
_POOL = (
    "WITH volunteers AS (SELECT r.id, r.answers,"
    " (length(c.text) <= 254"
    "  AND c.text ~ '^[^@[:space:]<>]+@[^@[:space:]<>]+[.][^@[:space:]<>]{2,}$')"
    " OR c.text ~ '^[+]?[0-9][0-9 .()-]{7,18}[0-9]$' AS reachable"
    " FROM responses r CROSS JOIN LATERAL (SELECT btrim(coalesce(r.answers->>$4, '')) AS text) c"
    " WHERE r.survey_id = $1 AND r.answers->>$2 = 'yes' AND NOT EXISTS (SELECT 1"
    " FROM sortition_draws d WHERE d.council_id = $3 AND d.selected @> to_jsonb(r.id))),"
    " pool AS (SELECT id, answers FROM volunteers WHERE reachable) "
)
# The pool's size and the volunteers left out for want of a usable contact.
_POOL_SIZE = (
    _POOL  # noqa: S608 - constants, no input
    + "SELECT count(*) FILTER (WHERE reachable) AS pool,"
    " count(*) FILTER (WHERE NOT reachable) AS unreachable FROM volunteers"
)
_POOL_COUNTS = (
    _POOL  # noqa: S608 - constants only; every value is a placeholder
    + "SELECT k AS category, coalesce(p.answers->>k, '') AS value, count(*) AS n"
    " FROM pool p CROSS JOIN unnest($5::text[]) k GROUP BY 1, 2 ORDER BY 1, 2"
)
_POOL_ROWS = (
    _POOL  # noqa: S608 - constants only; every value is a placeholder
    + "SELECT p.id, coalesce(p.answers->>$4, '') AS contact,"
    " ARRAY(SELECT coalesce(p.answers->>k, '') FROM unnest($5::text[])"
    " WITH ORDINALITY u(k, n) ORDER BY n) AS strata FROM pool p"
)


def _error(key: str, **params: Any) -> FieldError:
    return FieldError(key, params)


def _first(raw: RawForm, name: str) -> str:
    values = raw.get(name) or [""]
    return values[0].strip()


def min_field(category: str, value: str) -> str:
    return f"min:{category}:{value}"


def max_field(category: str, value: str) -> str:
    return f"max:{category}:{value}"


@dataclass(frozen=True)
class QuotaRow:
    """One value of a stratification question: its pool count and the min/max as typed."""

    category: str
    value: str
    pool: int
    low: str
    high: str

    @property
    def min_name(self) -> str:
        return min_field(self.category, self.value)

    @property
    def max_name(self) -> str:
        return max_field(self.category, self.value)


@dataclass(frozen=True)
class SortitionPlan:
    """What the draw page shows: choices, the pool, the proposed or typed quotas."""

    council: Council
    surveys: list[Survey]
    definition: SurveyDef | None
    volunteer_questions: list[QuestionDef]
    strata_questions: list[QuestionDef]
    survey: str
    question: str
    size: str
    strata: list[str]
    seed: str
    pool_size: int
    # Volunteers left out of the pool for want of a usable contact, and whether the survey
    # asks for one at all.
    unreachable: int
    has_contact: bool
    # The survey and its volunteer question are known and the size is valid: quotas shown.
    ready: bool
    quotas: list[QuotaRow]
    draws: list[SortitionDraw]
    algorithm: str
    # The algorithms offered: the library's when it is installed, else Parlons's own.
    algorithms: tuple[str, ...]
    library_available: bool
    errors: dict[str, FieldError] = field(default_factory=dict)


@dataclass(frozen=True)
class _Choices:
    definition: SurveyDef | None
    question: str
    size: int | None
    strata: list[str]
    seed: int | None
    # As typed; empty when the form did not say (the default then depends on the pool).
    algorithm: str
    errors: dict[str, FieldError]


def algorithms() -> tuple[str, ...]:
    """The draw algorithms this installation offers."""
    return sortition_lib.ALGORITHMS if sortition_lib.AVAILABLE else (SIMPLE_ALGORITHM,)


def _default_algorithm(pool_size: int) -> str:
    if not sortition_lib.AVAILABLE:
        return SIMPLE_ALGORITHM
    return "maximin" if pool_size <= MAXIMIN_PROPOSED_POOL else "legacy"


def _check_algorithm(algorithm: str, pool_size: int) -> FieldError | None:
    if algorithm in sortition_lib.ALGORITHMS and not sortition_lib.AVAILABLE:
        return _error("sortition.library_missing")
    if algorithm not in algorithms():
        return _error("sortition.algorithm_unknown")
    if algorithm == "maximin" and pool_size > MAXIMIN_MAX_POOL:
        return _error("sortition.maximin_too_large", max=MAXIMIN_MAX_POOL)
    return None


async def _choices(raw: RawForm) -> _Choices:
    """The survey, volunteer question, panel size, strata and seed read from a form."""
    errors: dict[str, FieldError] = {}
    slug = _first(raw, "survey")
    definition = None
    if not slug:
        errors["survey"] = _error("sortition.required")
    elif await Survey.exists(slug=slug):
        definition = await get_definition(slug)
    else:
        errors["survey"] = _error("sortition.survey_unknown")
    question = _first(raw, "question") or DEFAULT_VOLUNTEER_QUESTION
    strata = [s for s in dict.fromkeys(raw.get("strata", [])) if s and s != question]
    if definition is not None:
        kinds = {q.code: q.kind for q in definition.questions}
        if kinds.get(question) != QuestionKind.YES_NO:
            errors["question"] = _error("sortition.not_yes_no")
        if any(kinds.get(s) not in STRATA_KINDS for s in strata):
            errors["strata"] = _error("sortition.not_choice")
            strata = [s for s in strata if kinds.get(s) in STRATA_KINDS]
    size_text = _first(raw, "size")
    size = int(size_text) if size_text.isdigit() and len(size_text) < 6 else None
    if size is None or not 1 <= size <= MAX_PANEL:
        errors["size"] = _error("sortition.size_invalid", max=MAX_PANEL)
        size = None
    seed_text = _first(raw, "seed")
    seed = int(seed_text) if seed_text.isdigit() and len(seed_text) < 17 else None
    if seed is None or seed >= MAX_SEED:
        errors["seed"] = _error("sortition.seed_invalid")
        seed = None
    return _Choices(definition, question, size, strata, seed, _first(raw, "algorithm"), errors)


def contact_question(definition: SurveyDef) -> str:
    """The code of the survey's contact question ("" when it has none: nobody is reachable)."""
    return next((q.code for q in definition.questions if q.kind == QuestionKind.CONTACT), "")


@dataclass(frozen=True)
class _Pool:
    size: int
    # Volunteers left out because their contact answer is neither an e-mail nor a phone.
    unreachable: int
    counts: dict[str, dict[str, int]]


async def _pool_counts(
    conn: asyncpg.Connection,
    definition: SurveyDef,
    question: str,
    council_id: int,
    strata: list[str],
) -> _Pool:
    """The pool's size and its count per stratification value (grouped in PostgreSQL)."""
    contact = contact_question(definition)
    sizes = await conn.fetchrow(_POOL_SIZE, definition.id, question, council_id, contact)
    rows = await conn.fetch(_POOL_COUNTS, definition.id, question, council_id, contact, strata)
    assert sizes is not None  # an aggregate always returns its one row
    counts: dict[str, dict[str, int]] = {s: {} for s in strata}
    for r in rows:
        counts[r["category"]][r["value"]] = r["n"]
    return _Pool(sizes["pool"], sizes["unreachable"], counts)


def _typed(raw: RawForm, name: str, proposed: int) -> str:
    """What the staff typed (kept even when wrong), else the proposal."""
    return _first(raw, name) if name in raw else str(proposed)


def _ordered(definition: SurveyDef, category: str, values: dict[str, int]) -> list[str]:
    """Values in the question's choice order, then any others, "no answer" last."""
    order = [c.code for c in definition.question(category).choices]
    known = [v for v in order if v in values]
    return known + sorted(v for v in values if v not in order and v) + [""] * ("" in values)


async def plan_sortition(
    council_id: int, raw: RawForm, errors: dict[str, FieldError] | None = None
) -> SortitionPlan:
    """The draw page: proposed quotas (one around the proportional share) or the typed ones."""
    council = await get_council(council_id)
    raw = dict(raw)
    raw.setdefault("size", [str(DEFAULT_PANEL)])
    if not _first(raw, "seed"):
        raw["seed"] = [str(secrets.randbelow(10**9))]
    choices = await _choices(raw)
    definition = choices.definition
    pool_size, unreachable, quotas, ready = 0, 0, [], False
    if definition is not None and not {"question", "size"} & choices.errors.keys():
        ready = True
        async with connection() as conn:
            pool = await _pool_counts(
                conn, definition, choices.question, council.id, choices.strata
            )
        pool_size, unreachable, counts = pool.size, pool.unreachable, pool.counts
        proposed = proportional_quotas(counts, pool_size, choices.size or 0)
        for category in choices.strata:
            for value in _ordered(definition, category, counts[category]):
                low, high = proposed[category][value]
                quotas.append(
                    QuotaRow(
                        category=category,
                        value=value,
                        pool=counts[category][value],
                        low=_typed(raw, min_field(category, value), low),
                        high=_typed(raw, max_field(category, value), high),
                    )
                )
    questions = list(definition.questions) if definition else []
    return SortitionPlan(
        council=council,
        surveys=await Survey.all().order_by("-created_at", "-id"),
        definition=definition,
        volunteer_questions=[q for q in questions if q.kind == QuestionKind.YES_NO],
        strata_questions=[q for q in questions if q.kind in STRATA_KINDS],
        survey=_first(raw, "survey"),
        question=choices.question,
        size=_first(raw, "size"),
        strata=choices.strata,
        seed=_first(raw, "seed"),
        pool_size=pool_size,
        unreachable=unreachable,
        has_contact=bool(definition and contact_question(definition)),
        ready=ready,
        quotas=quotas,
        draws=await SortitionDraw.filter(council_id=council.id).order_by("-created_at", "-id"),
        algorithm=choices.algorithm or _default_algorithm(pool_size),
        algorithms=algorithms(),
        library_available=sortition_lib.AVAILABLE,
        # On the first visit nothing was typed yet: no error to show.
        errors=errors if errors is not None else (choices.errors if raw.get("survey") else {}),
    )


def _typed_quotas(
    raw: RawForm, counts: dict[str, dict[str, int]], errors: dict[str, FieldError]
) -> dict[str, dict[str, tuple[int, int]]]:
    quotas: dict[str, dict[str, tuple[int, int]]] = {}
    for category, values in counts.items():
        quotas[category] = {}
        for value in values:
            bounds = []
            for name in (min_field(category, value), max_field(category, value)):
                text = _first(raw, name)
                if not text.isdigit() or int(text) > MAX_PANEL:
                    errors[name] = _error("sortition.quota_invalid", max=MAX_PANEL)
                bounds.append(int(text) if text.isdigit() else 0)
            if bounds[0] > bounds[1] and min_field(category, value) not in errors:
                errors[min_field(category, value)] = _error("sortition.min_above_max")
            quotas[category][value] = (bounds[0], bounds[1])
    return quotas


def _infeasible_error(exc: InfeasibleQuotas, size: int) -> dict[str, FieldError]:
    if exc.category is None:
        return {"size": _error("sortition.pool_too_small", size=size)}
    if exc.value is None:
        return {f"quota:{exc.category}": _error(f"sortition.{exc.reason}", category=exc.category)}
    names = (exc.category, exc.value)
    params: dict[str, Any] = {"category": exc.category, "value": exc.value or "–"}
    if exc.reason in {"lower_minimum", "raise_maximum"}:
        # The library suggests the bound that would let a panel exist.
        field_name = (max_field if exc.reason == "raise_maximum" else min_field)(*names)
        return {field_name: _error(f"sortition.{exc.reason}", suggested=exc.suggested, **params)}
    return {min_field(*names): _error(f"sortition.{exc.reason}", **params)}


def _contact(text: str | None) -> tuple[str, str]:
    """(e-mail, phone) from a free contact answer; anything else is left out."""
    text = (text or "").strip()
    if _EMAIL_RE.match(text) and len(text) <= 254:
        return text, ""
    if _PHONE_RE.match(text):
        return "", text
    return "", ""


def _request_key(raw: RawForm) -> uuid.UUID | None:
    try:
        return uuid.UUID(_first(raw, "key")[:36])
    except ValueError:
        return None


async def draw_sortition(
    council_id: int, raw: RawForm, *, actor: str, queue_slow: bool = False
) -> SortitionDraw | uuid.UUID:
    """Draw a panel among the volunteers, record the draw and add the drawn as members.

    With ``queue_slow``, a draw by maximin (seconds of solving) is checked here and left to
    the job queue: its key is returned, and ``queued_draw`` tells how it went.
    """
    council = await get_council(council_id)
    choices = await _choices(raw)
    errors = dict(choices.errors)
    definition = choices.definition
    if definition is None or {"question", "size", "strata"} & errors.keys():
        raise InvalidForm(errors)
    contact = contact_question(definition)
    territory = next(
        (s for s in choices.strata if definition.question(s).kind == QuestionKind.TERRITORY), ""
    )
    key = _request_key(raw)
    async with connection() as conn, conn.transaction():
        # One draw at a time per council: the pool must not change under it.
        await conn.execute("SELECT pg_advisory_xact_lock(7301, $1)", council.id)
        if key is not None:
            done = await conn.fetchval(
                "SELECT id FROM sortition_draws WHERE request_key = $1 AND council_id = $2",
                key,
                council.id,
            )
            if done is not None:  # a second click or a retry of the same form
                return await SortitionDraw.get(id=done)
        volunteers = await _pool_counts(
            conn, definition, choices.question, council.id, choices.strata
        )
        pool_size, counts = volunteers.size, volunteers.counts
        # Every typed number is checked too, so that all mistakes show at once.
        quotas = _typed_quotas(raw, counts, errors)
        algorithm = choices.algorithm or _default_algorithm(pool_size)
        if problem := _check_algorithm(algorithm, pool_size):
            errors["algorithm"] = problem
        if errors or choices.size is None or choices.seed is None:
            raise InvalidForm(errors)
        if queue_slow and algorithm == "maximin":
            return await _queue_draw(conn, council.id, raw, key, actor)
        rows = await conn.fetch(
            _POOL_ROWS,
            definition.id,
            choices.question,
            council.id,
            contact,
            choices.strata,
        )
        pool = [(r["id"], dict(zip(choices.strata, r["strata"], strict=True))) for r in rows]
        try:
            selected, software, chances = await _draw(
                algorithm, pool, quotas, choices.size, choices.seed
            )
        except InfeasibleQuotas as exc:
            raise InvalidForm(_infeasible_error(exc, choices.size)) from exc
        except sortition_lib.LibraryMissing as exc:
            raise InvalidForm({"algorithm": _error("sortition.library_missing")}) from exc
        panel = await conn.fetch(
            "SELECT k AS category, coalesce(r.answers->>k, '') AS value, count(*) AS n"
            " FROM responses r CROSS JOIN unnest($2::text[]) k WHERE r.id = ANY($1::bigint[])"
            " GROUP BY 1, 2",
            selected,
            choices.strata,
        )
        drawn = {(r["category"], r["value"]): r["n"] for r in panel}
        audit = {
            c: {
                v: {"min": lo, "max": hi, "pool": counts[c][v], "panel": drawn.get((c, v), 0)}
                for v, (lo, hi) in values.items()
            }
            for c, values in quotas.items()
        }
        # Volunteers are numbered across the council's draws, so that names stay distinct.
        before = await conn.fetchval(
            "SELECT coalesce(sum(jsonb_array_length(selected)), 0) FROM sortition_draws"
            " WHERE council_id = $1",
            council.id,
        )
        draw_id = await conn.fetchval(
            "INSERT INTO sortition_draws (council_id, survey_id, question_code, strata,"
            " panel_size, pool_size, quotas, seed, selected, actor, algorithm, software,"
            " probabilities, request_key) VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7::jsonb, $8,"
            " $9::jsonb, $10, $11, $12, $13::jsonb, $14) RETURNING id",
            council.id,
            definition.id,
            choices.question,
            json.dumps(choices.strata),
            choices.size,
            pool_size,
            json.dumps(audit, ensure_ascii=False),
            choices.seed,
            json.dumps(selected),
            actor,
            algorithm,
            software,
            json.dumps(chances),
            key,
        )
        by_id = {r["id"]: r for r in rows}
        for n, response_id in enumerate(selected, start=before + 1):
            row = by_id[response_id]
            strata = dict(zip(choices.strata, row["strata"], strict=True))
            email, phone = _contact(row["contact"])
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
    conn: asyncpg.Connection, council_id: int, raw: RawForm, key: uuid.UUID | None, actor: str
) -> uuid.UUID:
    """Queue the draw of a checked form, once per form key."""
    if key is None:
        key = uuid.uuid4()
        raw = {**raw, "key": [str(key)]}
    waiting = await conn.fetchval(
        "SELECT 1 FROM jobs WHERE kind = $1 AND payload->>'key' = $2"
        " AND state IN ('queued', 'running')",
        DRAW_JOB,
        str(key),
    )
    if not waiting:
        payload = {"council": council_id, "key": str(key), "raw": raw, "actor": actor}
        await conn.execute(
            "INSERT INTO jobs (kind, payload, state, progress, error, created_at)"
            " VALUES ($1, $2::jsonb, 'queued', 0, '', now())",
            DRAW_JOB,
            json.dumps(payload, ensure_ascii=False),
        )
    return key


async def run_queued_draw(payload: dict[str, Any], progress: Progress) -> None:
    """Run a queued draw; what is wrong with the form is kept for the staff's page."""
    try:
        await draw_sortition(payload["council"], payload["raw"], actor=payload["actor"])
    except InvalidForm as exc:
        errors = {name: [e.key, e.params] for name, e in exc.errors.items()}
        async with connection() as conn:
            await conn.execute(
                "UPDATE jobs SET payload = payload || jsonb_build_object('errors', $3::jsonb)"
                " WHERE kind = $1 AND payload->>'key' = $2 AND state = 'running'",
                DRAW_JOB,
                payload["key"],
                json.dumps(errors, ensure_ascii=False),
            )


@dataclass(frozen=True)
class QueuedDraw:
    """Where a queued draw stands: ``queued``, ``running``, ``done`` (``draw_id``),
    ``invalid`` (``errors`` on the form ``raw``) or ``failed``."""

    state: str
    draw_id: int | None = None
    raw: RawForm = field(default_factory=dict)
    errors: dict[str, FieldError] = field(default_factory=dict)


async def queued_draw(council_id: int, key: str) -> QueuedDraw:
    try:
        request_key = uuid.UUID(key)
    except ValueError as exc:
        raise NotFound("error.not_found") from exc
    draw = await SortitionDraw.get_or_none(council_id=council_id, request_key=request_key)
    if draw is not None:
        return QueuedDraw("done", draw.id)
    async with connection() as conn:
        job = await conn.fetchrow(
            "SELECT state, payload FROM jobs WHERE kind = $1 AND payload->>'key' = $2"
            " AND payload->>'council' = $3 ORDER BY id DESC LIMIT 1",
            DRAW_JOB,
            str(request_key),
            str(council_id),
        )
    if job is None:
        raise NotFound("error.not_found")
    payload = json.loads(job["payload"])
    raw = payload.get("raw", {})
    errors = {name: FieldError(k, v) for name, (k, v) in payload.get("errors", {}).items()}
    if errors:
        return QueuedDraw("invalid", raw=raw, errors=errors)
    if job["state"] in ("failed", "done"):
        # Done without a draw or errors, or failed: something broke; the form can be sent again.
        return QueuedDraw("failed", raw=raw, errors={"algorithm": _error("sortition.draw_failed")})
    return QueuedDraw(job["state"])


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
    async with connection() as conn:
        unreachable = await conn.fetchval(
            "SELECT (details->>'unreachable')::int FROM council_audit WHERE council_id = $1"
            " AND action = 'sortition_drawn' AND details->>'draw' = $2 LIMIT 1",
            council.id,
            str(draw.id),
        )
        numbers: dict[int, int] = {
            row["id"]: row["number"]
            for row in await conn.fetch(
                "SELECT id, number FROM responses WHERE id = ANY($1::bigint[])",
                [int(i) for i in draw.selected],
            )
        }
    return DrawReport(
        council=council,
        draw=draw,
        definition=await get_definition(survey.slug),
        unreachable=unreachable,
        numbers=numbers,
    )


# ----------------------------------------------------------------------- ballots from needs


@dataclass(frozen=True)
class NeedsChoice:
    """The needs page: surveys, their free-text questions, the latest run's needs."""

    council: Council
    consultation: Consultation
    surveys: list[Survey]
    definition: SurveyDef | None
    questions: list[QuestionDef]
    question: str
    run: AnalysisRun | None
    needs: list[NeedView]
    chosen: list[str]
    errors: dict[str, FieldError] = field(default_factory=dict)


async def needs_for_ballot(
    council_id: int,
    consultation_id: int,
    raw: RawForm,
    errors: dict[str, FieldError] | None = None,
) -> NeedsChoice:
    """The needs of the latest finished run over the chosen survey question."""
    council = await get_council(council_id)
    consultation = await get_consultation(council.id, consultation_id)
    slug = _first(raw, "survey")
    definition = await get_definition(slug) if slug and await Survey.exists(slug=slug) else None
    questions = text_questions(definition) if definition else []
    question = _first(raw, "question")
    if questions and question not in {q.code for q in questions}:
        question = questions[0].code
    run = await latest_run(definition.id, question) if definition and question else None
    needs = [n for n in await needs_of_run(run) if n.is_need] if run else []
    return NeedsChoice(
        council=council,
        consultation=consultation,
        surveys=await Survey.all().order_by("-created_at", "-id"),
        definition=definition,
        questions=questions,
        question=question,
        run=run,
        needs=needs,
        chosen=list(raw.get("need", [])),
        errors=errors or {},
    )


async def create_options_from_needs(
    council_id: int, consultation_id: int, raw: RawForm, *, actor: str
) -> list[ConsultationOption]:
    """Put the ticked needs on a consultation's ballot (draft only): each under the need's
    reviewed name, with a description saying how many answers expressed it, and its quotes.
    """
    choice = await needs_for_ballot(council_id, consultation_id, raw)
    if choice.consultation.state != ConsultationState.DRAFT:
        raise Conflict("sortition.consultation_not_draft")
    by_id = {str(n.id): n for n in choice.needs}
    if not choice.chosen:
        raise InvalidForm({"need": _error("sortition.pick_needs")})
    if any(c not in by_id for c in choice.chosen):
        raise InvalidForm({"need": _error("sortition.need_unknown")})
    picked = [by_id[c] for c in dict.fromkeys(choice.chosen)]
    assert choice.definition is not None  # needs are found only for a known survey
    question = pick(choice.definition.question(choice.question).text, DEFAULT_LANGUAGE)
    return await create_council_options(
        choice.consultation,
        [
            (
                n.label,
                translate(DEFAULT_LANGUAGE, "decide.need_description", n=n.size, question=question),
                n.id,
            )
            for n in picked
        ],
        quotes=[n.quotes[:QUOTES_PER_OPTION] for n in picked],
        actor=actor,
    )
