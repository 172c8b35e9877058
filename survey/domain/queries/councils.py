"""The ``councils`` table (a council's own row is read and written through its model)."""

from __future__ import annotations

from typing import NamedTuple

from survey.domain.db import connection


class CouncilSummary(NamedTuple):
    id: int
    name: str
    description: str
    members: int  # active ones
    consultations: int


async def with_counts() -> list[CouncilSummary]:
    """Every council, newest first, with its member and consultation counts (one query)."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT c.id, c.name, c.description,"
            " (SELECT count(*) FROM council_members m WHERE m.council_id = c.id AND m.active)"
            "   AS members,"
            " (SELECT count(*) FROM consultations k WHERE k.council_id = c.id) AS consultations"
            " FROM councils c ORDER BY c.created_at DESC, c.id DESC"
        )
    return [
        CouncilSummary(
            int(r["id"]), r["name"], r["description"], int(r["members"]), int(r["consultations"])
        )
        for r in rows
    ]
