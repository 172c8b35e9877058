"""Reads of the ``need_answers`` table (with ``need_mentions``, the other needs an answer
speaks of): residents per theme among the responses a dashboard's filters keep."""

# The response conditions come from ``dashboard_filters.response_where``: constant fragments
# and numbered placeholders only, every value travels as a parameter.
# ruff: noqa: S608
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import asyncpg

from survey.domain.dashboard_filters import Filters, response_where
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.queries.responses import TextAnswer


class ThemeResidents(NamedTuple):
    """A theme of a run: residents citing any of its needs, once each, and its needs."""

    theme_label: str
    residents: int
    needs: int


async def residents_by_theme_under_filters(where: str, args: Sequence[Any]) -> list[ThemeResidents]:
    """Per theme label of run ``$2``: residents of the responses matching ``where`` (on
    ``responses r``, survey ``$1``) citing one of its needs, main need or another; and how
    many needs the theme holds. Largest first; needs marked "not a need" left out."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT n.theme_label, count(DISTINCT m.response_id) AS residents,"
            " (SELECT count(*) FROM needs t WHERE t.run_id = $2 AND t.is_need"
            " AND t.theme_label = n.theme_label) AS needs"
            " FROM (SELECT need_id, response_id FROM need_answers"
            " WHERE run_id = $2 AND need_id IS NOT NULL"
            " UNION ALL SELECT need_id, response_id FROM need_mentions WHERE run_id = $2) m"
            " JOIN needs n ON n.id = m.need_id"
            f" WHERE n.is_need AND m.response_id IN (SELECT r.id FROM responses r WHERE {where})"
            " GROUP BY n.theme_label ORDER BY residents DESC, n.theme_label",
            *args,
        )
    return [
        ThemeResidents(str(r["theme_label"]), int(r["residents"]), int(r["needs"])) for r in rows
    ]


class NeedResidents(NamedTuple):
    """Residents of a need: all of them, and those for whom it is not their main need."""

    residents: int
    also: int


class AnswerPoint(NamedTuple):
    x: float
    y: float
    need_id: int | None
    text: str


class NeedValueCount(NamedTuple):
    need_id: int
    value: str
    n: int


class ReviewedAnswer(NamedTuple):
    """An answer's need as the machine found it (its position; -1 none) and as reviewed
    (the need's id; -1 none), and whether that need is still one."""

    machine_need: int
    need: int
    is_need: bool


async def insert(conn: asyncpg.Connection, rows: Sequence[tuple[object, ...]]) -> None:
    """Store a run's answers: (run, response, need, non-answer, x, y, machine need) each."""
    await conn.executemany(
        "INSERT INTO need_answers"
        " (run_id, response_id, need_id, non_answer, x, y, machine_need)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        rows,
    )


# Residents per need: those whose main need it is and those whose answer also speaks of it.
_SIZES = """
SELECT need_id, count(DISTINCT response_id) AS residents,
       count(DISTINCT response_id) FILTER (WHERE NOT main) AS also
FROM (SELECT need_id, response_id, true AS main FROM need_answers
      WHERE run_id = $1 AND need_id IS NOT NULL
      UNION ALL
      SELECT need_id, response_id, false FROM need_mentions WHERE run_id = $1) m
GROUP BY need_id
"""


async def residents_by_need(run_id: int) -> dict[int, NeedResidents]:
    """Residents of each need of a run (one grouped query)."""
    async with connection() as conn:
        counted = await conn.fetch(_SIZES, run_id)
    return {int(r["need_id"]): NeedResidents(int(r["residents"]), int(r["also"])) for r in counted}


async def residents_by_theme(run_id: int) -> dict[str, int]:
    """Residents citing at least one need of each theme (by theme label), once each."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT n.theme_label, count(DISTINCT m.response_id) AS n FROM ("
            " SELECT need_id, response_id FROM need_answers WHERE run_id = $1"
            " AND need_id IS NOT NULL UNION ALL"
            " SELECT need_id, response_id FROM need_mentions WHERE run_id = $1) m"
            " JOIN needs n ON n.id = m.need_id WHERE n.is_need GROUP BY n.theme_label",
            run_id,
        )
    return {str(r["theme_label"]): int(r["n"]) for r in rows}


async def count_unclassified(run_id: int) -> int:
    """Real answers (non-answers left out) with no need, or in one marked "not a need"."""
    async with connection() as conn:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM need_answers na LEFT JOIN needs n ON n.id = na.need_id"
                " WHERE na.run_id = $1 AND NOT na.non_answer"
                " AND (na.need_id IS NULL OR NOT n.is_need)",
                run_id,
            )
        )


async def texts(run_id: int, need_id: int | None, code: str) -> list[TextAnswer]:
    """The answers (to ``code``) whose main need it is, by response; ``None``: unclassified."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT na.response_id, r.answers->>$3 AS text FROM need_answers na"
            " JOIN responses r ON r.id = na.response_id"
            " WHERE na.run_id = $1 AND na.need_id IS NOT DISTINCT FROM $2"
            " ORDER BY na.response_id",
            run_id,
            need_id,
            code,
        )
    return [TextAnswer(int(r["response_id"]), r["text"] or "") for r in rows]


