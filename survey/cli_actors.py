"""`parlons actors import|export`: the directory in and out of files."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from survey import settings
from survey.runtime import open_database, orm

T = TypeVar("T")
EXIT_BAD_INPUT = 2


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``actors`` sub-command (import, export)."""
    p = subparsers.add_parser("actors", help="import or export the directory of local actors")
    sub = p.add_subparsers(dest="actors_command", required=True)
    i = sub.add_parser(
        "import",
        help="import actors from a file (all records or none)",
        description=(
            "Import a CSV, GoGoCarto or data·inclusion file. Every record is checked first; "
            "one invalid record and nothing is imported (a report is printed)."
        ),
    )
    i.add_argument("file", type=Path, metavar="FILE")
    i.add_argument("--format", choices=("csv", "gogocarto", "data-inclusion"), default=None)
    i.add_argument("--check", action="store_true", help="check the file without importing")
    i.set_defaults(func=_import)
    e = sub.add_parser("export", help="write the directory to stdout")
    e.add_argument("--format", choices=("csv", "geojson", "gogocarto"), default="csv")
    e.set_defaults(func=_export)


def _with_database(function: Callable[[], Awaitable[T]]) -> T:
    database = open_database(settings.load())

    async def run() -> T:
        async with orm(database.url):
            return await function()

    try:
        return asyncio.run(run())
    finally:
        database.stop()


def _fail(message: str) -> int:
    print(f"parlons actors: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _import(args: argparse.Namespace) -> int:
    from survey.domain.actors_io import ImportRefused, import_actors
    from survey.i18n import translate

    try:
        data = args.file.read_bytes()
    except OSError as error:
        return _fail(f"cannot read {args.file}: {error.strerror}")
    try:
        report = _with_database(
            lambda: import_actors(
                data, args.format or "", filename=args.file.name, dry_run=args.check
            )
        )
    except ImportRefused as exc:
        return _fail(f"{args.file}: {translate('en', exc.key, **exc.params)}")
    if report.errors:
        print(
            f"parlons actors: {args.file}: nothing imported, {len(report.errors)} problem(s) "
            f"in {report.records} records ({report.format}):",
            file=sys.stderr,
        )
        for e in report.errors:
            message = translate("en", e.error.key, **e.error.params)
            print(f"  record {e.row} ({_clip(e.name)}), {e.field}: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if report.imported:
        print(
            f"{report.records} records read ({report.format}): "
            f"{report.created} actors added, {report.updated} updated."
        )
    else:
        print(f"{report.records} records read ({report.format}): all can be imported.")
    return 0


def _clip(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _export(args: argparse.Namespace) -> int:
    from survey.domain import actors_io

    writer = {
        "csv": actors_io.export_csv,
        "geojson": actors_io.export_geojson,
        "gogocarto": actors_io.export_gogocarto,
    }[args.format]
    text = _with_database(writer)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()
    return 0
