"""Checks shared by the staff forms (actions, the actors' directory): keyed errors per field,
dates typed either way, ids.

Each form collects its errors in a ``dict`` field → ``FieldError`` and raises one
``InvalidFields`` subclass, so the page shows every message next to its field with what was
typed kept.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from survey.domain.forms import FieldError
from survey.errors import SurveyError

_FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
ID = re.compile(r"^[0-9]{1,9}$")


@dataclass(frozen=True)
class Unread:
    """What was typed where a value was expected (a number, a day, an id) and could not be
    read from it: the domain reports it next to its field, never takes it for a blank."""

    text: str


def typed_day(text: str) -> dt.date | Unread | None:
    """A typed day (either way ``parse_day`` reads), ``None`` when blank, else ``Unread``."""
    text = text.strip()
    if not text:
        return None
    try:
        return parse_day(text)
    except ValueError:
        return Unread(text)


class InvalidFields(SurveyError):
    """Some fields of a staff form are invalid; ``errors`` maps field → error."""

    status = 422
    # Each form names its summary's message key: a plural on ``n``, the fields to correct.
    summary_key: str

    def __init__(self, errors: dict[str, FieldError]) -> None:
        super().__init__(self.summary_key, n=len(errors))
        self.errors = errors


def field_error(key: str, **params: Any) -> FieldError:
    return FieldError(key, params)


def parse_day(text: str) -> dt.date:
    """``YYYY-MM-DD`` (a date input) or ``DD/MM/YYYY`` (typed by hand in French)."""
    text = text.strip()
    match = _FRENCH_DATE.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return dt.date(year, month, day)
    return dt.date.fromisoformat(text)
