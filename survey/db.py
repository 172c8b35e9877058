"""Database wiring: connection settings, database creation, migrations."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import asyncpg
from tortoise.exceptions import DBConnectionError

from survey.resources import migrations_dir

MIGRATIONS = migrations_dir()
MODEL_MODULES = [
    "survey.models.core",
    "survey.models.needs",
    "survey.models.councils",
    "survey.models.authoring",
    "survey.models.sortition",
    "survey.models.actions",
    "survey.models.followup",
    "survey.models.team",
    "survey.models.actors",
]

# What asyncpg and the OS raise while PostgreSQL restarts or is unreachable.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    ConnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
    asyncpg.AdminShutdownError,
    # A connection broken in the middle of an operation can surface as this state error.
    asyncpg.InternalClientError,
    DBConnectionError,
)


def credentials(url: str) -> dict[str, Any]:
    """Split a ``postgresql://`` URL (TCP or ``?host=/socket/dir``) into asyncpg arguments."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"DATABASE_URL must start with postgresql://, got {parsed.scheme!r}")
    query = parse_qs(parsed.query)
    host = query.get("host", [parsed.hostname or "localhost"])[0]
    return {
        "host": host,
        "port": parsed.port or int(query.get("port", ["5432"])[0]),
        "user": unquote(parsed.username or "postgres"),
        "password": unquote(parsed.password or ""),
        "database": unquote(parsed.path.lstrip("/") or "postgres"),
    }


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    parsed = urlparse(url)
    return parsed._replace(path="/" + database).geturl()


async def keep_session(conn: asyncpg.Connection) -> None:
    """Pool reset hook: nothing to reset, so no round trip when a connection is released.

    asyncpg's default reset sends ``RESET ALL; UNLISTEN *; ...`` to the server after every
    use of a pooled connection. Parlons leaves no session state behind (its locks and
    settings are transaction-scoped: ``pg_advisory_xact_lock``, ``SET LOCAL``; a test checks
    the code for session-scoped ones), and the pool still rolls back an open transaction.
    """


def tortoise_config(url: str, *, pool_max: int = 10) -> dict[str, Any]:
    creds = credentials(url)
    # Fail fast while PostgreSQL restarts: a connection attempt to a server that is
    # shutting down can hang, and every pooled request would queue behind it.
    creds.update({"minsize": 1, "maxsize": pool_max, "timeout": 5, "command_timeout": 60})
    creds["reset"] = keep_session
    return {
        "connections": {"default": {"engine": "tortoise.backends.asyncpg", "credentials": creds}},
        "apps": {
            "models": {"models": [*MODEL_MODULES, "aerich.models"], "default_connection": "default"}
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def ensure_database(url: str) -> None:
    """Create the database named in ``url`` when the server does not have it yet."""
    creds = credentials(url)
    name = creds["database"]
    admin = await asyncpg.connect(**{**creds, "database": "postgres"})
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def drop_database(url: str) -> None:
    creds = credentials(url)
    admin = await asyncpg.connect(**{**creds, "database": "postgres"})
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{creds["database"]}" WITH (FORCE)')
    finally:
        await admin.close()


async def migrate(url: str) -> list[str]:
    """Apply pending aerich migrations; return the names applied."""
    from aerich import Command

    await ensure_database(url)
    command = Command(
        tortoise_config=tortoise_config(url, pool_max=2), app="models", location=str(MIGRATIONS)
    )
    await command.init()
    try:
        return list(await command.upgrade(run_in_transaction=True))
    finally:
        from tortoise import Tortoise

        await Tortoise.close_connections()