async def move_to(conn: asyncpg.Connection, run_id: int, keep_id: int, gone: list[int]) -> None:
    """The answers of needs ``gone`` go to need ``keep_id``."""
    await conn.execute(
        "UPDATE need_answers SET need_id = $1 WHERE run_id = $2 AND need_id = ANY($3)",
        keep_id,
        run_id,
        gone,
    )


async def set_needs(
    conn: asyncpg.Connection, run_id: int, moves: Sequence[tuple[int | None, int]]
) -> None:
    """Give answers their new main need: (need, response) each."""
    await conn.executemany(
        "UPDATE need_answers SET need_id = $1 WHERE run_id = $3 AND response_id = $2",
        [(need_id, response_id, run_id) for need_id, response_id in moves],
    )


async def set_need(
    conn: asyncpg.Connection, run_id: int, response_id: int, need_id: int | None
) -> bool:
    """Give one answer its main need; False when the run holds no such answer."""
    result = await conn.execute(
        "UPDATE need_answers SET need_id = $1 WHERE run_id = $2 AND response_id = $3",
        need_id,
        run_id,
        response_id,
    )
    return not str(result).endswith(" 0")


async def points(run_id: int, code: str) -> list[AnswerPoint]:
    """Each real answer's place on the map, its need and its text (unmasked), by response."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT na.x, na.y, na.need_id, na.non_answer, r.answers->>$2 AS text"
            " FROM need_answers na JOIN responses r ON r.id = na.response_id"
            " WHERE na.run_id = $1 AND NOT na.non_answer ORDER BY na.response_id",
            run_id,
            code,
        )
    return [AnswerPoint(r["x"], r["y"], r["need_id"], r["text"] or "") for r in rows]


_BREAKDOWN = """
SELECT na.need_id, v.value, count(*) AS n FROM need_answers na
JOIN responses r ON r.id = na.response_id
CROSS JOIN LATERAL (SELECT {values} AS value) v
WHERE na.run_id = $1 AND na.need_id IS NOT NULL AND v.value IS NOT NULL
GROUP BY na.need_id, v.value
"""
_BREAKDOWN_SINGLE = _BREAKDOWN.format(values="r.answers->>$2")
_BREAKDOWN_MULTIPLE = _BREAKDOWN.format(values="jsonb_array_elements_text(r.answers->$2)")


async def counts_by_need_and_choice(
    run_id: int, code: str, *, multiple: bool
) -> list[NeedValueCount]:
    """Answers per need and per choice answered to ``code`` (each choice of a multiple one)."""
    async with connection() as conn:
        rows = await conn.fetch(
            _BREAKDOWN_MULTIPLE if multiple else _BREAKDOWN_SINGLE, run_id, code
        )
    return [NeedValueCount(int(r["need_id"]), str(r["value"]), int(r["n"])) for r in rows]


async def members_by_need(run_id: int) -> dict[int, set[int]]:
    """Residents (response ids) of each need of a run: main need or another of their answer."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT need_id, array_agg(DISTINCT response_id) AS ids FROM ("
            " SELECT need_id, response_id FROM need_answers WHERE run_id = $1"
            " AND need_id IS NOT NULL UNION ALL"
            " SELECT need_id, response_id FROM need_mentions WHERE run_id = $1) m"
            " GROUP BY need_id",
            run_id,
        )
    return {int(r["need_id"]): {int(i) for i in r["ids"]} for r in rows}


