"""Dashboard filters: what the figures are restricted to (answers to choice questions, days,
channel), checked from a typed ``DashboardQuery`` and turned into SQL conditions on
``responses``.

Errors are keyed by what is wrong in the query's terms: ``choices.<question code>``,
``date_from``, ``date_to``, ``channel`` (and ``crosstab``, checked by the dashboard); each
maps to a message key."""

# SQL below is assembled from constant fragments and numbered placeholders only; every value
# travels as a query parameter.
# ruff: noqa: S608
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from survey.domain.definitions import QuestionDef, SurveyDef
from survey.domain.staff_forms import Unread
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


@dataclass(frozen=True)
class DashboardQuery:
    """What the dashboard is asked to show, as read from the page, not yet checked: answers
    wanted as (question code, choice code) pairs, days (``Unread`` when what was typed is no
    day), a channel and the two questions to cross (rows, columns; '' for none)."""

    choices: tuple[tuple[str, str], ...] = ()
    date_from: dt.date | Unread | None = None
    date_to: dt.date | Unread | None = None
    channel: str = ""
    crosstab: tuple[str, str] = ("", "")


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


def check_filters(definition: SurveyDef, query: DashboardQuery) -> tuple[Filters, dict[str, str]]:
    """The filters of ``query`` that hold for ``definition``; a wrong one is dropped with a
    message key under its name. A choice on a question one may not filter on is ignored."""
    errors: dict[str, str] = {}
    wanted = dict(query.choices)
    choices: list[tuple[str, str]] = []
    for q in filter_questions(definition):
        value = wanted.get(q.code)
        if not value:
            continue
        if value in {c.code for c in q.choices}:
            choices.append((q.code, value))
        else:
            errors[f"choices.{q.code}"] = "dashboard.error_choice"
    dates: dict[str, dt.date | None] = {}
    for name, day in (("date_from", query.date_from), ("date_to", query.date_to)):
        if isinstance(day, Unread):
            errors[name] = "dashboard.error_date"
            day = None
        dates[name] = day
    if dates["date_from"] and dates["date_to"] and dates["date_from"] > dates["date_to"]:
        errors["date_to"] = "dashboard.error_date_order"
        dates["date_to"] = None
    channel = query.channel
    if channel and channel not in {c.value for c in Channel}:
        errors["channel"] = "dashboard.error_choice"
        channel = ""
    return Filters(tuple(choices), dates["date_from"], dates["date_to"], channel), errors


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
