"""The ``followups`` table: each survey's follow-up page settings, and when its last news
digest went out."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import asyncpg


class DueDigest(NamedTuple):
    survey_id: int
    address: str
    since: dt.datetime


_DUE = """
SELECT f.survey_id, f.address, coalesce(f.digest_sent_at, f.published_at) AS since
FROM followups f
WHERE f.published AND f.address <> ''
  AND (f.digest_sent_at IS NULL OR f.digest_sent_at <= $1::timestamptz - $2::interval)
  AND EXISTS (SELECT 1 FROM followup_subscribers s WHERE s.survey_id = f.survey_id)
  AND (EXISTS (SELECT 1 FROM actions a WHERE a.survey_id = f.survey_id
               AND a.updated_at > coalesce(f.digest_sent_at, f.published_at))
       OR EXISTS (SELECT 1 FROM consultations c
                  JOIN consultation_options o ON o.consultation_id = c.id
                  JOIN needs n ON n.id = o.need_id
                  JOIN analysis_runs ar ON ar.id = n.run_id
                  WHERE ar.survey_id = f.survey_id AND c.published
                  AND c.published_at > coalesce(f.digest_sent_at, f.published_at)))
"""


async def due_digests(
    conn: asyncpg.Connection, now: dt.datetime, every: dt.timedelta
) -> list[DueDigest]:
    """Published follow-ups with subscribers, news since their last digest (or since they
    were published), and no digest in the ``every`` before ``now``."""
    rows = await conn.fetch(_DUE, now, every)
    return [DueDigest(int(r["survey_id"]), r["address"], r["since"]) for r in rows]


async def take_digest(
    conn: asyncpg.Connection, survey_id: int, now: dt.datetime, every: dt.timedelta
) -> bool:
    """Date a survey's digest ``now`` unless one went out in the ``every`` before; False
    when another process took it first."""
    taken = await conn.fetchval(
        "UPDATE followups SET digest_sent_at = $2 WHERE survey_id = $1"
        " AND (digest_sent_at IS NULL OR digest_sent_at <= $2::timestamptz - $3::interval)"
        " RETURNING survey_id",
        survey_id,
        now,
        every,
    )
    return taken is not None
