"""The cross-tab: respondents per pair of answers to two choice questions, cells and rows
under the small-group threshold hidden."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from survey.domain.dashboard_filters import Filters, filter_questions
from survey.domain.definitions import QuestionDef, SurveyDef
from survey.domain.queries import responses
from survey.domain.small_groups import hide_small


@dataclass(frozen=True)
class CrossTab:
    rows_question: QuestionDef
    columns_question: QuestionDef
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: dict[tuple[str, str], int | None]
    row_totals: dict[str, int | None]

    def share(self, row: str, column: str) -> float | None:
        n, total = self.cells.get((row, column)), self.row_totals.get(row)
        return None if n is None or not total else n / total


async def cross_tabulate(
    definition: SurveyDef,
    filters: Filters,
    rows_code: str,
    columns_code: str,
    threshold: int,
    zone: ZoneInfo,
) -> CrossTab:
    """Respondents per pair of answers to two choice questions (cells < threshold hidden)."""
    allowed = {q.code: q for q in filter_questions(definition)}
    row_q, col_q = allowed[rows_code], allowed[columns_code]
    records = await responses.pair_counts_under_filters(
        definition, filters, zone, rows_code, columns_code
    )
    raw: dict[tuple[str, str], int] = {}
    totals: dict[str, int] = {}
    for r in records:
        if r.column is None:
            totals[r.row] = r.n
        else:
            raw[(r.row, r.column)] = r.n
    rows = tuple(c.code for c in row_q.choices)
    columns = tuple(c.code for c in col_q.choices)
    cells: dict[tuple[str, str], int | None] = {}
    row_totals: dict[str, int | None] = {}
    for row in rows:
        total = totals.get(row, 0)
        if 0 < total < threshold:
            row_totals[row] = None
            cells.update({(row, col): None for col in columns})
            continue
        row_totals[row] = total
        shown = hide_small({col: raw.get((row, col), 0) for col in columns}, threshold)
        cells.update({(row, col): shown[col] for col in columns})
    return CrossTab(row_q, col_q, rows, columns, cells, row_totals)
