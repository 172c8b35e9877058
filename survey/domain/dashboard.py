"""Dashboard figures: who answered what, aggregated by PostgreSQL, small groups hidden.

Residents' words (recent answers, need quotes, need labels) are shown masked (e-mail
addresses and phone numbers, ``analysis.masking``) and only for groups of at least the
small-group threshold, like the counts: a filter that narrows a free-text question below it
hides its answers as it hides its count.

Counts come from ``dashboard_tallies``, a summary kept per day, channel, territory and age
band (see the ``4_..._dashboard`` migration): responses are queued by a trigger when stored
and folded into the tallies by the next dashboard view, so a page reads a few thousand
summary rows whatever the number of responses. A filter on another question, and the
cross-tab, aggregate the ``responses`` rows themselves (containment filters use the GIN
index). Both paths share one SQL expansion of answers into (question, value) slots.
"""

# SQL below is assembled from constant fragments and numbered placeholders only; every value
# travels as a query parameter.
# ruff: noqa: S608
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from analysis.masking import mask_personal_data, normalise_text
from survey.domain.db import connection
from survey.domain.definitions import QuestionDef, SurveyDef, get_definition
from survey.enums import CHOICE_KINDS, Channel, QuestionKind

ALL = "*"
TEXT_SAMPLES = 3
TEXT_LIMIT = 300
NEEDS_SHOWN = 8
QUOTES_PER_NEED = 2
_LOCK_SPACE = 7_301_442  # advisory lock namespace of the tallies (per survey)
SCALAR_KINDS = frozenset(
    {
        QuestionKind.SINGLE,
        QuestionKind.TERRITORY,
        QuestionKind.YES_NO,
        QuestionKind.SCALE,
        QuestionKind.NUMBER,
    }
)
ARRAY_KINDS = frozenset({QuestionKind.MULTIPLE, QuestionKind.RANKING})
HISTOGRAM_BINS = 10


# ---------------------------------------------------------------------------------------
# Filters


