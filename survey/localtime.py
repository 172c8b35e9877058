"""Dates in the instance's one time zone (``PARLONS_TIME_ZONE``): shown, typed, exported.

Moments are stored as UTC instants. People read and type them as the wall-clock time of the
territory, so every conversion goes through this module, and every date shown or asked for
says which zone it is in (:func:`zone_note`). A leaf: standard library and the catalogue only.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from survey.i18n import translate

UTC = dt.UTC

# Shown to people: day first in French, ISO order in English (unambiguous for both readers).
_SHOW = {"fr": "%d/%m/%Y %H:%M", "en": "%Y-%m-%d %H:%M"}
_SHOW_DAY = {"fr": "%d/%m/%Y", "en": "%Y-%m-%d"}
# What an ``<input type="datetime-local">`` holds, and the other ways people type a moment.
INPUT_FORMAT = "%Y-%m-%dT%H:%M"
_TYPED = (INPUT_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%d/%m/%Y")


def local(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """``moment`` as wall-clock time in ``zone`` (a naive moment is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone)


def show(moment: dt.datetime | None, zone: ZoneInfo, language: str, *, day: bool = False) -> str:
    """``02/12/2026 14:30`` (fr) or ``2026-12-02 14:30`` (en) in ``zone``; ``""`` for none."""
    if moment is None:
        return ""
    formats = _SHOW_DAY if day else _SHOW
    return local(moment, zone).strftime(formats.get(language, formats["fr"]))


def zone_note(zone: ZoneInfo, language: str) -> str:
    """The label that goes with every shown or typed moment: ``heure locale (Europe/Paris)``."""
    return translate(language, "time.zone_note", zone=zone.key)


def input_value(moment: dt.datetime | None, zone: ZoneInfo) -> str:
    """The value of a ``datetime-local`` field showing ``moment`` in ``zone``."""
    return local(moment, zone).strftime(INPUT_FORMAT) if moment else ""


def parse_typed(text: str, zone: ZoneInfo) -> dt.datetime | None:
    """A moment typed as wall-clock time in ``zone`` (``datetime-local`` value or
    ``dd/mm/yyyy hh:mm``), as a UTC instant; ``None`` when it is not a moment.

    A time skipped by a clock change (02:30 on the last Sunday of March in Paris) is read
    as the instant the clock shows it after the change, as the territory's clocks would.
    """
    text = text.strip()
    for fmt in _TYPED:
        try:
            naive = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return naive.replace(tzinfo=zone).astimezone(UTC)
    return None


def export(moment: dt.datetime | None, zone: ZoneInfo) -> str:
    """ISO 8601 with the zone's offset (``2026-12-02T14:30:00+01:00``): exact for machines,
    readable as local time for people opening the file."""
    return local(moment, zone).isoformat(timespec="seconds") if moment else ""


def today(zone: ZoneInfo) -> dt.date:
    """Today's date on the territory."""
    return dt.datetime.now(zone).date()
