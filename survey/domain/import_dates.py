"""Dates and moments written by other tools, read without guessing.

``9/3/2024 21:30`` is 9 March in Paris and 3 September in a Microsoft Forms export made in
the United States. A file's values are read both ways first (:func:`date_order_of`): when
some value can only be read one way the file is read that way, and when every value can be
read both ways nobody guesses: staff are asked. A moment written without an offset is the
wall-clock time of the file's time zone, chosen by staff; one written with an offset
(``UTC+1``, ``GMT-04:00``, ``+0200``, ``Z``) is read as written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_FIRST = "dmy"
MONTH_FIRST = "mdy"
ORDERS = (DAY_FIRST, MONTH_FIRST)
# Offered first in the time zone field; any other IANA name may be typed.
COMMON_ZONES = (
    "Europe/Paris",
    "UTC",
    "Europe/London",
    "Europe/Brussels",
    "America/New_York",
    "America/Los_Angeles",
    "America/Martinique",
    "Indian/Reunion",
    "Pacific/Noumea",
)

_OFFSET = (
    r"(?:(?:Z|UTC|GMT)?\s*(?P<sign>[+-])(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?"
    r"|(?P<bare>Z|UTC|GMT))"
)
_MOMENT = re.compile(
    r"^(?P<a>\d{1,4})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{1,4})"
    r"(?:(?:[ T]+|\s*-\s*)(?P<h>\d{1,2})[:h](?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
    rf"\s*(?:\(?{_OFFSET}\)?)?$"
)


@dataclass(frozen=True)
class Written:
    """The numbers of a date or moment as written, before the order of day and month is
    known."""

    year: int | None  # known when written first (ISO order) or last
    first: int
    second: int
    year_first: bool
    day_first_only: bool  # "9.3.2024": dots are day first wherever they are used
    time: tuple[int, int, int] | None
    offset: dt.timedelta | None


def written(text: str) -> Written | None:
    """``text`` split into its numbers, or ``None`` when it is no date."""
    match = _MOMENT.match(text.strip())
    if match is None:
        return None
    a, b, c = match.group("a"), match.group("b"), match.group("c")
    year_first = len(a) == 4
    if year_first == (len(c) == 4) and len(c) != 2:
        return None
    time = None
    if match.group("h") is not None:
        hour, minute = int(match.group("h")), int(match.group("mi"))
        second = int(match.group("s") or 0)
        ampm = (match.group("ampm") or "").lower().replace(".", "")
        if ampm:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if ampm == "pm" else 0)
        if hour > 23 or minute > 59 or second > 59:
            return None
        time = (hour, minute, second)
    offset = None
    if match.group("sign"):
        hours, minutes = int(match.group("oh")), int(match.group("om") or 0)
        if hours > 14 or minutes > 59:
            return None
        offset = dt.timedelta(hours=hours, minutes=minutes)
        if match.group("sign") == "-":
            offset = -offset
    elif match.group("bare"):
        offset = dt.timedelta(0)
    if year_first:
        return Written(int(a), int(b), int(c), True, False, time, offset)
    year = int(c) + (2000 if len(c) == 2 else 0)
    return Written(year, int(a), int(b), False, match.group("sep") == ".", time, offset)


def _day(w: Written, order: str) -> dt.date | None:
    if w.year_first:
        month, day = w.first, w.second
    elif order == DAY_FIRST or w.day_first_only:
        day, month = w.first, w.second
    else:
        month, day = w.first, w.second
    try:
        return dt.date(w.year or 0, month, day)
    except ValueError:
        return None


def readings(text: str) -> dict[str, dt.date | None]:
    """The day ``text`` means when read day first and month first (``None``: impossible)."""
    w = written(text)
    if w is None:
        return dict.fromkeys(ORDERS)
    return {order: _day(w, order) for order in ORDERS}


@dataclass
class DateOrder:
    """What a file's dates say of their order: ``order`` is ``dmy``, ``mdy``, or ``""``
    when both readings fit every value and differ for some (then staff are asked)."""

    order: str
    ambiguous: bool
    # A value that can be read only one way, which decided the order.
    decided_by: str = ""
    examples: list[tuple[str, dt.date, dt.date]] = field(default_factory=list)


def date_order_of(values: Iterable[str]) -> DateOrder:
    """Read every value both ways; decide when a value can be read only one way."""
    fits = dict.fromkeys(ORDERS, 0)
    impossible: dict[str, str] = {}
    examples: list[tuple[str, dt.date, dt.date]] = []
    seen: set[tuple[int, int]] = set()
    differs = False
    for text in values:
        w = written(text)
        if w is None or w.year_first or w.day_first_only:
            continue
        day_first, month_first = _day(w, DAY_FIRST), _day(w, MONTH_FIRST)
        for order, day in ((DAY_FIRST, day_first), (MONTH_FIRST, month_first)):
            if day is None:
                impossible.setdefault(order, text.strip())
            else:
                fits[order] += 1
        if day_first and month_first and day_first != month_first:
            differs = True
            if len(examples) < 3 and (w.first, w.second) not in seen:
                seen.add((w.first, w.second))
                examples.append((text.strip(), day_first, month_first))
    if DAY_FIRST in impossible and MONTH_FIRST not in impossible:
        return DateOrder(MONTH_FIRST, False, impossible[DAY_FIRST])
    if MONTH_FIRST in impossible and DAY_FIRST not in impossible:
        return DateOrder(DAY_FIRST, False, impossible[MONTH_FIRST])
    if not differs:
        return DateOrder(DAY_FIRST, False)
    return DateOrder("", True, examples=examples)


def read_day(text: str, order: str) -> dt.date | None:
    """A date written by another tool, day and month in ``order``."""
    w = written(text)
    return None if w is None else _day(w, order)


def read_moment(text: str, order: str, zone: ZoneInfo) -> dt.datetime | None:
    """A moment written by another tool as a UTC instant: with its own offset when it has
    one, else as wall-clock time in ``zone``."""
    w = written(text)
    if w is None:
        return None
    day = _day(w, order)
    if day is None:
        return None
    hour, minute, second = w.time or (0, 0, 0)
    naive = dt.datetime(day.year, day.month, day.day, hour, minute, second)
    if w.offset is not None:
        return naive.replace(tzinfo=dt.timezone(w.offset)).astimezone(dt.UTC)
    return naive.replace(tzinfo=zone).astimezone(dt.UTC)


def zone_named(name: str) -> ZoneInfo | None:
    """The IANA zone ``name`` (``Europe/Paris``), or ``None`` when there is none."""
    name = name.strip()
    if not name or len(name) > 64 or not re.fullmatch(r"[A-Za-z0-9_+\-/]+", name):
        return None
    if name.startswith("/") or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