@dataclass(frozen=True)
class Filters:
    """What the dashboard is restricted to; empty means every response."""

    choices: tuple[tuple[str, str], ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    channel: str = ""

    @property
    def active(self) -> bool:
        return bool(self.choices or self.date_from or self.date_to or self.channel)

    def params(self) -> list[tuple[str, str]]:
        """The query-string pairs that give these filters back (for links and forms)."""
        pairs = [(f"f_{code}", value) for code, value in self.choices]
        if self.date_from:
            pairs.append(("from", self.date_from.isoformat()))
        if self.date_to:
            pairs.append(("to", self.date_to.isoformat()))
        if self.channel:
            pairs.append(("channel", self.channel))
        return pairs


def filter_questions(definition: SurveyDef) -> list[QuestionDef]:
    """Choice questions one may filter and cross on: territory first, personal data never,
    nor a consent to be contacted about an offer of help (a permission, not a trait)."""
    chosen = [
        q
        for q in definition.questions
        if q.kind in CHOICE_KINDS and not q.personal_data and not q.settings.get("offer_consent")
    ]
    return sorted(chosen, key=lambda q: q.kind != QuestionKind.TERRITORY)


def breakdown_codes(definition: SurveyDef) -> tuple[str, str]:
    """The territory and age-band questions, the two dimensions of the tallies ('' if none)."""
    territory = next((q.code for q in definition.questions if q.kind == QuestionKind.TERRITORY), "")
    singles = [q for q in definition.questions if q.kind == QuestionKind.SINGLE]
    age = next((q.code for q in singles if "age" in q.code.lower()), "")
    return territory, age


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def parse_filters(
    definition: SurveyDef, params: Mapping[str, str]
) -> tuple[Filters, dict[str, str]]:
    """Filters from a query string; unknown values are dropped with a message key per field."""
    errors: dict[str, str] = {}
    choices: list[tuple[str, str]] = []
    for q in filter_questions(definition):
        value = (params.get(f"f_{q.code}") or "").strip()
        if not value:
            continue
        if value in {c.code for c in q.choices}:
            choices.append((q.code, value))
        else:
            errors[f"f_{q.code}"] = "dashboard.error_choice"
    dates: dict[str, dt.date | None] = {}
    for name in ("from", "to"):
        text = (params.get(name) or "").strip()
        dates[name] = _date(text) if text else None
        if text and dates[name] is None:
            errors[name] = "dashboard.error_date"
    if dates["from"] and dates["to"] and dates["from"] > dates["to"]:
        errors["to"] = "dashboard.error_date_order"
        dates["to"] = None
    channel = (params.get("channel") or "").strip()
    if channel and channel not in {c.value for c in Channel}:
        errors["channel"] = "dashboard.error_choice"
        channel = ""
    return Filters(tuple(choices), dates["from"], dates["to"], channel), errors


def _containment(definition: SurveyDef, filters: Filters) -> str | None:
    """One JSON document every matching response contains (served by the GIN index)."""
    if not filters.choices:
        return None
    wanted: dict[str, Any] = {}
    for code, value in filters.choices:
        multiple = definition.question(code).kind == QuestionKind.MULTIPLE
        wanted[code] = [value] if multiple else value
    return json.dumps(wanted, ensure_ascii=False)


def _where(definition: SurveyDef, filters: Filters, args: list[Any], zone: ZoneInfo) -> str:
    """SQL conditions on ``responses r``; ``args`` starts with the survey id ($1) and gets the
    other parameters appended. Dates are days of ``zone`` (its name travels as a parameter)."""
    assert args[0] == definition.id

    def param(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    clauses = ["r.survey_id = $1"]
    contained = _containment(definition, filters)
    if contained:
        clauses.append(f"r.answers @> {param(contained)}::jsonb")
    if filters.date_from:
        clauses.append(
            f"r.submitted_at >= ({param(filters.date_from)}::date::timestamp"
            f" AT TIME ZONE {param(zone.key)}::text)"
        )
    if filters.date_to:
        clauses.append(
            f"r.submitted_at < (({param(filters.date_to)}::date + 1)::timestamp"
            f" AT TIME ZONE {param(zone.key)}::text)"
        )
    if filters.channel:
        clauses.append(f"r.channel = {param(filters.channel)}")
    return " AND ".join(clauses)


# ---------------------------------------------------------------------------------------
# SQL: answers expanded into (code, value) slots


def _slot_codes(definition: SurveyDef) -> tuple[list[str], list[str], list[str]]:
    """Codes counted as answered, codes tallied by value, codes tallied by array element."""
    every = [q.code for q in definition.questions]
    tallied = [q for q in definition.questions if not q.personal_data]
    scalar = [q.code for q in tallied if q.kind in SCALAR_KINDS]
    arrays = [q.code for q in tallied if q.kind in ARRAY_KINDS]
    return every, scalar, arrays


# Expects a CTE ``base(answers, day, channel, ta, ag)`` and the code arrays as $2, $3, $4.
# The day is the response's day in the zone named by $7.
_SLOTS = """
slots AS (
    SELECT b.day, b.channel, b.ta, b.ag, ''::text AS code, ''::text AS value, 0::float8 AS pos
    FROM base b
    UNION ALL
    SELECT b.day, b.channel, b.ta, b.ag, k.code, '', 0
    FROM base b CROSS JOIN LATERAL unnest($2::text[]) AS k(code)
    WHERE b.answers ? k.code
    UNION ALL
    SELECT b.day, b.channel, b.ta, b.ag, k.code, b.answers ->> k.code, 0
    FROM base b CROSS JOIN LATERAL unnest($3::text[]) AS k(code)
    WHERE jsonb_typeof(b.answers -> k.code) IN ('string', 'number', 'boolean')
    UNION ALL
    SELECT b.day, b.channel, b.ta, b.ag, k.code, e.value, e.pos
    FROM base b CROSS JOIN LATERAL unnest($4::text[]) AS k(code)
    CROSS JOIN LATERAL jsonb_array_elements_text(
        CASE WHEN jsonb_typeof(b.answers -> k.code) = 'array' THEN b.answers -> k.code
             ELSE '[]'::jsonb END) WITH ORDINALITY AS e(value, pos)
)
"""

_BASE_COLUMNS = """
    r.answers, (r.submitted_at AT TIME ZONE $7::text)::date AS day, r.channel,
    coalesce(r.answers ->> $5, '') AS ta, coalesce(r.answers ->> $6, '') AS ag
"""

# Counted at the finest grain first, then rolled up: the roll-up reads thousands of rows,
# not one per answer.
_INSERT_TALLIES = """,
fine AS (
    SELECT day, channel, ta, ag, code, value, count(*) AS n, coalesce(sum(pos), 0) AS total
    FROM slots GROUP BY day, channel, ta, ag, code, value
)
INSERT INTO dashboard_tallies (survey_id, territory, age, day, channel, code, value, n, total)
SELECT $1, CASE WHEN GROUPING(ta) = 1 THEN '*' ELSE ta END,
       CASE WHEN GROUPING(ag) = 1 THEN '*' ELSE ag END,
       day, channel, code, value, sum(n), sum(total)
FROM fine
GROUP BY GROUPING SETS ((day, channel, code, value, ta, ag), (day, channel, code, value, ta),
                        (day, channel, code, value, ag), (day, channel, code, value))
ON CONFLICT (survey_id, territory, age, day, channel, code, value) DO UPDATE
SET n = dashboard_tallies.n + EXCLUDED.n, total = dashboard_tallies.total + EXCLUDED.total
"""

# One statement, one snapshot: what is taken from the queue is exactly what is counted.
_FOLD = (
    "WITH taken AS (DELETE FROM dashboard_pending WHERE survey_id = $1 RETURNING response_id),"
    f" base AS (SELECT {_BASE_COLUMNS} FROM responses r"
    " WHERE r.id IN (SELECT response_id FROM taken) AND r.survey_id = $1),"
    + _SLOTS
    + _INSERT_TALLIES
)
_REBUILD = (
    "WITH taken AS (DELETE FROM dashboard_pending WHERE survey_id = $1),"
    f" base AS (SELECT {_BASE_COLUMNS} FROM responses r WHERE r.survey_id = $1),"
    + _SLOTS
    + _INSERT_TALLIES
)


async def update_tallies(definition: SurveyDef, zone: ZoneInfo) -> None:
    """Fold newly stored responses into the tallies, counted by days of ``zone``; rebuild
    them after edits or deletions, or when they were counted in another zone."""
    every, scalar, arrays = _slot_codes(definition)
    territory, age = breakdown_codes(definition)
    args = (definition.id, every, scalar, arrays, territory, age, zone.key)
    async with connection() as conn, conn.transaction():
        # Serialises folds of one survey; each later statement sees what the previous fold wrote.
        await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", _LOCK_SPACE, definition.id)
        # The planner overestimates the rows of jsonb_array_elements_text a hundredfold and
        # would sort millions of slots on disk; hashing them in memory is several times faster.
        await conn.execute("SET LOCAL work_mem = '64MB'")
        await conn.execute("SET LOCAL enable_sort = off")
        state = await conn.fetchrow(
            "SELECT territory_code, age_code, time_zone, stale FROM dashboard_state"
            " WHERE survey_id = $1",
            definition.id,
        )
        if (
            state is None
            or state["stale"]
            or (state["territory_code"], state["age_code"], state["time_zone"])
            != (territory, age, zone.key)
        ):
            await conn.execute("DELETE FROM dashboard_tallies WHERE survey_id = $1", definition.id)
            await conn.execute(_REBUILD, *args)
            await conn.execute(
                "INSERT INTO dashboard_state (survey_id, territory_code, age_code, time_zone,"
                " stale, built_at) VALUES ($1, $2, $3, $4, false, now())"
                " ON CONFLICT (survey_id) DO UPDATE SET territory_code = $2, age_code = $3,"
                " time_zone = $4, stale = false, built_at = now()",
                definition.id,
                territory,
                age,
                zone.key,
            )
            return
        pending = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM dashboard_pending WHERE survey_id = $1)", definition.id
        )
        if pending:
            await conn.execute(_FOLD, *args)


