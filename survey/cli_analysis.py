"""`parlons cluster`: needs clustering of a CSV column, no database needed."""

from __future__ import annotations

import argparse
import csv
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from analysis.clustering import TwoLevelResult, cluster_needs
from analysis.csvio import TableError, read_table
from analysis.text import mask_personal_data
from analysis.themes import VocabularyError, load_vocabulary
from survey.cli_common import positive

EXIT_USAGE = 2

_MESSAGES = {
    "csv.empty": "the file {path} is empty or has no data rows",
    "csv.unreadable": "cannot read {path}: {reason}",
    "csv.too_large": "the file {path} is too large ({detail})",
    "csv.missing_column": "no column {column!r} in {path}; available columns: {available}",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``cluster`` sub-command."""
    p = subparsers.add_parser(
        "cluster",
        help="group the free-text answers of a CSV column into needs",
        description=(
            "Group the answers of one CSV column into themes and needs and write "
            "row,cluster,label,theme,theme_label: one line per need of an answer, its main "
            "need first. Cluster -1 holds non-answers and unclassified answers."
        ),
    )
    p.add_argument("input", type=Path, metavar="INPUT.csv", help="CSV file (any common export)")
    p.add_argument("--column", required=True, help="title of the column holding the answers")
    p.add_argument("--language", choices=("fr", "en", "auto"), default="auto")
    p.add_argument(
        "--clusters",
        type=positive,
        default=None,
        metavar="K",
        help="force the number of needs (default: chosen automatically)",
    )
    p.add_argument(
        "--themes",
        type=Path,
        default=None,
        metavar="FILE",
        help="vocabulary of themes (JSON, same format as the built-in one) to guide grouping",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same result)")
    p.add_argument("--output", type=Path, required=True, metavar="OUT.csv")
    p.add_argument("--max-rows", type=positive, default=100_000, help=argparse.SUPPRESS)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        table = read_table(args.input, max_rows=args.max_rows)
        answers = table.column(args.column)
    except TableError as error:
        return _fail(_describe(error, args.input))
    if not answers:
        return _fail(_describe(TableError("csv.empty"), args.input))
    if args.clusters is not None and args.clusters > len(answers):
        return _fail(f"--clusters {args.clusters} is more than the {len(answers)} answers")
    try:
        vocabulary = load_vocabulary(args.themes) if args.themes is not None else None
    except VocabularyError as error:
        return _fail(f"{args.themes}: {error}")
    texts = [mask_personal_data(answer) for answer in answers]
    try:
        with _progress(f"clustering {len(texts)} answers", sys.stderr):
            result = cluster_needs(
                texts,
                language=args.language,
                n_clusters=args.clusters,
                vocabulary=vocabulary,
                random_state=args.seed,
            )
    except ValueError as error:
        # For instance more needs forced than there are real answers once non-answers go.
        return _fail(str(error))
    try:
        _write_output(args.output, result)
    except OSError as error:
        return _fail(f"cannot write {args.output}: {error.strerror}")
    _print_summary(result, texts, sys.stdout)
    return 0


def _describe(error: TableError, path: Path) -> str:
    params = {name: value for name, value in error.params.items() if name != "path"}
    # csvio raises "csv.missing_column" with the header's column names as a list.
    available = params.get("available")
    if isinstance(available, list):
        params["available"] = ", ".join(repr(name) for name in available) or "none"
    params.setdefault("reason", "unknown error")
    detail = ", ".join(f"{k} {v}" for k, v in params.items() if k in {"size", "rows", "limit"})
    template = _MESSAGES.get(error.key, "{path}: " + error.key)
    return template.format(path=path, detail=detail, **params)


def _fail(message: str) -> int:
    print(f"parlons cluster: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _write_output(path: Path, result: TwoLevelResult) -> None:
    labels = {need.cluster: need.label for need in result.needs}
    theme_of = {need: theme.theme for theme in result.themes for need in theme.needs}
    theme_labels = {theme.theme: theme.label for theme in result.themes}
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["row", "cluster", "label", "theme", "theme_label"])
        for row, needs in enumerate(result.memberships):
            for cluster in needs or (-1,):
                theme = theme_of.get(cluster, -1)
                writer.writerow(
                    [row, cluster, labels.get(cluster, ""), theme, theme_labels.get(theme, "")]
                )


def _print_summary(result: TwoLevelResult, texts: list[str], out: TextIO) -> None:
    answered = int((~result.non_answer).sum())
    unclassified = int((result.labels == -1).sum())
    print(
        f"{len(texts)} rows, {answered} answers, {len(result.themes)} themes, "
        f"{len(result.needs)} needs, {unclassified} unclassified or non-answers",
        file=out,
    )
    rows = [("need", "size", "share", "label", "quote")]
    by_cluster = {need.cluster: need for need in result.needs}
    ordered = [by_cluster[c] for theme in result.themes for c in theme.needs]
    for theme in result.themes:
        print(f"theme {theme.theme}: {theme.label} ({theme.size} answers)", file=out)
    for need in ordered:
        quote = texts[need.quote_indices[0]] if need.quote_indices else ""
        rows.append(
            (
                str(need.cluster),
                str(need.size),
                f"{need.share:.0%}",
                _clip(need.label, 40),
                _clip(quote, 60),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [row[0].rjust(widths[0]), row[1].rjust(widths[1]), row[2].rjust(widths[2])]
        print("  ".join([*cells, row[3].ljust(widths[3]), row[4]]).rstrip(), file=out)


def _clip(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@contextmanager
def _progress(message: str, out: TextIO, interval: float = 1.0) -> Iterator[None]:
    """Show elapsed seconds on ``out`` while the block runs (the work has no steps to count)."""
    done = threading.Event()
    start = time.monotonic()
    interactive = out.isatty()

    def tick() -> None:
        while not done.wait(interval):
            if interactive:
                out.write(f"\r{message}… {time.monotonic() - start:.0f} s")
                out.flush()

    if not interactive:
        # A log file gets one start line and one end line, not a ticking counter.
        print(f"{message}…", file=out, flush=True)
    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        elapsed = time.monotonic() - start
        end = "\r" if interactive else ""
        out.write(f"{end}{message}: done in {elapsed:.1f} s\n")
        out.flush()
