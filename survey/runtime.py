"""Start-up shared by the commands: find or start PostgreSQL, migrate, open the ORM."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from tortoise import Tortoise

from survey import db
from survey.pgserver import EmbeddedPostgres
from survey.settings import Settings


@dataclass
class Database:
    url: str
    embedded: EmbeddedPostgres | None = None

    def stop(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()


def open_database(settings: Settings) -> Database:
    """Use ``DATABASE_URL`` or start the embedded server; create the database; migrate."""
    if settings.database_url:
        database = Database(settings.database_url)
    else:
        embedded = EmbeddedPostgres(settings.data_dir)
        url = db.with_database(embedded.start(), settings.database_name)
        database = Database(url, embedded)
    try:
        asyncio.run(db.migrate(database.url))
    except BaseException:
        database.stop()
        raise
    return database


@asynccontextmanager
async def orm(url: str) -> AsyncIterator[None]:
    """The ORM opened for a command (outside the web app)."""
    await Tortoise.init(config=db.tortoise_config(url, pool_max=4))
    try:
        yield
    finally:
        await Tortoise.close_connections()