# ---------------------------------------------------------------------------------------
# Raw counts


@dataclass(frozen=True)
class Counts:
    """Aggregated counts: (code, value) -> (n, sum of positions), responses per day/channel."""

    slots: dict[tuple[str, str], tuple[int, float]]
    days: list[tuple[dt.date, str, int]]
    source: str

    @property
    def base(self) -> int:
        return self.slots.get(("", ""), (0, 0.0))[0]

    def n(self, code: str, value: str = "") -> int:
        return self.slots.get((code, value), (0, 0.0))[0]

    def values(self, code: str) -> dict[str, tuple[int, float]]:
        return {v: nt for (c, v), nt in self.slots.items() if c == code and v != ""}


def _tally_dimensions(definition: SurveyDef, filters: Filters) -> tuple[str, str] | None:
    """The (territory, age) cell of the tallies serving ``filters``, or None if they cannot."""
    territory_code, age_code = breakdown_codes(definition)
    territory = age = ALL
    for code, value in filters.choices:
        if code == territory_code and territory == ALL:
            territory = value
        elif code == age_code and age == ALL:
            age = value
        else:
            return None
    return territory, age


async def count_answers(definition: SurveyDef, filters: Filters, zone: ZoneInfo) -> Counts:
    """Counts of every answer value under ``filters`` (from the tallies when they can serve),
    responses per day counted by days of ``zone``."""
    cell = _tally_dimensions(definition, filters)
    if cell is None:
        return await _count_from_responses(definition, filters, zone)
    await update_tallies(definition, zone)
    where = (
        "survey_id = $1 AND territory = $2 AND age = $3 AND day >= $4 AND day <= $5"
        " AND ($6 = '' OR channel = $6)"
    )
    args = (
        definition.id,
        cell[0],
        cell[1],
        filters.date_from or dt.date.min,
        filters.date_to or dt.date.max,
        filters.channel,
    )
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT code, value, sum(n)::bigint AS n, sum(total) AS total"
            f" FROM dashboard_tallies WHERE {where} GROUP BY code, value",
            *args,
        )
        days = await conn.fetch(
            "SELECT day, channel, sum(n)::bigint AS n FROM dashboard_tallies"
            f" WHERE {where} AND code = '' AND value = '' GROUP BY day, channel ORDER BY day",
            *args,
        )
    return Counts(
        {(r["code"], r["value"]): (int(r["n"]), float(r["total"])) for r in rows},
        [(d["day"], d["channel"], int(d["n"])) for d in days],
        "tallies",
    )


