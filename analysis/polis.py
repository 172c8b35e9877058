"""Readers for Pol.is conversation exports (``votes.csv``, ``comments.csv``,
``participants-votes.csv``).

Columns are found by name, so extra columns (``datetime``, ``xid``) and reordered files are
fine. Votes keep Pol.is's export convention: ``1`` agree, ``-1`` disagree, ``0`` pass; a
statement a participant never saw is ``NaN`` in the vote matrix.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

# A Pol.is moderator sets ``moderated`` to -1 to take a statement out of the conversation.
MODERATED_OUT = -1


class PolisFormatError(ValueError):
    """A Pol.is export file cannot be read; ``key`` names the problem for the message catalogue.

    Keys: ``polis.file_empty``, ``polis.missing_columns``, ``polis.bad_value``,
    ``polis.too_large`` (a limit given to the reader was passed).
    """

    def __init__(self, key: str, path: Path | str, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.key = key
        self.path = str(path)
        self.detail = detail


@dataclass(frozen=True)
class VoteMatrix:
    """Participants x statements votes (``NaN`` = not seen), with the ids of rows and columns."""

    votes: NDArray[np.float64]
    participant_ids: list[int]
    comment_ids: list[int]


@dataclass(frozen=True)
class PolisComment:
    """One row of ``comments.csv``."""

    comment_id: int
    author_id: int | None
    agrees: int | None
    disagrees: int | None
    moderated: int
    body: str


@dataclass(frozen=True)
class ParticipantGroups:
    """``participants-votes.csv``: Pol.is's own group per participant (``None`` when not
    clustered) and the vote matrix it reports."""

    participant_ids: list[int]
    group_ids: list[int | None]
    matrix: VoteMatrix


def _rows(path: Path | str, required: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line number, row)`` after checking that the header has the required columns."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise PolisFormatError("polis.file_empty", path, "the file is empty")
        header = [name.strip() for name in reader.fieldnames]
        reader.fieldnames = header
        missing = [name for name in required if name not in header]
        if missing:
            raise PolisFormatError(
                "polis.missing_columns", path, f"missing column(s): {', '.join(missing)}"
            )
        for row in reader:
            yield reader.line_num, row


def _integer(path: Path | str, line: int, column: str, text: str | None) -> int:
    try:
        number = float((text or "").strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number != int(number):
        raise PolisFormatError(
            "polis.bad_value", path, f"line {line}: {column} is not an integer: {text!r}"
        )
    return int(number)


def _optional_integer(path: Path | str, line: int, column: str, text: str | None) -> int | None:
    if text is None or not text.strip():
        return None
    return _integer(path, line, column, text)


def read_votes(
    path: Path | str,
    *,
    comment_ids: Iterable[int] | None = None,
    max_participants: int | None = None,
    max_statements: int | None = None,
    max_cells: int | None = None,
) -> VoteMatrix:
    """Read ``votes.csv`` into a vote matrix, keeping the latest vote per voter and statement.

    "Latest" follows the ``timestamp`` column when present (equal timestamps: the later line
    wins), otherwise the order of the file. ``comment_ids`` restricts and orders the columns,
    e.g. to the statements left after moderation; by default every voted statement is kept,
    in increasing id order.

    The limits (distinct voters, distinct statements, cells of the dense matrix) are checked
    while reading and before the matrix is made: a small file naming many ids would
    otherwise ask for a huge matrix. Passing one raises ``polis.too_large``.
    """
    latest: dict[tuple[int, int], tuple[float, int, int]] = {}
    seen_voters: set[int] = set()
    seen_comments: set[int] = set()
    for line, row in _rows(path, ("comment-id", "voter-id", "vote")):
        comment = _integer(path, line, "comment-id", row.get("comment-id"))
        voter = _integer(path, line, "voter-id", row.get("voter-id"))
        seen_voters.add(voter)
        seen_comments.add(comment)
        if max_participants is not None and len(seen_voters) > max_participants:
            raise PolisFormatError(
                "polis.too_large", path, f"line {line}: more than {max_participants} voters"
            )
        if max_statements is not None and len(seen_comments) > max_statements:
            raise PolisFormatError(
                "polis.too_large", path, f"line {line}: more than {max_statements} statements"
            )
        vote = _integer(path, line, "vote", row.get("vote"))
        if vote not in (-1, 0, 1):
            raise PolisFormatError(
                "polis.bad_value", path, f"line {line}: vote must be -1, 0 or 1, got {vote}"
            )
        stamp = 0.0
        if "timestamp" in row:
            text = (row.get("timestamp") or "").strip()
            try:
                stamp = float(text)
            except ValueError as error:
                raise PolisFormatError(
                    "polis.bad_value", path, f"line {line}: timestamp is not a number: {text!r}"
                ) from error
        key = (voter, comment)
        previous = latest.get(key)
        if previous is None or (stamp, line) >= previous[:2]:
            latest[key] = (stamp, line, vote)

    voters = sorted({voter for voter, _ in latest})
    if comment_ids is None:
        columns = sorted({comment for _, comment in latest})
    else:
        columns = list(dict.fromkeys(int(c) for c in comment_ids))
    if max_cells is not None and len(voters) * len(columns) > max_cells:
        raise PolisFormatError(
            "polis.too_large", path, f"{len(voters)} voters x {len(columns)} statements"
        )
    row_of = {voter: i for i, voter in enumerate(voters)}
    column_of = {comment: j for j, comment in enumerate(columns)}
    votes = np.full((len(voters), len(columns)), np.nan)
    for (voter, comment), (_, _, vote) in latest.items():
        j = column_of.get(comment)
        if j is not None:
            votes[row_of[voter], j] = vote
    return VoteMatrix(votes=votes, participant_ids=voters, comment_ids=columns)


def read_comments(path: Path | str) -> list[PolisComment]:
    """Read ``comments.csv``, sorted by comment id."""
    comments = []
    for line, row in _rows(path, ("comment-id", "comment-body")):
        comments.append(
            PolisComment(
                comment_id=_integer(path, line, "comment-id", row.get("comment-id")),
                author_id=_optional_integer(path, line, "author-id", row.get("author-id")),
                agrees=_optional_integer(path, line, "agrees", row.get("agrees")),
                disagrees=_optional_integer(path, line, "disagrees", row.get("disagrees")),
                moderated=_optional_integer(path, line, "moderated", row.get("moderated")) or 0,
                body=row.get("comment-body") or "",
            )
        )
    return sorted(comments, key=lambda comment: comment.comment_id)


def analysable_comment_ids(comments: Iterable[PolisComment]) -> list[int]:
    """Ids of the statements that stay in the analysis (not moderated out)."""
    return [c.comment_id for c in comments if c.moderated != MODERATED_OUT]


def read_participants_votes(path: Path | str) -> ParticipantGroups:
    """Read ``participants-votes.csv``: Pol.is's group per participant and its vote matrix.

    Statement columns are the columns whose header is an integer; the others (``n-votes``,
    ``xid``, ...) are ignored.
    """
    participants: list[int] = []
    groups: list[int | None] = []
    rows: list[list[float]] = []
    columns: list[str] | None = None
    for line, row in _rows(path, ("participant", "group-id")):
        if columns is None:
            columns = [name for name in row if name is not None and name.strip().isdigit()]
        participants.append(_integer(path, line, "participant", row.get("participant")))
        groups.append(_optional_integer(path, line, "group-id", row.get("group-id")))
        values = []
        for name in columns:
            vote = _optional_integer(path, line, name, row.get(name))
            if vote is not None and vote not in (-1, 0, 1):
                raise PolisFormatError(
                    "polis.bad_value", path, f"line {line}: vote must be -1, 0 or 1, got {vote}"
                )
            values.append(math.nan if vote is None else float(vote))
        rows.append(values)
    comment_ids = [int(name) for name in columns or []]
    votes = np.array(rows, dtype=np.float64).reshape(len(rows), len(comment_ids))
    return ParticipantGroups(
        participant_ids=participants,
        group_ids=groups,
        matrix=VoteMatrix(votes=votes, participant_ids=participants, comment_ids=comment_ids),
    )
