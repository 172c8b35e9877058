"""`parlons actors import|export`: the directory in and out of files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from survey.cli_common import EXIT_BAD_INPUT, fail, positive, with_database


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    m = subparsers.add_parser(
        "match",
        help="rank the actors of a CSV for each need of another CSV (no database)",
        description=(
            "For each need (a CSV column), rank the actors of ACTORS.csv by meaning and "
            "neighbourhood, and write need_row,rank,actor_row,score (0-based data rows)."
        ),
    )
    m.add_argument("--needs", type=Path, required=True, metavar="NEEDS.csv")
    m.add_argument("--column", required=True, help="column of NEEDS.csv holding each need")
    m.add_argument(
        "--place-column", default=None, help="column of NEEDS.csv holding its neighbourhood"
    )
    m.add_argument("--actors", type=Path, required=True, metavar="ACTORS.csv")
    m.add_argument(
        "--actor-columns",
        required=True,
        metavar="NAME,OFFER[,PLACE]",
        help="columns of ACTORS.csv: name, what it offers, and optionally its neighbourhood",
    )
    m.add_argument("--top", type=positive, default=3, metavar="K")
    m.add_argument("--output", type=Path, required=True, metavar="OUT.csv")
    m.set_defaults(func=_match)


def _import(args: argparse.Namespace) -> int:
    from survey.domain.actors_io import ImportRefused, import_actors
    from survey.i18n import translate

    try:
        data = args.file.read_bytes()
    except OSError as error:
        return fail("actors", f"cannot read {args.file}: {error.strerror}")
    try:
        report = with_database(
            lambda: import_actors(
                data, args.format or "", filename=args.file.name, dry_run=args.check
            )
        )
    except ImportRefused as exc:
        return fail("actors", f"{args.file}: {translate('en', exc.key, **exc.params)}")
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
    text = with_database(writer)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()
    return 0


def _match(args: argparse.Namespace) -> int:
    import csv

    from analysis.csvio import TableError, read_table
    from analysis.matching import OfferMatcher

    columns = [c.strip() for c in args.actor_columns.split(",")]
    if len(columns) not in (2, 3) or not all(columns):
        return fail("match", "--actor-columns takes NAME,OFFER or NAME,OFFER,PLACE")
    try:
        needs_table = read_table(args.needs)
        needs = needs_table.column(args.column)
        need_places = needs_table.column(args.place_column) if args.place_column else None
        actors_table = read_table(args.actors)
        names, offers = (actors_table.column(c) for c in columns[:2])
        places = actors_table.column(columns[2]) if len(columns) == 3 else None
    except TableError as error:
        return fail("match", _table_message(error))
    if not needs or not offers:
        return fail("match", "no data rows in " + str(args.needs if not needs else args.actors))
    # One offer per line: semicolons separate offers typed in one cell.
    texts = [
        "\n".join([name, *(part.strip() for part in offer.replace(";", "\n").split("\n"))])
        for name, offer in zip(names, offers, strict=True)
    ]
    matcher = OfferMatcher(min_score=0.0).fit(texts, places)
    ranked = matcher.rank(needs, need_places if places is not None else None, top=args.top)
    try:
        with open(args.output, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["need_row", "rank", "actor_row", "score"])
            for matches in ranked:
                for match in matches:
                    writer.writerow([match.need, match.rank, match.actor, f"{match.score:.4f}"])
    except OSError as error:
        return fail("match", f"cannot write {args.output}: {error.strerror}")
    print(f"{len(needs)} needs, {len(offers)} actors, top {args.top} written to {args.output}")
    return 0


def _table_message(error: Exception) -> str:
    params = getattr(error, "params", {})
    key = getattr(error, "key", "")
    if key == "csv.missing_column":
        available = ", ".join(repr(c) for c in params.get("available", [])) or "none"
        return f"no column {params.get('column')!r}; available columns: {available}"
    if key == "csv.unreadable":
        return f"cannot read {params.get('path', 'the file')}: {params.get('reason', '')}"
    return key.replace(".", " ")
