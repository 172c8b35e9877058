"""Readiness: whether the database answers, for load balancers and container health checks."""

from __future__ import annotations

import asyncio
import logging

from survey.domain.queries import server

log = logging.getLogger("parlons")
# A container health check gives up after a few seconds: answer before it does.
PROBE_SECONDS = 3.0


async def database_answers() -> bool:
    """True when PostgreSQL runs a trivial query within ``PROBE_SECONDS``."""
    try:
        async with asyncio.timeout(PROBE_SECONDS):
            return await server.runs_a_query()
    # Whatever stops the query (refused, restarting, closed database, too slow) means "not
    # ready"; the probe reports it and must not turn it into a 500.
    except Exception as exc:
        log.warning("health check: database not answering (%s)", type(exc).__name__)
        return False