async def reviewed(run_id: int) -> list[ReviewedAnswer]:
    """Each real answer of a run, by response: the machine's need and the reviewed one."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT na.machine_need, coalesce(na.need_id, -1) AS need,"
            " coalesce(n.is_need, false) AS is_need FROM need_answers na"
            " LEFT JOIN needs n ON n.id = na.need_id"
            " WHERE na.run_id = $1 AND NOT na.non_answer ORDER BY na.response_id",
            run_id,
        )
    return [
        ReviewedAnswer(int(r["machine_need"]), int(r["need"]), bool(r["is_need"])) for r in rows
    ]


async def count_answered_under_filters(
    conn: asyncpg.Connection, definition: SurveyDef, filters: Filters, zone: ZoneInfo, run_id: int
) -> int:
    """Real answers (non-answers left out) of a run among the responses ``filters`` keep."""
    args: list[Any] = [definition.id, run_id]
    where = response_where(definition, filters, args, zone)
    answered = await conn.fetchval(
        "SELECT count(*) FROM need_answers na JOIN responses r ON r.id = na.response_id"
        f" WHERE na.run_id = $2 AND NOT na.non_answer AND {where}",
        *args,
    )
    return int(answered or 0)


class PlaceCount(NamedTuple):
    """Residents of one place (a territory choice's code)."""

    place: str
    residents: int


class NeedPlace(NamedTuple):
    need_id: int
    place: str
    residents: int


class Member(NamedTuple):
    need_id: int
    response_id: int


async def places_of_need(run_id: int, need_id: int, code: str) -> list[PlaceCount]:
    """(place, residents) of a need's answers by their answer to ``code``, most first."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT r.answers->>$3 AS place, count(*) AS n FROM need_answers na"
            " JOIN responses r ON r.id = na.response_id"
            " WHERE na.run_id = $1 AND na.need_id = $2 AND r.answers ? $3"
            " GROUP BY 1 ORDER BY 2 DESC, 1",
            run_id,
            need_id,
            code,
        )
    return [PlaceCount(str(r["place"]), int(r["n"])) for r in rows]


_PLACES = """
SELECT na.need_id, r.answers->>q.code AS place, count(*) AS n
FROM need_answers na
JOIN responses r ON r.id = na.response_id
JOIN sections sc ON sc.survey_id = r.survey_id
JOIN questions q ON q.section_id = sc.id AND q.kind = 'territory'
WHERE na.need_id = ANY($1::int[]) AND r.answers ? q.code
GROUP BY 1, 2
"""


async def places_by_need(need_ids: list[int]) -> list[NeedPlace]:
    """Residents of each of these needs per place of their survey's territory question."""
    async with connection() as conn:
        rows = await conn.fetch(_PLACES, need_ids)
    return [NeedPlace(int(r["need_id"]), str(r["place"]), int(r["n"])) for r in rows]


async def members_of_run(run_id: int) -> list[Member]:
    """The main need of each classified answer of a run."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT need_id, response_id FROM need_answers WHERE run_id = $1"
            " AND need_id IS NOT NULL",
            run_id,
        )
    return [Member(int(r["need_id"]), int(r["response_id"])) for r in rows]


_RESIDENTS = """
WITH latest AS (
    SELECT DISTINCT ON (survey_id, question_code) id, survey_id
    FROM analysis_runs ar JOIN analysis_run_states s ON s.run_id = ar.id
    WHERE s.state = 'done' AND NOT EXISTS (
        -- Residents who offered help are not residents in a need.
        SELECT 1 FROM sections sc JOIN questions q ON q.section_id = sc.id
        WHERE sc.survey_id = ar.survey_id AND q.code = ar.question_code
          AND (q.settings->>'offers') = 'true')
    ORDER BY survey_id, question_code, finished_at DESC NULLS LAST, id DESC
)
SELECT r.answers->>q.code AS place, count(DISTINCT r.id) AS n
FROM latest l
JOIN need_answers na ON na.run_id = l.id AND na.need_id IS NOT NULL
JOIN responses r ON r.id = na.response_id
JOIN sections sc ON sc.survey_id = l.survey_id
JOIN questions q ON q.section_id = sc.id AND q.kind = 'territory'
WHERE r.answers ? q.code
GROUP BY 1
"""


async def residents_in_needs_by_place() -> list[PlaceCount]:
    """Residents in a need of the newest run of each question (offers aside), per place."""
    async with connection() as conn:
        rows = await conn.fetch(_RESIDENTS)
    return [PlaceCount(str(r["place"]), int(r["n"])) for r in rows]


class Placement(NamedTuple):
    """A response placed in a need, through its answer to ``question_code``."""

    need_id: int
    response_id: int
    question_code: str


async def placements(conn: asyncpg.Connection, response_ids: Sequence[int]) -> list[Placement]:
    """Where these responses were placed, as answers or mentions, in every run's needs."""
    rows = await conn.fetch(
        "SELECT na.need_id, na.response_id, ar.question_code FROM ("
        " SELECT run_id, need_id, response_id FROM need_answers"
        " UNION ALL SELECT run_id, need_id, response_id FROM need_mentions) na"
        " JOIN analysis_runs ar ON ar.id = na.run_id"
        " WHERE na.response_id = ANY($1::bigint[]) AND na.need_id IS NOT NULL",
        list(response_ids),
    )
    return [Placement(int(r["need_id"]), int(r["response_id"]), r["question_code"]) for r in rows]
