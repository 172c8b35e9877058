"""Survey lists and status changes."""

from __future__ import annotations

import datetime as dt

from tortoise.expressions import Q

from survey.domain.queries import responses
from survey.enums import SurveyStatus
from survey.models import Survey


async def list_open_surveys() -> list[Survey]:
    """Open surveys whose scheduled opening has come and closing has not."""
    now = dt.datetime.now(dt.UTC)
    return (
        await Survey.filter(status=SurveyStatus.OPEN)
        .filter(Q(opens_at__isnull=True) | Q(opens_at__lte=now))
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        .order_by("-created_at")
    )


def effective_status(survey: Survey, now: dt.datetime) -> SurveyStatus:
    """The status residents meet: an open survey past its closing date is closed."""
    if survey.status == SurveyStatus.OPEN:
        if survey.closes_at is not None and survey.closes_at <= now:
            return SurveyStatus.CLOSED
        if survey.opens_at is not None and survey.opens_at > now:
            return SurveyStatus.DRAFT
    return SurveyStatus(survey.status)


async def list_surveys() -> list[dict[str, object]]:
    """Every survey with its response count (one grouped query) and effective status."""
    surveys = await Survey.all().order_by("-created_at")
    counts = await responses.counts_by_survey()
    now = dt.datetime.now(dt.UTC)
    return [
        {"survey": s, "responses": counts.get(s.id, 0), "status": effective_status(s, now)}
        for s in surveys
    ]
