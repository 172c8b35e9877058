"""Dashboard filters: what the figures are restricted to (answers to choice questions, days,
channel), read from a query string and turned into SQL conditions on ``responses``."""

# SQL below is assembled from constant fragments and numbered placeholders only; every value
# travels as a query parameter.
# ruff: noqa: S608
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from survey.domain.definitions import QuestionDef, SurveyDef
from survey.enums import CHOICE_KINDS, Channel, QuestionKind


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


def response_where(definition: SurveyDef, filters: Filters, args: list[Any], zone: ZoneInfo) -> str:
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
