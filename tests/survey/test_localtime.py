"""Moments shown, typed and exported in the instance's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from survey import localtime

PARIS = ZoneInfo("Europe/Paris")
CAYENNE = ZoneInfo("America/Cayenne")
WINTER = dt.datetime(2026, 12, 2, 13, 30, tzinfo=dt.UTC)
SUMMER = dt.datetime(2026, 7, 14, 13, 30, tzinfo=dt.UTC)


def test_shown_in_the_zone_with_its_summer_and_winter_offsets():
    assert localtime.show(WINTER, PARIS, "fr") == "02/12/2026 14:30"
    assert localtime.show(SUMMER, PARIS, "fr") == "14/07/2026 15:30"
    assert localtime.show(WINTER, CAYENNE, "fr") == "02/12/2026 10:30"
    assert localtime.show(WINTER, PARIS, "en") == "2026-12-02 14:30"
    assert localtime.show(WINTER, PARIS, "fr", day=True) == "02/12/2026"
    assert localtime.show(None, PARIS, "fr") == ""


def test_a_naive_moment_is_read_as_utc():
    assert localtime.show(WINTER.replace(tzinfo=None), PARIS, "fr") == "02/12/2026 14:30"


def test_typed_wall_clock_time_round_trips_through_the_input_value():
    value = localtime.input_value(SUMMER, PARIS)
    assert value == "2026-07-14T15:30"
    assert localtime.parse_typed(value, PARIS) == SUMMER
    assert localtime.parse_typed("14/07/2026 15:30", PARIS) == SUMMER
    assert localtime.parse_typed("2026-07-14T10:30", CAYENNE) == SUMMER
    assert localtime.parse_typed("demain", PARIS) is None


def test_export_carries_the_offset():
    assert localtime.export(WINTER, PARIS) == "2026-12-02T14:30:00+01:00"
    assert localtime.export(SUMMER, PARIS) == "2026-07-14T15:30:00+02:00"


def test_zone_note_names_the_zone_in_each_language():
    assert localtime.zone_note(PARIS, "fr") == "heure locale (Europe/Paris)"
    assert localtime.zone_note(CAYENNE, "en") == "local time (America/Cayenne)"
