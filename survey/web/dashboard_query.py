"""The dashboard's query string, the one place that knows its names: ``f_<question code>``
(a choice wanted), ``from`` and ``to`` (days, ``YYYY-MM-DD``), ``channel``, and ``rows`` and
``cols`` (the two questions to cross)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from survey.domain.dashboard_filters import DashboardQuery, Filters
from survey.domain.staff_forms import Unread

CHOICE_PREFIX = "f_"
# The query's attributes (and the domain's error keys) that the query string names otherwise.
_FIELD_OF = {"date_from": "from", "date_to": "to", "crosstab": "cols"}


def _day(text: str) -> dt.date | Unread | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return Unread(text)


def read_query(params: Mapping[str, str]) -> DashboardQuery:
    """The dashboard asked for by a query string; a blank field asks for nothing."""
    choices = tuple(
        (name.removeprefix(CHOICE_PREFIX), value.strip())
        for name, value in params.items()
        if name.startswith(CHOICE_PREFIX) and value.strip()
    )
    return DashboardQuery(
        choices=choices,
        date_from=_day(params.get("from") or ""),
        date_to=_day(params.get("to") or ""),
        channel=(params.get("channel") or "").strip(),
        crosstab=((params.get("rows") or "").strip(), (params.get("cols") or "").strip()),
    )


def field_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """The dashboard's errors keyed by the query-string name of their field."""
    return {_field(name): key for name, key in errors.items()}


def _field(name: str) -> str:
    if name.startswith("choices."):
        return CHOICE_PREFIX + name.removeprefix("choices.")
    return _FIELD_OF.get(name, name)


def filter_pairs(filters: Filters) -> list[tuple[str, str]]:
    """The query-string pairs that give ``filters`` back (for links and forms)."""
    pairs = [(CHOICE_PREFIX + code, value) for code, value in filters.choices]
    if filters.date_from:
        pairs.append(("from", filters.date_from.isoformat()))
    if filters.date_to:
        pairs.append(("to", filters.date_to.isoformat()))
    if filters.channel:
        pairs.append(("channel", filters.channel))
    return pairs
