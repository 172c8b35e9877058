"""What the ``parlons`` sub-commands share: a domain call with the database open, a
positive-number argument, and the error line of bad input."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from survey import settings
from survey.runtime import open_database, orm

T = TypeVar("T")
# The exit status of a command refused for its input (argparse's own, for usage errors).
EXIT_BAD_INPUT = 2


def with_database(function: Callable[[], Awaitable[T]]) -> T:
    """Run one domain call with the database open (embedded or ``DATABASE_URL``)."""
    database = open_database(settings.load())

    async def run() -> T:
        async with orm(database.url):
            return await function()

    try:
        return asyncio.run(run())
    finally:
        database.stop()


def positive(value: str) -> int:
    """An argument that must be a whole number of at least one."""
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return number


def fail(command: str, message: str) -> int:
    """Say why ``parlons COMMAND`` refused its input, on stderr; return the exit status."""
    print(f"parlons {command}: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT
