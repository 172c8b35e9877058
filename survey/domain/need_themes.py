"""Themes of a needs analysis as staff read them first: each one's key, residents per theme
under the dashboard's filters (small groups hidden), a choice question's answers per theme."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from analysis.masking import mask_personal_data
from survey.domain import needs
from survey.domain.dashboard_filters import Filters, response_where
from survey.domain.definitions import SurveyDef
from survey.domain.queries import need_answers
from survey.domain.small_groups import hide_small, share
from survey.models.needs import AnalysisRun

THEMES_SHOWN = 4


def theme_key(label: str) -> str:
    """A short key naming a theme of a run in addresses and anchors: themes are told apart
    by their label, which may hold any character (or be empty, for the needs of no theme)."""
    return hashlib.sha256(label.encode("utf-8")).hexdigest()[:10]


def shows_themes(themes: Sequence[needs.ThemeView]) -> bool:
    """Whether a run has themes to show: more than one, or one with a name."""
    return len(themes) > 1 or bool(themes and themes[0].label)


@dataclass(frozen=True)
class ThemeSummary:
    label: str
    key: str
    residents: int | None
    share: float | None
    needs: int


@dataclass(frozen=True)
class ThemesReport:
    """The largest themes of the latest finished analysis, under the dashboard's filters."""

    run_id: int
    question_code: str
    themes: tuple[ThemeSummary, ...]
    more: int


async def latest_themes(
    definition: SurveyDef,
    filters: Filters,
    threshold: int,
    *,
    zone: ZoneInfo,
    answers: int,
    limit: int = THEMES_SHOWN,
) -> ThemesReport | None:
    """Residents per theme of the latest finished analysis among the responses ``filters``
    keep, shares of ``answers`` (its residents with a real answer under the same filters).

    None when no analysis has finished or its needs have no themes."""
    run = await needs.latest_run(definition.id)
    if run is None:
        return None
    args: list[object] = [definition.id, run.id]
    where = response_where(definition, filters, args, zone)
    rows = await need_answers.residents_by_theme_under_filters(where, args)
    if not (len(rows) > 1 or (rows and rows[0].theme_label)):
        return None
    shown = hide_small({r.theme_label: r.residents for r in rows}, threshold)
    themes = tuple(
        ThemeSummary(
            mask_personal_data(r.theme_label),
            theme_key(r.theme_label),
            shown[r.theme_label],
            share(shown[r.theme_label], answers),
            r.needs,
        )
        for r in rows[:limit]
    )
    return ThemesReport(run.id, run.question_code, themes, max(0, len(rows) - limit))


async def theme_breakdown(
    run: AnalysisRun,
    definition: SurveyDef,
    by: str,
    threshold: int,
    themes: Sequence[needs.ThemeView],
) -> tuple[list[str], list[list[int | None]]]:
    """Residents of each theme (by their main need) × answers of choice question ``by``,
    one row per theme in the order given; cells under ``threshold`` hidden (None)."""
    # Each response has one main need, so a theme's residents in a cell are the sum of its
    # needs' counts, taken whole (threshold 1) and hidden once summed, like the needs' cells.
    codes, counts = await needs.breakdown(run, definition, by, 1)
    table: list[list[int | None]] = []
    for theme in themes:
        ids = {n.id for n in theme.needs}
        row = [sum(counts.get((i, c)) or 0 for i in ids) for c in codes]
        table.append([n if n >= threshold else None for n in row])
    return codes, table
