"""The ``invitation_mails`` table: invitation codes sent by e-mail, with the address until
the message is sent (then only its masked form and keyed hash)."""

from __future__ import annotations

from survey.domain.db import connection


async def erase_undelivered(days: int) -> list[tuple[str, int]]:
    """Erase the addresses of mails not sent and queued more than ``days`` ago: how many per
    survey slug, by slug."""
    async with connection() as conn:
        rows = await conn.fetch(
            "WITH erased AS ("
            " UPDATE invitation_mails SET email = NULL"
            " WHERE email IS NOT NULL AND status <> 'sent'"
            " AND created_at < now() - make_interval(days => $1) RETURNING survey_id)"
            " SELECT s.slug, count(*) AS erased FROM erased JOIN surveys s"
            " ON s.id = erased.survey_id GROUP BY s.slug ORDER BY s.slug",
            days,
        )
    return [(r["slug"], int(r["erased"])) for r in rows]
