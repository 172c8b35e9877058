"""Importing a Pol.is conversation export into a statements consultation.

A Pol.is export is two CSV files: ``comments.csv`` (the statements) and ``votes.csv`` (every
vote, latest per participant and statement wins), read by ``analysis.polis`` as the
``parlons opinion-groups`` command reads them. Each statement becomes an approved option that
keeps its Pol.is ``comment-id``; statements a Pol.is moderator took out (``moderated = -1``)
are left out, as the opinion-groups command leaves them out, so that the spam and abuse they
usually are is not copied and the groups computed here are the command's. Each Pol.is
participant becomes one ballot with no member, channel ``import`` and its Pol.is
``voter-id``. The import is refused, with nothing stored, unless every file is readable and
the consultation is a statements consultation still in draft with no ballot.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import math
import re
import secrets
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import asyncpg
import numpy as np
from numpy.typing import NDArray

from analysis import polis
from analysis.voting.statements import Statements
from survey.domain.consultations import get_consultation
from survey.domain.council_ballots import ballot_receipt
from survey.domain.councils import STATEMENT_MAX, InvalidForm, get_council, log_event
from survey.domain.db import connection
from survey.domain.forms import FieldError
from survey.domain.queries import (
    consultation_options,
    consultations,
    council_audit,
    council_ballots,
)
from survey.enums import Channel, ConsultationState
from survey.errors import Conflict, NotFound
from survey.models.councils import Consultation, Council

COMMENTS_FIELD = "comments"
VOTES_FIELD = "votes"
# Columns ``analysis.polis`` needs in each file (other columns are ignored).
COMMENTS_COLUMNS = ("comment-id", "comment-body")
VOTES_COLUMNS = ("comment-id", "voter-id", "vote")
# More statements than members could ever read on a ballot.
MAX_STATEMENTS = 1000
# Limits checked while votes.csv is read, before any matrix is made: statements voted on
# (moderated ones included), participants, and cells of the participants x statements matrix.
MAX_VOTED_STATEMENTS = 5000
MAX_VOTERS = 50_000
MAX_VOTE_CELLS = 5_000_000
AUDIT_ACTION = "polis_imported"
_ID_MAX = 2**31 - 1
_UNKNOWN_SHOWN = 5
_COLUMN_KEYS = {
    COMMENTS_FIELD: "council.polis_columns_comments",
    VOTES_FIELD: "council.polis_columns_votes",
}
_FORMAT_KEYS = {
    "polis.file_empty": "council.polis_file_empty",
    "polis.bad_value": "council.polis_bad_value",
    "polis.too_large": "council.polis_too_many_votes",
}
# ``analysis.polis`` starts the detail of a bad value with its line number.
_LINE_RE = re.compile(r"line (\d+):")
T = TypeVar("T")


@dataclass(frozen=True)
class PolisExport:
    """A Pol.is export read and checked: the statements to import (by increasing comment id),
    the ids left out, and one row of votes per participant over those statements
    (``NaN`` = not voted)."""

    comments: list[polis.PolisComment]
    skipped: list[int]
    voter_ids: list[int]
    votes: NDArray[np.float64]
    ignored_votes: int
    fingerprint: str


@dataclass(frozen=True)
class PolisImportReport:
    """What an import stored, shown to staff and written to the audit log."""

    statements: int
    skipped: int
    voters: int
    votes: int
    ignored_votes: int


# ------------------------------------------------------------------------ reading files


def _header(data: bytes) -> list[str]:
    text = data.decode("utf-8-sig")
    first = next(csv.reader(io.StringIO(text)), [])
    return [name.strip() for name in first]


def _check_file(
    name: str, data: bytes, columns: Iterable[str], max_bytes: int, errors: dict[str, FieldError]
) -> None:
    """Missing, too large, not UTF-8 or without the needed columns: the field's error."""
    if not data:
        errors[name] = FieldError("council.polis_file_missing", {})
    elif len(data) > max_bytes:
        errors[name] = FieldError("council.polis_file_too_large", {"mb": max_bytes // 2**20})
    else:
        try:
            header = _header(data)
        except UnicodeDecodeError:
            errors[name] = FieldError("council.polis_encoding", {})
            return
        except csv.Error:
            errors[name] = FieldError("council.polis_unreadable", {})
            return
        if not header or header == [""]:
            errors[name] = FieldError("council.polis_file_empty", {})
            return
        missing = [column for column in columns if column not in header]
        if missing:
            errors[name] = FieldError(
                _COLUMN_KEYS[name], {"columns": ", ".join(missing), "n": len(missing)}
            )


def _format_error(error: polis.PolisFormatError) -> FieldError:
    if error.key == "polis.too_large":
        return FieldError(
            "council.polis_too_many_votes",
            {"voters": MAX_VOTERS, "statements": MAX_VOTED_STATEMENTS, "cells": MAX_VOTE_CELLS},
        )
    line = _LINE_RE.match(error.detail)
    if error.key == "polis.bad_value" and line:
        return FieldError("council.polis_bad_value_line", {"line": int(line.group(1))})
    return FieldError(_FORMAT_KEYS.get(error.key, "council.polis_unreadable"), {})


def _read(
    name: str,
    data: bytes,
    folder: Path,
    reader: Callable[[Path], T],
    errors: dict[str, FieldError],
) -> T | None:
    """Run an ``analysis.polis`` reader on an uploaded file; its error goes to ``errors``."""
    path = folder / f"{name}.csv"
    path.write_bytes(data.removeprefix(b"\xef\xbb\xbf"))
    try:
        return reader(path)
    except polis.PolisFormatError as error:
        errors[name] = _format_error(error)
    except UnicodeDecodeError:
        errors[name] = FieldError("council.polis_encoding", {})
    except csv.Error:
        errors[name] = FieldError("council.polis_unreadable", {})
    return None


def _read_votes(path: Path) -> polis.VoteMatrix:
    return polis.read_votes(
        path,
        max_participants=MAX_VOTERS,
        max_statements=MAX_VOTED_STATEMENTS,
        max_cells=MAX_VOTE_CELLS,
    )


def _fingerprint(comments: bytes, votes: bytes) -> str:
    """The same two files give the same fingerprint (to refuse importing them twice)."""
    digest = hashlib.sha256()
    for part in (comments, votes):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def read_export(comments: bytes, votes: bytes, *, max_bytes: int) -> PolisExport:
    """Read and check both files of a Pol.is export; every problem is an ``InvalidForm``
    error on the field of the file it is in."""
    errors: dict[str, FieldError] = {}
    _check_file(COMMENTS_FIELD, comments, COMMENTS_COLUMNS, max_bytes, errors)
    _check_file(VOTES_FIELD, votes, VOTES_COLUMNS, max_bytes, errors)
    if errors:
        raise InvalidForm(errors)
    with tempfile.TemporaryDirectory(prefix="parlons-polis-") as folder:
        statements = _read(COMMENTS_FIELD, comments, Path(folder), polis.read_comments, errors)
        matrix = _read(VOTES_FIELD, votes, Path(folder), _read_votes, errors)
    if statements is None or matrix is None:
        raise InvalidForm(errors)
    ids = [c.comment_id for c in statements]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    kept = [c for c in statements if c.moderated != polis.MODERATED_OUT]
    if duplicates:
        errors[COMMENTS_FIELD] = FieldError(
            "council.polis_duplicate_comment", {"id": min(duplicates)}
        )
    elif any(not 0 <= i <= _ID_MAX for i in ids):
        errors[COMMENTS_FIELD] = FieldError("council.polis_bad_id", {})
    elif any("\x00" in c.body for c in statements):
        # PostgreSQL text cannot hold a NUL character.
        bad = next(c.comment_id for c in statements if "\x00" in c.body)
        errors[COMMENTS_FIELD] = FieldError("council.polis_nul", {"id": bad})
    elif not kept:
        errors[COMMENTS_FIELD] = FieldError("council.polis_no_statements", {})
    elif len(kept) > MAX_STATEMENTS:
        errors[COMMENTS_FIELD] = FieldError(
            "council.polis_too_many_statements", {"max": MAX_STATEMENTS, "n": len(kept)}
        )
    unknown = sorted(set(matrix.comment_ids) - set(ids))
    if not matrix.participant_ids:
        errors[VOTES_FIELD] = FieldError("council.polis_no_votes", {})
    elif any(not 0 <= v <= _ID_MAX for v in matrix.participant_ids):
        errors[VOTES_FIELD] = FieldError("council.polis_bad_id", {})
    elif unknown:
        errors[VOTES_FIELD] = FieldError(
            "council.polis_unknown_comments",
            {"n": len(unknown), "ids": ", ".join(str(i) for i in unknown[:_UNKNOWN_SHOWN])},
        )
    if errors:
        raise InvalidForm(errors)
    column_of = {comment: j for j, comment in enumerate(matrix.comment_ids)}
    # Columns in the order of the kept statements; a statement nobody voted on stays empty.
    table = np.full((matrix.votes.shape[0], len(kept)), math.nan)
    for j, comment in enumerate(kept):
        if comment.comment_id in column_of:
            table[:, j] = matrix.votes[:, column_of[comment.comment_id]]
    voted = ~np.isnan(table)
    rows = voted.any(axis=1)
    return PolisExport(
        comments=kept,
        skipped=[c.comment_id for c in statements if c.moderated == polis.MODERATED_OUT],
        voter_ids=[v for v, keep in zip(matrix.participant_ids, rows, strict=True) if keep],
        votes=table[rows],
        ignored_votes=int(np.count_nonzero(~np.isnan(matrix.votes)) - voted.sum()),
        fingerprint=_fingerprint(comments, votes),
    )


# ------------------------------------------------------------------------------ storing


def import_blocker(consultation: Consultation) -> str | None:
    """Why a consultation cannot take a Pol.is import (a message key), or None."""
    if consultation.method != Statements.name:
        return "council.polis_not_statements"
    if consultation.state != ConsultationState.DRAFT:
        return "council.polis_not_draft"
    return None


def _statement_texts(body: str, comment_id: int) -> tuple[str, str]:
    """Title (at most ``STATEMENT_MAX`` characters) and, for a longer statement, its full text."""
    text = " ".join(body.split()) or f"Pol.is #{comment_id}"
    if len(text) <= STATEMENT_MAX:
        return text, ""
    return text[: STATEMENT_MAX - 1].rstrip() + "…", body.strip()


async def _check_target(conn: asyncpg.Connection, consultation_id: int, fingerprint: str) -> None:
    """Refuse, under the consultation's row lock, a target that changed since it was read."""
    target = await consultations.lock_for_import(conn, consultation_id)
    if target is None:
        raise NotFound("council.consultation_not_found")
    if target.method != Statements.name:
        raise Conflict("council.polis_not_statements")
    if target.state != ConsultationState.DRAFT:
        raise Conflict("council.polis_not_draft")
    if await council_audit.has_consultation_entry(conn, consultation_id, AUDIT_ACTION, fingerprint):
        raise Conflict("council.polis_already_imported")
    if await council_ballots.any_for(consultation_id, conn=conn):
        raise Conflict("council.polis_has_ballots")


async def _insert_statements(
    conn: asyncpg.Connection, consultation_id: int, comments: list[polis.PolisComment]
) -> list[int]:
    titles, descriptions = zip(
        *(_statement_texts(c.body, c.comment_id) for c in comments), strict=True
    )
    option_of = await consultation_options.insert_statements(
        conn, consultation_id, titles, descriptions, [c.comment_id for c in comments]
    )
    return [option_of[c.comment_id] for c in comments]


async def _insert_ballots(
    conn: asyncpg.Connection, consultation_id: int, export: PolisExport, option_ids: list[int]
) -> int:
    """One ballot per participant, with a receipt like any other ballot; returns the marks."""
    receipts, salts, ballot_marks = [], [], []
    for row in export.votes:
        marks = {option_ids[j]: int(row[j]) for j in np.flatnonzero(~np.isnan(row))}
        salt = secrets.token_hex(16)
        receipts.append(ballot_receipt(consultation_id, marks, salt))
        salts.append(salt)
        ballot_marks.append(marks)
    ballot_of = await council_ballots.insert_imported(
        conn,
        consultation_id,
        channel=str(Channel.IMPORT),
        receipts=receipts,
        salts=salts,
        voter_ids=export.voter_ids,
    )
    mark_ballots, mark_options, mark_values = [], [], []
    for voter, marks in zip(export.voter_ids, ballot_marks, strict=True):
        for option_id, value in marks.items():
            mark_ballots.append(ballot_of[voter])
            mark_options.append(option_id)
            mark_values.append(value)
    # COPY: several times faster than INSERT for the tens of thousands of votes of an export.
    await council_ballots.copy_marks(
        conn, zip(mark_ballots, mark_options, mark_values, strict=True)
    )
    return len(mark_values)


async def import_polis_export(
    council_id: int,
    consultation_id: int,
    *,
    comments: bytes,
    votes: bytes,
    max_bytes: int,
    actor: str,
) -> PolisImportReport:
    """Store a Pol.is export in a draft statements consultation, all or nothing.

    Refused (``Conflict``) for another method, a consultation already opened or with ballots,
    and the same two files imported again; a file problem is an ``InvalidForm`` error on the
    file's field.
    """
    consultation = await get_consultation(council_id, consultation_id)
    blocker = import_blocker(consultation)
    if blocker is not None:
        raise Conflict(blocker)
    # Reading and checking the files is CPU work: a worker thread leaves residents served.
    export = await asyncio.to_thread(read_export, comments, votes, max_bytes=max_bytes)
    report = PolisImportReport(
        statements=len(export.comments),
        skipped=len(export.skipped),
        voters=len(export.voter_ids),
        votes=0,
        ignored_votes=export.ignored_votes,
    )
    try:
        async with connection() as conn, conn.transaction():
            await _check_target(conn, consultation.id, export.fingerprint)
            option_ids = await _insert_statements(conn, consultation.id, export.comments)
            n_votes = await _insert_ballots(conn, consultation.id, export, option_ids)
            report = replace(report, votes=n_votes)
            await log_event(
                conn,
                council_id,
                AUDIT_ACTION,
                actor=actor,
                consultation_id=consultation.id,
                details={
                    "statements": report.statements,
                    "skipped": report.skipped,
                    "voters": report.voters,
                    "votes": report.votes,
                    "export": export.fingerprint,
                },
            )
    except asyncpg.UniqueViolationError as error:  # A receipt collided, or a race: try again.
        raise Conflict("council.polis_try_again") from error
    return report


async def imported_counts(consultation_id: int) -> dict[str, int]:
    """Statements and ballots of a consultation that came from Pol.is (zeros when none)."""
    return (await consultation_options.imported_counts(consultation_id))._asdict()


@dataclass(frozen=True)
class ImportTarget:
    """The consultation a Pol.is export would go into, and why it cannot (or None)."""

    council: Council
    consultation: Consultation
    blocker: str | None


async def import_target(council_id: int, consultation_id: int) -> ImportTarget:
    """The page of the import form: the consultation and whether it can take an import."""
    council = await get_council(council_id)
    consultation = await get_consultation(council.id, consultation_id)
    blocker = import_blocker(consultation)
    if blocker is None and await council_ballots.any_for(consultation.id):
        blocker = "council.polis_has_ballots"
    return ImportTarget(council, consultation, blocker)
