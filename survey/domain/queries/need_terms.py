"""Which need of a run holds the answers that use some words: the demo's confirmed matches
find their need so, whatever the analysis names it."""

from __future__ import annotations

from collections.abc import Sequence

from survey.domain.db import connection
from survey.domain.queries.need_sizes import citing

# Per need of run $1: its residents, and those whose answer to $2 matches one of $3. The
# citations come from a constant fragment.
_CITING_MOST = f"""
WITH counted AS (
    SELECT n.id, n.position, count(DISTINCT c.response_id) AS residents,
           count(DISTINCT c.response_id)
               FILTER (WHERE r.answers->>$2 ~* ANY($3::text[])) AS matching
    FROM needs n
    JOIN {citing(1)} c ON c.need_id = n.id
    JOIN responses r ON r.id = c.response_id
    WHERE n.run_id = $1 AND n.is_need
    GROUP BY n.id, n.position
)
SELECT id FROM counted WHERE matching > 0
ORDER BY matching DESC, matching::float / residents DESC, position
LIMIT 1
"""  # noqa: S608


async def need_citing_most(run_id: int, code: str, patterns: Sequence[str]) -> int | None:
    """The need (not set aside) of run ``run_id`` whose residents' answers to ``code`` most
    often match one of ``patterns`` (PostgreSQL regular expressions, case ignored), main
    need or not; ties to the larger share of its residents, then the first position. None
    when no answer matches."""
    async with connection() as conn:
        found = await conn.fetchval(_CITING_MOST, run_id, code, list(patterns))
    return None if found is None else int(found)