async def _count_from_responses(definition: SurveyDef, filters: Filters, zone: ZoneInfo) -> Counts:
    every, scalar, arrays = _slot_codes(definition)
    args: list[Any] = [definition.id, every, scalar, arrays, "", "", zone.key]
    where = _where(definition, filters, args, zone)
    sql = (
        f"WITH base AS MATERIALIZED (SELECT {_BASE_COLUMNS} FROM responses r WHERE {where}),"
        + _SLOTS
        + " SELECT code, value, NULL::date AS day, NULL::text AS channel, count(*) AS n,"
        " coalesce(sum(pos), 0) AS total FROM slots GROUP BY code, value"
        " UNION ALL SELECT '', '', day, channel, count(*), 0 FROM base GROUP BY day, channel"
    )
    async with connection() as conn:
        rows = await conn.fetch(sql, *args)
    slots: dict[tuple[str, str], tuple[int, float]] = {}
    days: list[tuple[dt.date, str, int]] = []
    for r in rows:
        if r["day"] is None:
            slots[(r["code"], r["value"])] = (int(r["n"]), float(r["total"]))
        else:
            days.append((r["day"], r["channel"], int(r["n"])))
    days.sort()
    return Counts(slots, days, "responses")


# ---------------------------------------------------------------------------------------
# Privacy


def hide_small(counts: Mapping[str, int], threshold: int) -> dict[str, int | None]:
    """Counts with every group of 1 to ``threshold - 1`` hidden (None).

    When a single group would be hidden, the next smallest one is hidden too, so the hidden
    count cannot be recovered by subtracting the others from the total.
    """
    shown: dict[str, int | None] = dict(counts)
    small = [k for k, n in counts.items() if 0 < n < threshold]
    for key in small:
        shown[key] = None
    if len(small) == 1:
        others = sorted((n, k) for k, n in counts.items() if n >= threshold)
        if others:
            shown[others[0][1]] = None
    return shown


# ---------------------------------------------------------------------------------------
# Summaries per question


