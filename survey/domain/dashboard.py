"""The dashboard page: who answered what under the chosen filters, gathered from the tallies,
question summaries, cross-tab, needs report and recent free-text answers.

Residents' words (recent answers, need quotes, need labels) are shown masked (e-mail
addresses and phone numbers, ``analysis.masking``) and only for groups of at least the
small-group threshold, like the counts: a filter that narrows a free-text question below it
hides its answers as it hides its count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from survey.domain.crosstab import CrossTab, cross_tabulate
from survey.domain.dashboard_filters import (
    DashboardQuery,
    Filters,
    check_filters,
    filter_questions,
)
from survey.domain.definitions import SurveyDef, get_definition
from survey.domain.need_themes import ThemesReport, latest_themes
from survey.domain.needs_report import NeedsReport, latest_needs
from survey.domain.question_summaries import (
    QuestionSummary,
    SectionRate,
    section_rates,
    summarise,
)
from survey.domain.small_groups import hide_small
from survey.domain.tallies import count_answers
from survey.domain.text_answers import recent_texts

Days = tuple[tuple[dt.date, int | None], ...]
Channels = tuple[tuple[str, int | None], ...]


@dataclass(frozen=True)
class Dashboard:
    definition: SurveyDef
    filters: Filters
    errors: dict[str, str]
    threshold: int
    base: int | None
    too_small: bool
    source: str
    questions: tuple[QuestionSummary, ...] = ()
    sections: tuple[SectionRate, ...] = ()
    days: Days = ()
    channels: Channels = ()
    needs: NeedsReport | None = None
    crosstab: CrossTab | None = None
    crosstab_pick: tuple[str, str] = ("", "")
    all_responses: int = 0
    themes: ThemesReport | None = None


def _per_day(days: Sequence[tuple[dt.date, str, int]], threshold: int) -> tuple[Days, Channels]:
    by_day: dict[dt.date, int] = {}
    by_channel: dict[str, int] = {}
    for day, channel, n in days:
        by_day[day] = by_day.get(day, 0) + n
        by_channel[channel] = by_channel.get(channel, 0) + n
    shown_days = hide_small({d.isoformat(): n for d, n in by_day.items()}, threshold)
    shown_channels = hide_small(by_channel, threshold)
    return (
        tuple((d, shown_days[d.isoformat()]) for d in sorted(by_day)),
        tuple((c, shown_channels[c]) for c in sorted(by_channel)),
    )


async def build_dashboard(
    slug: str, query: DashboardQuery, *, threshold: int, zone: ZoneInfo
) -> Dashboard:
    """Everything the dashboard page shows for ``query``, dates and days being those of
    ``zone``; ``errors`` are keyed as ``check_filters`` says, the cross-tab's ``crosstab``."""
    definition = await get_definition(slug)
    filters, errors = check_filters(definition, query)
    pick = query.crosstab
    crossable = {q.code for q in filter_questions(definition)}
    if any(pick) and (pick[0] not in crossable or pick[1] not in crossable or pick[0] == pick[1]):
        errors["crosstab"] = "dashboard.error_crosstab"
    counts = await count_answers(definition, filters, zone)
    everyone = counts.base
    if filters.active:
        everyone = (await count_answers(definition, Filters(), zone)).base
    base = counts.base
    if base < threshold:
        # Too few to show anything without singling someone out (or nothing at all).
        return Dashboard(
            definition,
            filters,
            errors,
            threshold,
            None if base else 0,
            base > 0,
            counts.source,
            crosstab_pick=pick,
            all_responses=everyone,
        )
    texts = await recent_texts(definition, filters, zone)
    days, channels = _per_day(counts.days, threshold)
    crosstab = None
    if all(pick) and "crosstab" not in errors:
        crosstab = await cross_tabulate(definition, filters, pick[0], pick[1], threshold, zone)
    needs = await latest_needs(definition, filters, threshold, zone=zone)
    themes = None
    if needs is not None:
        themes = await latest_themes(
            definition, filters, threshold, zone=zone, answers=needs.answers
        )
    return Dashboard(
        definition,
        filters,
        errors,
        threshold,
        base,
        False,
        counts.source,
        tuple(summarise(definition, counts, texts, threshold)),
        tuple(section_rates(definition, counts, threshold)),
        days,
        channels,
        needs,
        crosstab,
        pick,
        everyone,
        themes,
    )
