"""The builder's publication form read into its command: moments typed in the instance's
zone become UTC instants; what is not a moment is kept as typed."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from survey.domain.publication import PublicationAction, PublicationForm
from survey.domain.staff_forms import Unread
from survey.web.publication import publication_form

PARIS = ZoneInfo("Europe/Paris")


def test_publication_form_reads_moments_in_the_zone() -> None:
    values = {"opens_at": "2030-06-01T10:00", "closes_at": "15/12/2030 18:30", "confirm": "1"}
    assert publication_form(PublicationAction.PUBLISH, values, PARIS) == PublicationForm(
        PublicationAction.PUBLISH,
        opens_at=dt.datetime(2030, 6, 1, 8, 0, tzinfo=dt.UTC),
        closes_at=dt.datetime(2030, 12, 15, 17, 30, tzinfo=dt.UTC),
        confirmed=True,
    )


def test_publication_form_blank_is_none_and_unreadable_is_unread() -> None:
    values = {"opens_at": "  ", "closes_at": " bientôt "}
    assert publication_form(PublicationAction.CLOSE, values, PARIS) == PublicationForm(
        PublicationAction.CLOSE, opens_at=None, closes_at=Unread("bientôt")
    )