@dataclass(frozen=True)
class Bar:
    """One bar: a choice code, a scale value or a histogram bin (``low``/``high``)."""

    code: str
    n: int | None
    share: float | None = None
    mean: float | None = None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class QuestionSummary:
    question: QuestionDef
    answered: int | None
    bars: tuple[Bar, ...] = ()
    mean: float | None = None
    texts: tuple[str, ...] = ()

    @property
    def chart(self) -> str:
        """Which chart fits: bars, histogram, ranking, text or none."""
        kind = self.question.kind
        if self.question.personal_data:
            return "none"
        if kind in CHOICE_KINDS:
            return "bars"
        if kind in (QuestionKind.SCALE, QuestionKind.NUMBER):
            return "histogram"
        if kind == QuestionKind.RANKING:
            return "ranking"
        if kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
            return "text"
        return "none"


def _share(n: int | None, base: int) -> float | None:
    return None if n is None or base <= 0 else n / base


def _choice_bars(q: QuestionDef, counts: Counts, threshold: int) -> tuple[Bar, ...]:
    values = counts.values(q.code)
    codes = [c.code for c in q.choices] + [
        v for v in values if v not in {c.code for c in q.choices}
    ]
    shown = hide_small({c: values.get(c, (0, 0.0))[0] for c in codes}, threshold)
    answered = counts.n(q.code)
    return tuple(Bar(c, shown[c], _share(shown[c], answered)) for c in codes)


def _numbers(values: Mapping[str, tuple[int, float]]) -> list[tuple[float, int]]:
    pairs = []
    for text, (n, _) in values.items():
        try:
            pairs.append((float(text), n))
        except ValueError:
            continue
    return sorted(pairs)


def _mean(pairs: Sequence[tuple[float, int]]) -> float | None:
    total = sum(n for _, n in pairs)
    return sum(v * n for v, n in pairs) / total if total else None


def _scale_bars(
    q: QuestionDef, counts: Counts, threshold: int
) -> tuple[tuple[Bar, ...], float | None]:
    pairs = _numbers(counts.values(q.code))
    low = int(q.settings.get("min", 1))
    high = int(q.settings.get("max", 5))
    by_value = {int(v): n for v, n in pairs}
    codes = [str(v) for v in range(low, high + 1)]
    shown = hide_small({c: by_value.get(int(c), 0) for c in codes}, threshold)
    answered = counts.n(q.code)
    bars = tuple(
        Bar(c, shown[c], _share(shown[c], answered), low=int(c), high=int(c)) for c in codes
    )
    return bars, _mean(pairs)


def histogram(
    pairs: Sequence[tuple[float, int]], bins: int = HISTOGRAM_BINS
) -> list[tuple[float, float, int]]:
    """(low, high, count) bins of counted values: one per value when few, else equal widths."""
    if not pairs:
        return []
    distinct = sorted({v for v, _ in pairs})
    if len(distinct) <= bins:
        merged: dict[float, int] = {}
        for v, n in pairs:
            merged[v] = merged.get(v, 0) + n
        return [(v, v, merged[v]) for v in distinct]
    low, high = distinct[0], distinct[-1]
    width = (high - low) / bins
    result = [[low + i * width, low + (i + 1) * width, 0] for i in range(bins)]
    for v, n in pairs:
        index = min(int((v - low) / width), bins - 1)
        result[index][2] += n
    return [(a, b, int(c)) for a, b, c in result]


def _number_bars(
    q: QuestionDef, counts: Counts, threshold: int
) -> tuple[tuple[Bar, ...], float | None]:
    pairs = _numbers(counts.values(q.code))
    bins = histogram(pairs)
    keys = [f"{i}" for i in range(len(bins))]
    shown = hide_small({k: b[2] for k, b in zip(keys, bins, strict=True)}, threshold)
    answered = counts.n(q.code)
    bars = tuple(
        Bar(k, shown[k], _share(shown[k], answered), low=b[0], high=b[1])
        for k, b in zip(keys, bins, strict=True)
    )
    return bars, _mean(pairs)


def _ranking_bars(q: QuestionDef, counts: Counts, threshold: int) -> tuple[Bar, ...]:
    values = counts.values(q.code)
    bars = []
    for c in q.choices:
        n, total = values.get(c.code, (0, 0.0))
        visible = n if n == 0 or n >= threshold else None
        bars.append(Bar(c.code, visible, mean=total / n if visible else None))
    return tuple(sorted(bars, key=lambda b: (b.mean is None, b.mean or 0.0)))


