"""The ``needs`` table: the needs an analysis run found, as staff reviewed them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import asyncpg

from survey.domain.db import connection


async def survey_of(conn: asyncpg.Connection, need_id: int) -> int | None:
    """The survey whose answers a need was found in (None: no such need)."""
    value = await conn.fetchval(
        "SELECT r.survey_id FROM needs n JOIN analysis_runs r ON r.id = n.run_id WHERE n.id = $1",
        need_id,
    )
    return None if value is None else int(value)


class SizedNeed(NamedTuple):
    id: int
    label: str  # the reviewed name, else the found one
    survey_id: int
    size: int  # answers in the need


async def sized(need_id: int) -> SizedNeed | None:
    """A need's name, survey and number of answers."""
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT n.id, coalesce(n.staff_label, n.label) AS label, r.survey_id,"
            " (SELECT count(*) FROM need_answers a WHERE a.need_id = n.id) AS size"
            " FROM needs n JOIN analysis_runs r ON r.id = n.run_id WHERE n.id = $1",
            need_id,
        )
    return None if row is None else SizedNeed(**dict(row))


class NamedNeed(NamedTuple):
    id: int
    label: str  # the reviewed name, else the found one
    survey_id: int


async def named(conn: asyncpg.Connection, need_id: int | None) -> NamedNeed | None:
    """A need's name and survey (None: no such need)."""
    row = await conn.fetchrow(
        "SELECT n.id, coalesce(n.staff_label, n.label) AS label, r.survey_id"
        " FROM needs n JOIN analysis_runs r ON r.id = n.run_id WHERE n.id = $1",
        need_id,
    )
    return None if row is None else NamedNeed(**dict(row))


async def current_name(need_id: int, limit: int) -> str | None:
    """A need's reviewed name, else its found one, cut to ``limit`` characters (None: the
    need is gone)."""
    async with connection() as conn:
        name = await conn.fetchval(
            "SELECT left(coalesce(staff_label, label), $2) FROM needs WHERE id = $1",
            need_id,
            limit,
        )
    return None if name is None else str(name)


class FedNeed(NamedTuple):
    id: int
    need: str  # the reviewed name, else the found one


_FED_BY = """
SELECT DISTINCT ON (n.id) n.id, coalesce(n.staff_label, n.label) AS need
FROM need_answers na
JOIN needs n ON n.id = na.need_id
JOIN analysis_runs ar ON ar.id = na.run_id
WHERE na.response_id = $1 AND n.is_need AND ar.id = (
    SELECT r2.id FROM analysis_runs r2 WHERE r2.survey_id = ar.survey_id
    AND r2.question_code = ar.question_code
    AND (SELECT s.state FROM analysis_run_states s WHERE s.run_id = r2.id) = 'done'
    ORDER BY r2.finished_at DESC NULLS LAST, r2.id DESC LIMIT 1)
ORDER BY n.id
"""


async def fed_by_response(conn: asyncpg.Connection, response_id: int) -> list[FedNeed]:
    """The needs one response's answers landed in, in the latest finished run of each
    question (answers left unclassified, and needs marked "not a need", are left out)."""
    rows = await conn.fetch(_FED_BY, response_id)
    return [FedNeed(int(r["id"]), r["need"]) for r in rows]


# The tables whose rows point at a need (``need_id``) and follow it to the next run.
_POINTING = ("consultation_options", "actions", "actor_need_links")
# What a merge or a split moves to the need that carries on (actor decisions move apart).
_FOLLOWERS = ("consultation_options", "actions")


async def main_answers_by_need(run_id: int) -> list[list[int]]:
    """Each need of a run, in position order, as the responses whose main need it is."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT n.id, array_remove(array_agg(a.response_id), NULL) AS ids"
            " FROM needs n LEFT JOIN need_answers a ON a.need_id = n.id AND a.run_id = $1"
            " WHERE n.run_id = $1 GROUP BY n.id, n.position ORDER BY n.position",
            run_id,
        )
    return [[int(i) for i in row["ids"]] for row in rows]


async def pointed_at(need_ids: Sequence[int]) -> set[int]:
    """Those of ``need_ids`` that ballot options, actions or actor decisions point at."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT need_id FROM consultation_options WHERE need_id = ANY($1::int[])"
            " UNION SELECT need_id FROM actions WHERE need_id = ANY($1::int[])"
            " UNION SELECT need_id FROM actor_need_links WHERE need_id = ANY($1::int[])",
            list(need_ids),
        )
    return {int(r["need_id"]) for r in rows}


