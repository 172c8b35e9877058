"""The ``actor_need_links`` table: staff's decisions on actors for needs, keyed by the need."""

from __future__ import annotations

from typing import NamedTuple

import asyncpg
from tortoise import BaseDBAsyncClient

from survey.domain.db import connection


async def merge_into(conn: asyncpg.Connection, keep_id: int, merged_ids: list[int]) -> None:
    """The decisions of needs merged into ``keep_id`` move to it; an actor decided on
    several of them keeps one decision: a confirmation, one that made an action, the kept
    need's own, the newest, in that order."""
    every = [keep_id, *merged_ids]
    await conn.execute(
        "DELETE FROM actor_need_links WHERE id IN (SELECT id FROM ("
        " SELECT id, row_number() OVER (PARTITION BY actor_id ORDER BY state = 'confirmed'"
        " DESC, action_id IS NOT NULL DESC, need_id = $1 DESC, decided_at DESC, id DESC) AS n"
        " FROM actor_need_links WHERE need_id = ANY($2::int[])) ranked WHERE n > 1)",
        keep_id,
        every,
    )
    await conn.execute(
        "UPDATE actor_need_links SET need_id = $1 WHERE need_id = ANY($2::int[])",
        keep_id,
        merged_ids,
    )


async def split_into(conn: asyncpg.Connection, need_id: int, part_ids: list[int]) -> None:
    """The decisions of a need split into ``part_ids`` hold for each part."""
    await conn.execute(
        "INSERT INTO actor_need_links (actor_id, survey_id, question_code, need_label,"
        " need_id, state, score, reason, action_id, decided_at)"
        " SELECT l.actor_id, l.survey_id, l.question_code, l.need_label, p.id, l.state,"
        " l.score, l.reason, l.action_id, l.decided_at"
        " FROM actor_need_links l CROSS JOIN unnest($2::int[]) AS p(id)"
        " WHERE l.need_id = $1 ON CONFLICT DO NOTHING",
        need_id,
        part_ids,
    )
    await conn.execute("DELETE FROM actor_need_links WHERE need_id = $1", need_id)


class ActorDecision(NamedTuple):
    """One decision on an actor, with its need as it stands now."""

    link_id: int
    state: str
    survey_slug: str
    survey_title: dict[str, str]
    # The need's name now (the name decided under when it has no need yet).
    need_label: str
    need_id: int | None
    run_id: int | None
    # The need is one of the newest finished run of its question.
    current: bool
    action_id: int | None


_OF_ACTOR = """
SELECT l.id, l.state, l.need_id, l.action_id, s.slug, s.title_fr, s.title_en, n.run_id,
       coalesce(n.staff_label, n.label, l.need_label) AS label,
       n.run_id IS NOT NULL AND n.run_id = (
           SELECT r.id FROM analysis_runs r JOIN analysis_run_states rs ON rs.run_id = r.id
           WHERE r.survey_id = l.survey_id AND r.question_code = l.question_code
             AND rs.state = 'done'
           ORDER BY r.finished_at DESC NULLS LAST, r.id DESC LIMIT 1) AS current
FROM actor_need_links l
JOIN surveys s ON s.id = l.survey_id
LEFT JOIN needs n ON n.id = l.need_id
WHERE l.actor_id = $1
ORDER BY s.id, l.question_code, label, l.id
"""


async def of_actor(actor_id: int) -> list[ActorDecision]:
    """An actor's decisions, survey by survey, each with its need's name now."""
    async with connection() as conn:
        rows = await conn.fetch(_OF_ACTOR, actor_id)
    return [
        ActorDecision(
            link_id=int(r["id"]),
            state=str(r["state"]),
            survey_slug=str(r["slug"]),
            survey_title={"fr": r["title_fr"], "en": r["title_en"]},
            need_label=str(r["label"]),
            need_id=r["need_id"],
            run_id=r["run_id"],
            current=bool(r["current"]),
            action_id=r["action_id"],
        )
        for r in rows
    ]


async def move_to_actor(tx: BaseDBAsyncClient, kept_id: int, merged_ids: list[int]) -> None:
    """In the caller's transaction: the decisions of merged entries go to the kept one; one
    the kept entry already has on the same need wins over the others'."""
    await tx.execute_query(
        "UPDATE actor_need_links l SET actor_id = $1 WHERE l.actor_id = ANY($2::int[])"
        " AND NOT EXISTS (SELECT 1 FROM actor_need_links k WHERE k.actor_id = $1"
        " AND (k.need_id = l.need_id OR k.need_id IS NULL AND l.need_id IS NULL"
        " AND k.survey_id = l.survey_id AND k.question_code = l.question_code"
        " AND k.need_label = l.need_label))",
        [kept_id, merged_ids],
    )


async def confirmed_need_ids() -> set[int]:
    """The needs some actor is confirmed for."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT DISTINCT need_id FROM actor_need_links"
            " WHERE state = 'confirmed' AND need_id IS NOT NULL"
        )
    return {int(r["need_id"]) for r in rows}