def summarise(
    definition: SurveyDef, counts: Counts, texts: Mapping[str, Sequence[str]], threshold: int
) -> list[QuestionSummary]:
    """One summary per question, every group smaller than ``threshold`` hidden."""
    summaries = []
    for q in definition.questions:
        answered_raw = counts.n(q.code)
        answered = answered_raw if answered_raw == 0 or answered_raw >= threshold else None
        bars: tuple[Bar, ...] = ()
        mean = None
        kind = q.kind
        if q.personal_data:
            pass
        elif kind in CHOICE_KINDS:
            bars = _choice_bars(q, counts, threshold)
        elif kind == QuestionKind.SCALE:
            bars, mean = _scale_bars(q, counts, threshold)
        elif kind == QuestionKind.NUMBER:
            bars, mean = _number_bars(q, counts, threshold)
        elif kind == QuestionKind.RANKING:
            bars = _ranking_bars(q, counts, threshold)
        if answered is None:
            mean = None
        # Words follow the counts: no answer is quoted from a group too small to be counted.
        shown_texts = tuple(texts.get(q.code, ())) if answered else ()
        summaries.append(QuestionSummary(q, answered, bars, mean, shown_texts))
    return summaries


@dataclass(frozen=True)
class SectionRate:
    title: dict[str, str]
    rates: tuple[tuple[QuestionDef, int | None, float | None], ...]


def section_rates(definition: SurveyDef, counts: Counts, threshold: int) -> list[SectionRate]:
    """Per section, how many answered each optional question (required ones are always)."""
    base = counts.base
    sections = []
    for s in definition.sections:
        rates = []
        for q in s.questions:
            if q.required:
                continue
            n = counts.n(q.code)
            shown = n if n == 0 or n >= threshold else None
            rates.append((q, shown, _share(shown, base)))
        sections.append(SectionRate(s.title, tuple(rates)))
    return sections


# ---------------------------------------------------------------------------------------
# Texts, cross-tab, needs


async def recent_texts(
    definition: SurveyDef, filters: Filters, zone: ZoneInfo, limit: int = TEXT_SAMPLES
) -> dict[str, list[str]]:
    """The latest few answers to each free-text question under ``filters``."""
    codes = [
        q.code
        for q in definition.questions
        if q.kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT) and not q.personal_data
    ]
    if not codes:
        return {}
    args: list[Any] = [definition.id, codes, limit]
    where = _where(definition, filters, args, zone)
    sql = (
        "SELECT k.code, t.text FROM unnest($2::text[]) WITH ORDINALITY AS k(code, i)"
        " CROSS JOIN LATERAL (SELECT r.answers ->> k.code AS text FROM responses r"
        f" WHERE {where} AND r.answers ? k.code"
        " ORDER BY r.submitted_at DESC, r.id DESC LIMIT $3) t ORDER BY k.i"
    )
    async with connection() as conn:
        rows = await conn.fetch(sql, *args)
    found: dict[str, list[str]] = {}
    for r in rows:
        found.setdefault(r["code"], []).append(shown_text(r["text"] or ""))
    return found


# Longer than any phone number or address: one cut this far past the limit cannot leave a
# visible part of either unmasked.
_MASK_MARGIN = 128


