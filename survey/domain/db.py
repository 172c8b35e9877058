"""Raw connection access for the few hot or set-based queries the ORM does not express."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from tortoise import connections

from survey.db import CONNECTION_ERRORS
from survey.errors import Unavailable


@asynccontextmanager
async def connection() -> AsyncIterator[asyncpg.Connection]:
    """A pooled asyncpg connection; database outages become ``Unavailable``."""
    client = connections.get("default")
    try:
        async with client.acquire_connection() as conn:
            yield conn
    except CONNECTION_ERRORS as exc:
        raise Unavailable("error.database_unavailable") from exc
