"""What became of a survey, told to the residents who answered it.

One public page per survey (``/s/<slug>/suivi``), published when staff choose and showing the
parts they choose: the needs heard (sizes and quotes under the same small-group rule as the
report), what the council decided (each consultation's outcome in words), and the actions
taken, with who carries them and their dates. A resident who kept the receipt of an answer is
also told which needs it fed, and what became of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from survey.domain.dashboard_filters import Filters
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef, get_definition
from survey.domain.needs_report import NeedsReport, latest_needs
from survey.domain.outcomes import Outcome, outcome_of
from survey.domain.queries import actions as action_rows
from survey.domain.queries import consultations as consultation_rows
from survey.domain.queries import needs as need_rows
from survey.domain.reports import Decision, survey_decisions
from survey.enums import SurveyStatus
from survey.errors import NotFound
from survey.models.followup import Followup

NEEDS_SHOWN = 10
PARTS = ("needs", "quotes", "decisions", "actions")


@dataclass(frozen=True)
class FollowupSettings:
    """Whether the page is public, and which of ``PARTS`` it shows."""

    published: bool = False
    parts: frozenset[str] = frozenset(PARTS)
    published_at: dt.datetime | None = None

    def shows(self, part: str) -> bool:
        return part in self.parts


@dataclass(frozen=True)
class FollowupAction:
    title: str
    status: str
    responsible: str
    due_date: dt.date | None
    updated_on: dt.date
    need: str | None
    new: bool = False


@dataclass(frozen=True)
class FollowupPage:
    definition: SurveyDef
    settings: FollowupSettings
    threshold: int
    needs: NeedsReport | None
    decisions: tuple[Decision, ...]
    actions: tuple[FollowupAction, ...]
    since: dt.date | None = None
    new_decisions: int = 0
    new_actions: int = 0


@dataclass(frozen=True)
class NeedTrail:
    """A need that one answer fed, with the decisions and actions that followed from it."""

    need: str
    decisions: tuple[tuple[str, Outcome | None], ...]
    actions: tuple[FollowupAction, ...]


async def _visible_definition(slug: str) -> SurveyDef:
    definition = await get_definition(slug)
    # A draft is nobody's business yet: answered like an unknown survey.
    if definition.status == SurveyStatus.DRAFT:
        raise NotFound("error.survey_not_found")
    return definition


async def followup_settings(survey_id: int) -> FollowupSettings:
    row = await Followup.get_or_none(survey_id=survey_id)
    if row is None:
        return FollowupSettings()
    parts = {part for part in PARTS if getattr(row, f"show_{part}")}
    return FollowupSettings(row.published, frozenset(parts), row.published_at)


async def set_followup(
    slug: str, *, published: bool, parts: frozenset[str], address: str = ""
) -> FollowupSettings:
    """Publish or withdraw a survey's follow-up page and choose what it shows; ``address``
    is the page's public address, which news e-mails link to."""
    definition = await get_definition(slug)
    unknown = parts - set(PARTS)
    if unknown:
        raise ValueError(f"unknown parts: {sorted(unknown)}")
    row, _ = await Followup.get_or_create(survey_id=definition.id)
    if published and not row.published:
        row.published_at = dt.datetime.now(dt.UTC)
    row.published = published
    if address:
        row.address = address[:500]
    for part in PARTS:
        setattr(row, f"show_{part}", part in parts)
    await row.save()
    return await followup_settings(definition.id)


def _action(
    row: action_rows.FollowedAction, since: dt.date | None, time_zone: ZoneInfo
) -> FollowupAction:
    updated_on = row.updated_at.astimezone(time_zone).date()
    return FollowupAction(
        row.title,
        row.status,
        row.responsible,
        row.due_date,
        updated_on,
        row.need,
        since is not None and updated_on >= since,
    )


async def build_followup(
    slug: str, *, threshold: int, time_zone: ZoneInfo, since: dt.date | None = None
) -> FollowupPage:
    """The public follow-up page; unpublished, it carries only the survey and its settings.
    Days (of actions, of ``since``) are days of ``time_zone``."""
    definition = await _visible_definition(slug)
    settings = await followup_settings(definition.id)
    if not settings.published:
        return FollowupPage(definition, settings, threshold, None, (), ())
    needs = None
    if settings.shows("needs"):
        needs = await latest_needs(
            definition,
            Filters(),
            threshold,
            zone=time_zone,
            limit=NEEDS_SHOWN,
            quotes=settings.shows("quotes"),
        )
    decisions: tuple[Decision, ...] = ()
    if settings.shows("decisions"):
        decisions = tuple(await survey_decisions(definition.id, published_only=True))
    actions: tuple[FollowupAction, ...] = ()
    if settings.shows("actions"):
        actions = tuple(
            _action(r, since, time_zone) for r in await action_rows.for_followup(definition.id)
        )
    new_decisions = 0
    if since is not None:
        new_decisions = sum(
            1
            for d in decisions
            if d.closed_at is not None and d.closed_at.astimezone(time_zone).date() >= since
        )
    return FollowupPage(
        definition,
        settings,
        threshold,
        needs,
        decisions,
        actions,
        since,
        new_decisions,
        sum(1 for a in actions if a.new),
    )


async def answer_trail(
    survey_id: int, response_id: int, *, time_zone: ZoneInfo
) -> tuple[NeedTrail, ...] | None:
    """The needs of the latest analyses that this answer fed, each with the published
    decisions and the actions that concern it (only what the follow-up page shows).

    None while the follow-up page is not published, or does not show needs."""
    settings = await followup_settings(survey_id)
    if not settings.published or not settings.shows("needs"):
        return None
    async with connection() as conn:
        needs = await need_rows.fed_by_response(conn, response_id)
        ids = [n.id for n in needs]
        decisions = await consultation_rows.published_for_needs(conn, ids) if ids else []
    actions = await action_rows.for_followup(survey_id) if settings.shows("actions") else []
    trail = []
    for n in needs:
        taken = tuple(
            (d.title, outcome_of(d.results))
            for d in decisions
            if d.need_id == n.id and settings.shows("decisions")
        )
        done = tuple(_action(a, None, time_zone) for a in actions if a.need_id == n.id)
        trail.append(NeedTrail(n.need, taken, done))
    return tuple(trail)
