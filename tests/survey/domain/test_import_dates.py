"""Dates and moments of other tools' files, read both ways and in the file's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from survey.domain.import_dates import date_order_of, read_day, read_moment, readings, zone_named

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC


def test_readings_of_an_ambiguous_date_differ() -> None:
    assert readings("9/3/2024 21:30") == {
        "dmy": dt.date(2024, 3, 9),
        "mdy": dt.date(2024, 9, 3),
    }
    assert readings("3/13/2024") == {"dmy": None, "mdy": dt.date(2024, 3, 13)}


def test_file_order_asked_when_every_value_reads_both_ways() -> None:
    order = date_order_of(["9/3/2024 21:30", "10/4/2024 8:05", "5/5/2024"])
    assert (order.order, order.ambiguous) == ("", True)
    assert [e[0] for e in order.examples] == ["9/3/2024 21:30", "10/4/2024 8:05"]


@pytest.mark.parametrize(
    ("values", "expected", "decider"),
    [
        (["9/3/2024", "25/12/2024"], "dmy", "25/12/2024"),
        (["9/3/2024", "12/25/2024"], "mdy", "12/25/2024"),
        (["2024-03-09", "2024-12-25"], "dmy", ""),  # ISO order: nothing to decide.
        (["5/5/2024", "1/1/2024"], "dmy", ""),  # Both readings give the same days.
    ],
)
def test_file_order_decided_by_the_values(values: list[str], expected: str, decider: str) -> None:
    order = date_order_of(values)
    assert (order.order, order.ambiguous, order.decided_by) == (expected, False, decider)


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("15/07/2024 10:22:33", "dmy", dt.datetime(2024, 7, 15, 8, 22, 33, tzinfo=UTC)),
        ("7/15/2024 1:05:00 PM", "mdy", dt.datetime(2024, 7, 15, 11, 5, tzinfo=UTC)),
        ("2024/07/15 10:22:33 AM GMT+1", "dmy", dt.datetime(2024, 7, 15, 9, 22, 33, tzinfo=UTC)),
        ("2024-07-15T10:22:33-04:00", "dmy", dt.datetime(2024, 7, 15, 14, 22, 33, tzinfo=UTC)),
        ("2024-07-15 10:22:33 UTC", "dmy", dt.datetime(2024, 7, 15, 10, 22, 33, tzinfo=UTC)),
        ("15.07.2024 10:22", "mdy", dt.datetime(2024, 7, 15, 8, 22, tzinfo=UTC)),
    ],
)
def test_moments_read_with_their_offset_or_in_the_zone(
    text: str, order: str, expected: dt.datetime
) -> None:
    assert read_moment(text, order, PARIS) == expected


@pytest.mark.parametrize("text", ["", "hier", "31/31/2024", "13:00", "1/2/3", "25:00 1/1/2024"])
def test_what_is_no_date_reads_as_none(text: str) -> None:
    assert read_moment(text, "dmy", PARIS) is None
    assert read_day(text, "mdy") is None


@pytest.mark.parametrize("name", ["Mars/Olympus", "../../etc/passwd", "", "Europe/Paris\x00"])
def test_unknown_zone_names_are_refused(name: str) -> None:
    assert zone_named(name) is None


def test_known_zone_names_are_zones() -> None:
    assert zone_named(" America/New_York ") == ZoneInfo("America/New_York")
