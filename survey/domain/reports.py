"""Reports for elected officials and the public: who answered, what we heard, what was decided.

Everything comes from the dashboard tallies (a few summary rows, whatever the number of
responses), with the same small-group rule as the dashboard; residents' words (need
quotes and labels, options named after needs) are masked as on the dashboard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from analysis.masking import mask_personal_data
from survey.domain.actions import SurveyAction, survey_actions
from survey.domain.dashboard_filters import Filters, breakdown_codes
from survey.domain.definitions import QuestionDef, SurveyDef, forget, get_definition
from survey.domain.needs_report import NeedsReport, latest_needs
from survey.domain.outcomes import Outcome, outcome_of
from survey.domain.queries import consultations as consultation_rows
from survey.domain.queries.consultations import DecisionOption
from survey.domain.question_summaries import Bar, summarise
from survey.domain.small_groups import hide_small
from survey.domain.tallies import count_answers
from survey.enums import QuestionKind
from survey.errors import NotFound
from survey.models import Survey

TOP_NEEDS = 5


@dataclass(frozen=True)
class Decision:
    """A council consultation on this survey: its options, and once closed, its outcome."""

    title: str
    state: str
    closed_at: dt.datetime | None
    published: bool
    options: tuple[tuple[str, str | None], ...]  # (option, the need it came from, if any)
    outcome: Outcome | None = None
    # Per option of the frozen ranking (its position), the need it follows now: a need
    # merged, split or found again by a re-run since the closing keeps its option.
    need_names: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class KeyFigure:
    question: QuestionDef
    mean: float | None = None
    yes_share: float | None = None


@dataclass(frozen=True)
class Report:
    definition: SurveyDef
    threshold: int
    responses: int | None
    first_day: dt.date | None
    last_day: dt.date | None
    channels: tuple[tuple[str, int | None], ...]
    breakdowns: tuple[tuple[QuestionDef, tuple[Bar, ...]], ...]
    figures: tuple[KeyFigure, ...]
    needs: NeedsReport | None
    decisions: tuple[Decision, ...]
    actions: tuple[SurveyAction, ...]
    public: bool

    @property
    def too_small(self) -> bool:
        return self.responses is None or self.responses < self.threshold


async def survey_decisions(survey_id: int, *, published_only: bool = False) -> list[Decision]:
    """Consultations on this survey, latest first, each with its outcome once closed (empty
    if councils are not set up)."""
    try:
        rows = await consultation_rows.on_survey(survey_id, unpublished=not published_only)
    except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError):
        return []
    decisions = []
    for r in rows:
        results = r.results
        # Option titles and need names may hold residents' words: masked like every display.
        titles = [mask_personal_data(o["title"]) for o in results["options"]] if results else None
        decisions.append(
            Decision(
                r.title,
                r.state,
                r.closed_at,
                r.published,
                tuple(
                    (mask_personal_data(i.title), mask_personal_data(i.need or "") or None)
                    for i in r.options
                ),
                outcome_of(results, titles) if r.state == "closed" else None,
                _need_names(results, r.options),
            )
        )
    return decisions


def _need_names(
    results: Mapping[str, Any] | None, options: Sequence[DecisionOption]
) -> dict[int, str]:
    """The live need name of each option of the frozen results, by its position there."""
    if not results:
        return {}
    live = {o.id: mask_personal_data(o.need) for o in options if o.need_id is not None and o.need}
    frozen = results.get("options", [])
    return {k: live[o["id"]] for k, o in enumerate(frozen) if o.get("id") in live}


async def _report(definition: SurveyDef, threshold: int, *, public: bool, zone: ZoneInfo) -> Report:
    counts = await count_answers(definition, Filters(), zone)
    summaries = {s.question.code: s for s in summarise(definition, counts, {}, threshold)}
    base = counts.base
    by_channel: dict[str, int] = {}
    for _, channel, n in counts.days:
        by_channel[channel] = by_channel.get(channel, 0) + n
    channels = hide_small(by_channel, threshold)
    days = sorted({d for d, _, _ in counts.days})
    breakdowns = tuple(
        (summaries[code].question, summaries[code].bars)
        for code in breakdown_codes(definition)
        if code
    )
    figures = []
    for q in definition.questions:
        summary = summaries[q.code]
        if q.personal_data or summary.answered is None:
            continue
        if q.kind == QuestionKind.SCALE and summary.mean is not None:
            figures.append(KeyFigure(q, mean=summary.mean))
        elif q.kind == QuestionKind.YES_NO:
            yes = next((b for b in summary.bars if b.code == "yes"), None)
            if yes is not None and yes.share is not None:
                figures.append(KeyFigure(q, yes_share=yes.share))
    survey = await Survey.get(id=definition.id)
    needs = await latest_needs(
        definition, Filters(), threshold, zone=zone, limit=TOP_NEEDS, quotes=not public
    )
    return Report(
        definition,
        threshold,
        base if base == 0 or base >= threshold else None,
        days[0] if days else None,
        days[-1] if days else None,
        tuple(sorted(channels.items())),
        breakdowns,
        tuple(figures),
        needs,
        tuple(await survey_decisions(definition.id, published_only=public)),
        tuple(await survey_actions(definition.id)),
        survey.public_results,
    )


async def build_report(slug: str, *, threshold: int, zone: ZoneInfo) -> Report:
    """The one-page report of a survey for staff and elected officials (its period in days
    of ``zone``)."""
    return await _report(await get_definition(slug), threshold, public=False, zone=zone)


async def build_public_results(slug: str, *, threshold: int, zone: ZoneInfo) -> Report:
    """The public results page; not found unless staff published it. No quotes."""
    definition = await get_definition(slug)
    if not await Survey.exists(id=definition.id, public_results=True):
        raise NotFound("report.not_published")
    return await _report(definition, threshold, public=True, zone=zone)


async def set_public_results(slug: str, published: bool) -> Survey:
    """Publish or withdraw the public results page of a survey."""
    survey = await Survey.get_or_none(slug=slug)
    if survey is None:
        raise NotFound("error.survey_not_found")
    survey.public_results = published
    await survey.save(update_fields=["public_results", "updated_at"])
    forget(slug)
    return survey
