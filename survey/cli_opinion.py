"""`parlons opinion-groups`: Pol.is-style opinion groups from a votes CSV."""

from __future__ import annotations

import argparse
import csv
import sys

from analysis import polis
from analysis.opinion import OpinionParams, analyse_opinions

_EXIT_BAD_INPUT = 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``opinion-groups`` sub-command."""
    defaults = OpinionParams()
    p = subparsers.add_parser(
        "opinion-groups",
        help="find opinion groups in a Pol.is votes.csv export",
        description=(
            "Find opinion groups (Pol.is's method) in a votes.csv export and write "
            "participant,group to OUTPUT (group empty for participants with too few votes)."
        ),
    )
    p.add_argument("votes", metavar="VOTES.csv", help="Pol.is votes.csv export")
    p.add_argument(
        "--comments",
        metavar="COMMENTS.csv",
        help="Pol.is comments.csv: drops moderated-out statements and prints statement texts",
    )
    p.add_argument("--seed", type=int, default=defaults.random_state, help="k-means seed")
    p.add_argument(
        "--max-groups", type=int, default=defaults.max_groups, help="largest number of groups"
    )
    p.add_argument(
        "--groups",
        type=int,
        metavar="K",
        help="impose K groups instead of choosing the number by silhouette",
    )
    p.add_argument(
        "--undecided-share",
        type=float,
        default=defaults.undecided_share,
        metavar="S",
        help="participants whose passes exceed this share of their votes form the last group,"
        " the mostly undecided (1: no such group)",
    )
    p.add_argument(
        "--min-votes",
        type=int,
        default=defaults.min_votes,
        help="votes a participant needs to be placed in a group",
    )
    p.add_argument("--output", required=True, metavar="OUT.csv", help="where to write groups")
    p.set_defaults(func=_run)


def _fail(message: str) -> int:
    print(f"parlons opinion-groups: error: {message}", file=sys.stderr)
    return _EXIT_BAD_INPUT


def _run(args: argparse.Namespace) -> int:
    if args.max_groups < 2:
        return _fail("--max-groups must be at least 2")
    if args.groups is not None and args.groups < 2:
        return _fail("--groups must be at least 2")
    if not 0 <= args.undecided_share <= 1:
        return _fail("--undecided-share must be between 0 and 1")
    if args.min_votes < 1:
        return _fail("--min-votes must be at least 1")
    try:
        comments = polis.read_comments(args.comments) if args.comments else None
        kept = polis.analysable_comment_ids(comments) if comments is not None else None
        matrix = polis.read_votes(args.votes, comment_ids=kept)
    except FileNotFoundError as error:
        return _fail(f"file not found: {error.filename}")
    except (OSError, UnicodeDecodeError) as error:
        return _fail(f"cannot read input: {error}")
    except polis.PolisFormatError as error:
        return _fail(f"malformed Pol.is file ({error.key}): {error}")
    if not matrix.participant_ids or not matrix.comment_ids:
        return _fail(f"no votes to analyse in {args.votes}")

    params = OpinionParams(
        min_votes=args.min_votes,
        max_groups=args.max_groups,
        n_groups=args.groups,
        undecided_share=args.undecided_share,
        random_state=args.seed,
    )
    analysis = analyse_opinions(matrix.votes, params)
    try:
        with open(args.output, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["participant", "group"])
            for participant, label in zip(matrix.participant_ids, analysis.labels, strict=True):
                writer.writerow([participant, "" if label < 0 else int(label)])
    except OSError as error:
        return _fail(f"cannot write {args.output}: {error}")

    unclustered = len(matrix.participant_ids) - sum(analysis.group_sizes)
    print(f"{analysis.n_groups} group(s) among {len(matrix.participant_ids)} participants")
    for group, size in enumerate(analysis.group_sizes):
        if group == analysis.undecided_group:
            print(f"  group {group}: {size} (mostly undecided: passed on most statements)")
        else:
            print(f"  group {group}: {size}")
    print(f"  not clustered (fewer than {params.min_votes} votes): {unclustered}")

    if comments is not None:
        text = {c.comment_id: c.body for c in comments}
        ids = matrix.comment_ids
        print("Consensus statements (agreed across groups):")
        for item in analysis.consensus:
            print(
                f"  [{ids[item.statement]}] {item.agree:.2f}  {text.get(ids[item.statement], '')}"
            )
        print("Divisive statements (groups disagree):")
        for split in analysis.divisive:
            statement = ids[split.statement]
            print(f"  [{statement}] {split.spread:.2f}  {text.get(statement, '')}")
    return 0