def shown_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """A resident's words as staff pages show them: contact details masked, on one line,
    clipped to ``limit`` characters."""
    flat = " ".join(normalise_text(text).split())
    masked = mask_personal_data(flat[: limit + _MASK_MARGIN])
    return masked if len(masked) <= limit else masked[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class CrossTab:
    rows_question: QuestionDef
    columns_question: QuestionDef
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: dict[tuple[str, str], int | None]
    row_totals: dict[str, int | None]

    def share(self, row: str, column: str) -> float | None:
        n, total = self.cells.get((row, column)), self.row_totals.get(row)
        return None if n is None or not total else n / total


_ELEMENTS = (
    "jsonb_array_elements_text(CASE jsonb_typeof(r.answers -> {p})"
    " WHEN 'array' THEN r.answers -> {p}"
    " WHEN 'string' THEN jsonb_build_array(r.answers -> {p}) ELSE '[]'::jsonb END)"
)


async def cross_tabulate(
    definition: SurveyDef,
    filters: Filters,
    rows_code: str,
    columns_code: str,
    threshold: int,
    zone: ZoneInfo,
) -> CrossTab:
    """Respondents per pair of answers to two choice questions (cells < threshold hidden)."""
    allowed = {q.code: q for q in filter_questions(definition)}
    row_q, col_q = allowed[rows_code], allowed[columns_code]
    args: list[Any] = [definition.id, rows_code, columns_code]
    where = _where(definition, filters, args, zone)
    sql = (
        "SELECT a.value AS row, b.value AS col, count(DISTINCT r.id) AS n FROM responses r"
        f" CROSS JOIN LATERAL {_ELEMENTS.format(p='$2')} AS a(value)"
        f" CROSS JOIN LATERAL {_ELEMENTS.format(p='$3')} AS b(value)"
        f" WHERE {where} GROUP BY GROUPING SETS ((a.value, b.value), (a.value))"
    )
    async with connection() as conn:
        records = await conn.fetch(sql, *args)
    raw: dict[tuple[str, str], int] = {}
    totals: dict[str, int] = {}
    for r in records:
        if r["col"] is None:
            totals[r["row"]] = int(r["n"])
        else:
            raw[(r["row"], r["col"])] = int(r["n"])
    rows = tuple(c.code for c in row_q.choices)
    columns = tuple(c.code for c in col_q.choices)
    cells: dict[tuple[str, str], int | None] = {}
    row_totals: dict[str, int | None] = {}
    for row in rows:
        total = totals.get(row, 0)
        if 0 < total < threshold:
            row_totals[row] = None
            cells.update({(row, col): None for col in columns})
            continue
        row_totals[row] = total
        shown = hide_small({col: raw.get((row, col), 0) for col in columns}, threshold)
        cells.update({(row, col): shown[col] for col in columns})
    return CrossTab(row_q, col_q, rows, columns, cells, row_totals)


@dataclass(frozen=True)
class NeedSummary:
    label: str
    size: int | None
    share: float | None
    quotes: tuple[str, ...] = ()


@dataclass(frozen=True)
class NeedsReport:
    question_code: str
    answers: int
    needs: tuple[NeedSummary, ...]


_LATEST_RUN = """
SELECT id, question_code, n_answers FROM analysis_runs
WHERE survey_id = $1 AND state = 'done'
ORDER BY finished_at DESC NULLS LAST, id DESC LIMIT 1
"""


async def latest_needs(
    definition: SurveyDef,
    filters: Filters,
    threshold: int,
    *,
    zone: ZoneInfo,
    limit: int = NEEDS_SHOWN,
    quotes: bool = True,
) -> NeedsReport | None:
    """The needs of the latest finished analysis with their sizes under ``filters``.

    None when no analysis has finished yet (or the needs tables are not there).
    """
    try:
        async with connection() as conn:
            run = await conn.fetchrow(_LATEST_RUN, definition.id)
            if run is None:
                return None
            args: list[Any] = [definition.id, run["id"]]
            where = _where(definition, filters, args, zone)
            sizes = await conn.fetch(
                "SELECT n.id, coalesce(n.staff_label, n.label) AS label, n.quote_response_ids,"
                " count(na.id) AS size FROM needs n"
                " LEFT JOIN need_answers na ON na.need_id = n.id"
                f" AND na.response_id IN (SELECT r.id FROM responses r WHERE {where})"
                " WHERE n.run_id = $2 AND n.is_need GROUP BY n.id"
                " ORDER BY size DESC, n.position LIMIT " + str(int(limit)),
                *args,
            )
            answered = await conn.fetchval(
                "SELECT count(*) FROM need_answers na JOIN responses r ON r.id = na.response_id"
                f" WHERE na.run_id = $2 AND NOT na.non_answer AND {where}",
                *args,
            )
            texts: dict[int, str] = {}
            if quotes:
                ids = [i for s in sizes for i in _ids(s["quote_response_ids"])[:QUOTES_PER_NEED]]
                q_args: list[Any] = [definition.id, ids, run["question_code"]]
                q_where = _where(definition, filters, q_args, zone)
                found = await conn.fetch(
                    "SELECT r.id, r.answers ->> $3 AS text FROM responses r"
                    f" WHERE r.id = ANY($2::bigint[]) AND {q_where}",
                    *q_args,
                )
                texts = {r["id"]: shown_text(r["text"] or "", 200) for r in found if r["text"]}
    except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError):
        return None
    shown = hide_small({str(s["id"]): int(s["size"]) for s in sizes}, threshold)
    total = int(answered or 0)
    needs = []
    for s in sizes:
        size = shown[str(s["id"])]
        ids = _ids(s["quote_response_ids"])[:QUOTES_PER_NEED]
        quoted = tuple(texts[i] for i in ids if i in texts) if size else ()
        label = mask_personal_data(s["label"])
        needs.append(NeedSummary(label, size, _share(size, total), quoted))
    return NeedsReport(run["question_code"], total, tuple(needs))


