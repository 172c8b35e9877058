"""The dashboard's query string read into a typed query, and its errors named back."""

from __future__ import annotations

import datetime as dt

from survey.domain.dashboard_filters import DashboardQuery, Filters
from survey.domain.staff_forms import Unread
from survey.web.dashboard_query import field_errors, filter_pairs, read_query


def test_read_query_types_each_field() -> None:
    query = read_query(
        {
            "f_quartier": " centre ",
            "f_age": "",
            "from": "2026-10-05",
            "to": "le 12",
            "channel": "web",
            "rows": "quartier",
            "cols": "age",
            "lang": "en",
        }
    )
    assert query == DashboardQuery(
        choices=(("quartier", "centre"),),
        date_from=dt.date(2026, 10, 5),
        date_to=Unread("le 12"),
        channel="web",
        crosstab=("quartier", "age"),
    )


def test_filter_pairs_read_back_as_the_same_filters() -> None:
    filters = Filters((("quartier", "centre"),), dt.date(2026, 10, 5), None, "paper")
    query = read_query(dict(filter_pairs(filters)))
    assert query == DashboardQuery(
        choices=filters.choices, date_from=filters.date_from, channel="paper"
    )


def test_field_errors_name_the_query_string_fields() -> None:
    errors = {
        "choices.quartier": "dashboard.error_choice",
        "date_from": "dashboard.error_date",
        "date_to": "dashboard.error_date_order",
        "channel": "dashboard.error_choice",
        "crosstab": "dashboard.error_crosstab",
    }
    assert field_errors(errors) == {
        "f_quartier": "dashboard.error_choice",
        "from": "dashboard.error_date",
        "to": "dashboard.error_date_order",
        "channel": "dashboard.error_choice",
        "cols": "dashboard.error_crosstab",
    }