async def repoint(pairs: Sequence[tuple[int, int]]) -> None:
    """Ballot options, actions and actor decisions pointing at the first need of each pair
    point at the second."""
    async with connection() as conn:
        for table in _POINTING:
            await conn.executemany(
                f"UPDATE {table} SET need_id = $2 WHERE need_id = $1",  # noqa: S608
                pairs,
            )


async def move_followers(conn: asyncpg.Connection, from_ids: Sequence[int], to_id: int) -> None:
    """Ballot options and actions pointing at any of ``from_ids`` point at ``to_id`` (a
    merge keeps what was decided on each merged need; a split, on its largest part).

    Of a consultation's options that now follow ``to_id``'s name, the first keeps following
    it; the others keep the title they have, so a ballot never shows one name twice."""
    for table in _FOLLOWERS:
        await conn.execute(
            f"UPDATE {table} SET need_id = $1 WHERE need_id = ANY($2::int[])",  # noqa: S608
            to_id,
            list(from_ids),
        )
    await conn.execute(
        "UPDATE consultation_options o SET follows_need = false"
        " WHERE o.need_id = $1 AND o.follows_need AND EXISTS ("
        " SELECT 1 FROM consultation_options k WHERE k.consultation_id = o.consultation_id"
        " AND k.need_id = $1 AND k.follows_need AND k.id < o.id)",
        to_id,
    )


class LargeNeed(NamedTuple):
    """A need of the newest run of its question, with its residents now."""

    id: int
    label: str
    run_id: int
    survey_id: int
    question_code: str
    survey_slug: str
    survey_title: dict[str, str]
    size: int


# The newest finished run of each question of each survey, and its needs with live sizes.
_LARGEST = """
WITH latest AS (
    SELECT DISTINCT ON (survey_id, question_code) id, survey_id, question_code
    FROM analysis_runs ar JOIN analysis_run_states s ON s.run_id = ar.id
    WHERE s.state = 'done' AND NOT EXISTS (
        -- The kinds of help residents offer are not needs.
        SELECT 1 FROM sections sc JOIN questions q ON q.section_id = sc.id
        WHERE sc.survey_id = ar.survey_id AND q.code = ar.question_code
          AND (q.settings->>'offers') = 'true')
    ORDER BY survey_id, question_code, finished_at DESC NULLS LAST, id DESC
)
SELECT n.id, coalesce(n.staff_label, n.label) AS label, l.id AS run_id, l.survey_id,
       l.question_code, s.slug, s.title_fr, s.title_en, count(na.id) AS size
FROM latest l
JOIN surveys s ON s.id = l.survey_id
JOIN needs n ON n.run_id = l.id AND n.is_need
JOIN need_answers na ON na.need_id = n.id
GROUP BY n.id, l.id, l.survey_id, l.question_code, s.slug, s.title_fr, s.title_en
HAVING count(na.id) >= $1
ORDER BY count(na.id) DESC, n.id
"""


async def largest_in_newest_runs(min_size: int) -> list[LargeNeed]:
    """The needs of at least ``min_size`` residents in each question's newest run (the
    offers questions aside), largest first."""
    async with connection() as conn:
        rows = await conn.fetch(_LARGEST, min_size)
    return [
        LargeNeed(
            id=int(r["id"]),
            label=str(r["label"]),
            run_id=int(r["run_id"]),
            survey_id=int(r["survey_id"]),
            question_code=str(r["question_code"]),
            survey_slug=str(r["slug"]),
            survey_title={"fr": r["title_fr"], "en": r["title_en"]},
            size=int(r["size"]),
        )
        for r in rows
    ]