def _ids(value: Any) -> list[int]:
    data = json.loads(value) if isinstance(value, str) else value
    return [int(i) for i in data or [] if isinstance(i, int | str) and str(i).isdigit()]


# ---------------------------------------------------------------------------------------
# The dashboard page


Days = tuple[tuple[dt.date, int | None], ...]
Channels = tuple[tuple[str, int | None], ...]


@dataclass(frozen=True)
class Dashboard:
    definition: SurveyDef
    filters: Filters
    errors: dict[str, str]
    threshold: int
    base: int | None
    too_small: bool
    source: str
    questions: tuple[QuestionSummary, ...] = ()
    sections: tuple[SectionRate, ...] = ()
    days: Days = ()
    channels: Channels = ()
    needs: NeedsReport | None = None
    crosstab: CrossTab | None = None
    crosstab_pick: tuple[str, str] = ("", "")
    all_responses: int = 0


def _per_day(days: Sequence[tuple[dt.date, str, int]], threshold: int) -> tuple[Days, Channels]:
    by_day: dict[dt.date, int] = {}
    by_channel: dict[str, int] = {}
    for day, channel, n in days:
        by_day[day] = by_day.get(day, 0) + n
        by_channel[channel] = by_channel.get(channel, 0) + n
    shown_days = hide_small({d.isoformat(): n for d, n in by_day.items()}, threshold)
    shown_channels = hide_small(by_channel, threshold)
    return (
        tuple((d, shown_days[d.isoformat()]) for d in sorted(by_day)),
        tuple((c, shown_channels[c]) for c in sorted(by_channel)),
    )


async def build_dashboard(
    slug: str, params: Mapping[str, str], *, threshold: int, zone: ZoneInfo
) -> Dashboard:
    """Everything the dashboard page shows for the filters in ``params``, dates and days
    being those of ``zone``."""
    definition = await get_definition(slug)
    filters, errors = parse_filters(definition, params)
    pick = ((params.get("rows") or "").strip(), (params.get("cols") or "").strip())
    crossable = {q.code for q in filter_questions(definition)}
    if any(pick) and (pick[0] not in crossable or pick[1] not in crossable or pick[0] == pick[1]):
        errors["cols"] = "dashboard.error_crosstab"
    counts = await count_answers(definition, filters, zone)
    everyone = counts.base
    if filters.active:
        everyone = (await count_answers(definition, Filters(), zone)).base
    base = counts.base
    if base < threshold:
        # Too few to show anything without singling someone out (or nothing at all).
        return Dashboard(
            definition,
            filters,
            errors,
            threshold,
            None if base else 0,
            base > 0,
            counts.source,
            crosstab_pick=pick,
            all_responses=everyone,
        )
    texts = await recent_texts(definition, filters, zone)
    days, channels = _per_day(counts.days, threshold)
    crosstab = None
    if all(pick) and "cols" not in errors:
        crosstab = await cross_tabulate(definition, filters, pick[0], pick[1], threshold, zone)
    return Dashboard(
        definition,
        filters,
        errors,
        threshold,
        base,
        False,
        counts.source,
        tuple(summarise(definition, counts, texts, threshold)),
        tuple(section_rates(definition, counts, threshold)),
        days,
        channels,
        await latest_needs(definition, filters, threshold, zone=zone),
        crosstab,
        pick,
        everyone,
    )
