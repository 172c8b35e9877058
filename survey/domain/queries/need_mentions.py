"""The ``need_mentions`` table: the other needs of an answer that speaks of several."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from survey.domain.db import connection
from survey.domain.queries.responses import TextAnswer


async def insert(conn: asyncpg.Connection, rows: Sequence[tuple[int, int, int, int]]) -> None:
    """Store mentions: (run, response, need, rank) each; one already there is kept."""
    await conn.executemany(
        "INSERT INTO need_mentions (run_id, response_id, need_id, rank)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        rows,
    )


async def texts(run_id: int, need_id: int, code: str) -> list[TextAnswer]:
    """The answers (to ``code``) that speak of a need besides their main one, by response."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT m.response_id, r.answers->>$3 AS text FROM need_mentions m"
            " JOIN responses r ON r.id = m.response_id"
            " WHERE m.run_id = $1 AND m.need_id = $2 ORDER BY m.response_id",
            run_id,
            need_id,
            code,
        )
    return [TextAnswer(int(r["response_id"]), r["text"] or "") for r in rows]


async def merge_into(conn: asyncpg.Connection, run_id: int, keep_id: int, gone: list[int]) -> None:
    """Mentions of needs ``gone`` become mentions of ``keep_id``, once per answer, and none
    of an answer whose main need it is (call after the answers moved to ``keep_id``)."""
    # Other needs of an answer that now all are the kept one: nothing to add.
    await conn.execute(
        "DELETE FROM need_mentions m WHERE m.run_id = $2 AND m.need_id = ANY($3)"
        " AND (EXISTS (SELECT 1 FROM need_answers na WHERE na.run_id = m.run_id"
        " AND na.response_id = m.response_id AND na.need_id = $1)"
        " OR EXISTS (SELECT 1 FROM need_mentions o WHERE o.run_id = m.run_id"
        " AND o.response_id = m.response_id AND o.need_id = $1))",
        keep_id,
        run_id,
        gone,
    )
    # Two merged needs mentioned by one answer become one mention.
    await conn.execute(
        "DELETE FROM need_mentions m WHERE m.run_id = $1 AND m.need_id = ANY($2)"
        " AND EXISTS (SELECT 1 FROM need_mentions o WHERE o.run_id = m.run_id"
        " AND o.response_id = m.response_id AND o.need_id = ANY($2) AND o.id < m.id)",
        run_id,
        gone,
    )
    await conn.execute(
        "UPDATE need_mentions SET need_id = $1 WHERE run_id = $2 AND need_id = ANY($3)",
        keep_id,
        run_id,
        gone,
    )
    # An answer whose main need was merged into one it also mentioned.
    await conn.execute(
        "DELETE FROM need_mentions m USING need_answers na WHERE m.run_id = $2"
        " AND m.need_id = $1 AND na.run_id = m.run_id"
        " AND na.response_id = m.response_id AND na.need_id = $1",
        keep_id,
        run_id,
    )


async def insert_unless_main(
    conn: asyncpg.Connection, run_id: int, rows: Sequence[tuple[int, int | None]]
) -> None:
    """Mention needs of answers, (response, need) each, rank 1; none where the need is None
    or already the answer's main need."""
    await conn.executemany(
        "INSERT INTO need_mentions (run_id, response_id, need_id, rank)"
        " SELECT $1, $2, $3, 1 WHERE $3::int IS NOT NULL AND NOT EXISTS ("
        " SELECT 1 FROM need_answers na WHERE na.run_id = $1 AND na.response_id = $2"
        " AND na.need_id = $3) ON CONFLICT DO NOTHING",
        [(run_id, response_id, need_id) for response_id, need_id in rows],
    )


async def delete_one(
    conn: asyncpg.Connection, run_id: int, response_id: int, need_id: int | None
) -> None:
    """An answer no longer mentions this need (it became its main one)."""
    await conn.execute(
        "DELETE FROM need_mentions WHERE run_id = $1 AND response_id = $2 AND need_id = $3",
        run_id,
        response_id,
        need_id,
    )
