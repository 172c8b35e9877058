"""Responses in: CSV or XLSX exports of Google Forms, Microsoft Forms, LimeSurvey, Framaforms
or a spreadsheet, checked against the survey's rules before anything is stored.

Nothing is dropped silently: whatever cannot be kept is listed in the report. Files come
from staff but are read as hostile: limits (rows, columns, cells) are checked while reading,
never after, and every parse runs in a worker thread so that residents' pages are served
meanwhile.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from analysis.csvio import Table, TableError, parse_table
from survey.domain.answering import Import, submit_batch
from survey.domain.builder import slugify
from survey.domain.definitions import QuestionDef, SurveyDef
from survey.domain.forms import OTHER, FieldError, RawForm, clean_all
from survey.domain.import_dates import (
    DAY_FIRST,
    ORDERS,
    DateOrder,
    date_order_of,
    read_day,
    read_moment,
)
from survey.domain.queries import response_imports, responses, uploads
from survey.domain.response_workbook import read_workbook
from survey.domain.staff_forms import Unread
from survey.enums import Channel, QuestionKind
from survey.errors import NotFound, SurveyError

MAX_IMPORT_ROWS = 20_000
MAX_IMPORT_COLUMNS = 1000
MAX_IMPORT_CELLS = 2_000_000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
_NAMESPACE = uuid.UUID("6f1c6c52-3f4e-4d3b-9a57-2f0c1d6b7e11")


_TABLE_ERRORS = {
    "csv.too_large": "builder.csv_too_large",
    "csv.too_many_columns": "builder.csv_too_many_columns",
    "csv.too_many_cells": "builder.csv_too_many_cells",
    "csv.empty": "builder.csv_empty",
    "csv.unreadable": "builder.csv_unreadable",
}


def _parse(data: bytes) -> Table:
    if data[:2] == b"PK":  # A zip archive: an .xlsx workbook.
        if len(data) > MAX_UPLOAD_BYTES:
            raise SurveyError("builder.csv_too_large")
        return read_workbook(
            data,
            max_rows=MAX_IMPORT_ROWS,
            max_columns=MAX_IMPORT_COLUMNS,
            max_cells=MAX_IMPORT_CELLS,
        )
    try:
        return parse_table(
            data,
            max_bytes=MAX_UPLOAD_BYTES,
            max_rows=MAX_IMPORT_ROWS,
            max_columns=MAX_IMPORT_COLUMNS,
            max_cells=MAX_IMPORT_CELLS,
        )
    except TableError as error:
        key = _TABLE_ERRORS.get(error.key, "builder.csv_unreadable")
        raise SurveyError(
            key, **{k: v for k, v in error.params.items() if k != "available"}
        ) from error


async def read_table(data: bytes) -> Table:
    """A responses file read in a worker thread, limits checked while reading."""
    return await asyncio.to_thread(_parse, data)


async def store_upload(
    definition: SurveyDef, data: bytes, filename: str, *, user_id: int | None
) -> int:
    """Keep a responses file while staff map its columns; a file that cannot be read is
    refused at once."""
    table = await read_table(data)
    if not table.rows:
        raise SurveyError("builder.csv_no_rows")
    return await uploads.insert(definition.id, user_id, filename, data)


async def _upload(definition: SurveyDef, upload_id: int) -> tuple[bytes, str]:
    upload = await uploads.of_survey(upload_id, definition.id)
    if upload is None:
        raise NotFound("builder.upload_unknown")
    return upload.data, upload.filename


DATE_COLUMN = "__date__"
DATE_HEADERS = (
    "horodateur",
    "horodatage",
    "submitted time",
    "timestamp",
    "submitdate",
    "date de soumission",
    "submitted",
    "date submitted",
    "envoyé",
    "completion time",
    "heure de fin",
    "date",
)


def norm_label(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", slugify(text, 400).replace("_", " ")).strip()


def _header_parts(title: str) -> tuple[str, str]:
    """``services[mediatheque]`` / ``Services [Médiathèque]`` / ``services - Médiathèque``
    → (question part, option part)."""
    match = re.match(r"^(.*?)\s*\[([^\]]+)\]\s*$", title)
    if match:
        return match.group(1), match.group(2)
    if " - " in title:
        head, _, tail = title.rpartition(" - ")
        return head, tail
    return title, ""


def _guess(questions: Sequence[QuestionDef], title: str) -> str:
    wanted = norm_label(title)
    if wanted in {norm_label(h) for h in DATE_HEADERS}:
        return DATE_COLUMN
    head, option = _header_parts(title)
    for candidate in (wanted, norm_label(head)) if option else (wanted,):
        for q in questions:
            names = {
                norm_label(q.code),
                norm_label(q.text.get("fr", "")),
                norm_label(q.text.get("en", "")),
            }
            if candidate in names:
                return q.code
        # LimeSurvey titles are often "code. Question text".
        for q in questions:
            if candidate.startswith(norm_label(q.code) + " ") and norm_label(q.code):
                return q.code
    return ""


@dataclass
class ImportPlan:
    upload_id: int
    filename: str
    header: list[str]
    sample: list[list[str]]
    rows: int
    encoding: str
    delimiter: str
    # Each column's question as first guessed (``DATE_COLUMN``, or "" for none), by index.
    guess: dict[int, str]


async def describe_upload(definition: SurveyDef, upload_id: int) -> ImportPlan:
    """The columns of an uploaded file and a first guess of their questions."""
    data, filename = await _upload(definition, upload_id)
    table = await read_table(data)
    guess = {i: _guess(definition.questions, title) for i, title in enumerate(table.header)}
    return ImportPlan(
        upload_id=upload_id,
        filename=filename,
        header=table.header,
        sample=table.rows[:3],
        rows=len(table.rows),
        encoding=table.encoding,
        delimiter=table.delimiter,
        guess=guess,
    )


_TRUE = {"y", "yes", "oui", "1", "x", "true", "vrai", "checked", "coché", "on"}
_FALSE = {"n", "no", "non", "0", "false", "faux", ""}


def _match_choice(q: QuestionDef, text: str) -> str | None:
    wanted = norm_label(text)
    if not wanted:
        return None
    for choice in q.choices:
        names = {
            norm_label(choice.code),
            norm_label(choice.label.get("fr", "")),
            norm_label(choice.label.get("en", "")),
        }
        if wanted in names:
            return choice.code
    if q.kind == QuestionKind.YES_NO:
        if wanted in {"y", "oui", "1", "true", "vrai"}:
            return "yes"
        if wanted in {"n", "non", "0", "false", "faux"}:
            return "no"
    return None


def _split_multi(q: QuestionDef, text: str) -> list[str]:
    """Google Forms joins ticked labels with ", ", Framaforms and others with ";" or "|"."""
    if _match_choice(q, text):
        return [text]
    for separator in (";", "|", "\n", ", ", ","):
        if separator in text:
            parts = [p.strip() for p in text.split(separator) if p.strip()]
            if parts:
                return parts
    return [text]


# What staff decide on the review page for a value that matches no choice.
EMPTY = "__empty__"
SKIP = "__skip__"
# Values listed for recoding, at most (the others are skipped and reported).
MAX_RECODES = 60
# Row numbers listed with each cause of the report.
SHOWN_ROWS = 20


@dataclass
class RowProblem:
    row: int
    question: str
    key: str
    params: dict[str, Any]


@dataclass
class ProblemGroup:
    """One cause of the report: how many rows it hit, and the first of them."""

    question: str
    key: str
    params: dict[str, Any]
    count: int
    rows: list[int]

    @property
    def more(self) -> bool:
        return self.count > len(self.rows)


@dataclass
class Unknown:
    """A value of a choice question that matches none of its choices."""

    question: str
    value: str
    count: int
    target: str = SKIP


@dataclass
class Sample:
    """A date or moment of the file as written and as read, for the review."""

    row: int
    column: str
    written: str
    moment: dt.datetime | None = None
    day: dt.date | None = None


@dataclass
class Decisions:
    """What staff chose on the review page: the order of day and month, the file's time
    zone, and what each unknown value becomes."""

    order: str = ""
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    recodes: dict[str, dict[str, str]] = field(default_factory=dict)
    errors: dict[str, FieldError] = field(default_factory=dict)


@dataclass
class ImportResult:
    valid: int
    problems: list[RowProblem]
    imported: int | None = None
    unmapped: list[str] = field(default_factory=list)
    dates: DateOrder | None = None
    order: str = ""
    unknown: list[Unknown] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    # When the same file was imported before: when, and how many responses it gave.
    already: tuple[dt.datetime, int] | None = None
    overlap: list[int] = field(default_factory=list)
    errors: dict[str, FieldError] = field(default_factory=dict)

    @property
    def rows_with_problems(self) -> int:
        return len({p.row for p in self.problems})

    @property
    def blocked(self) -> bool:
        """Staff must answer a question before anything can be stored."""
        return bool(self.errors) or (
            self.dates is not None and self.dates.ambiguous and not self.order
        )

    @property
    def groups(self) -> list[ProblemGroup]:
        """The problems once per cause, the most frequent first."""
        found: dict[tuple[str, str, str], ProblemGroup] = {}
        for p in self.problems:
            key = (p.question, p.key, repr(sorted(p.params.items())))
            group = found.get(key)
            if group is None:
                group = found[key] = ProblemGroup(p.question, p.key, p.params, 0, [])
            if not group.rows or group.rows[-1] != p.row:
                group.count += 1
                if len(group.rows) < SHOWN_ROWS:
                    group.rows.append(p.row)
        return sorted(found.values(), key=lambda g: (-g.count, g.rows[:1]))


@dataclass(frozen=True)
class Recode:
    """What staff chose for a value of a choice question that matches no choice: a choice's
    code, ``EMPTY`` or ``SKIP`` (blank: ``SKIP``)."""

    question: str
    value: str
    target: str = ""


@dataclass(frozen=True)
class ImportChoices:
    """The mapping page as sent: each column's question (or ``DATE_COLUMN``), by index; the
    order of day and month; the file's time zone (``None``: the instance's); the recodes.
    Errors found in it are keyed ``zone``."""

    columns: Mapping[int, str] = field(default_factory=dict)
    order: str = ""
    zone: ZoneInfo | Unread | None = None
    recodes: Sequence[Recode] = ()


def read_decisions(choices: ImportChoices, default_zone: ZoneInfo) -> Decisions:
    """The review page's answers, checked: an unknown zone is a message on its field."""
    decisions = Decisions(zone=default_zone)
    decisions.order = choices.order if choices.order in ORDERS else ""
    if isinstance(choices.zone, Unread):
        decisions.errors["zone"] = FieldError("imports.zone_unknown", {"zone": choices.zone.text})
    elif choices.zone is not None:
        decisions.zone = choices.zone
    for recode in choices.recodes[:MAX_RECODES]:
        by_value = decisions.recodes.setdefault(recode.question, {})
        by_value[norm_label(recode.value)] = recode.target or SKIP
    return decisions


@dataclass
class _Reading:
    """What every row is read with, and what reading finds along the way."""

    decisions: Decisions
    order: str
    unknown: dict[tuple[str, str], Unknown] = field(default_factory=dict)

    def choice(self, q: QuestionDef, value: str) -> str | None:
        """The choice ``value`` stands for: matched forgivingly, else as staff recoded it
        (``EMPTY``: no answer); ``None`` when the row cannot be kept."""
        match = _match_choice(q, value)
        if match:
            return match
        key = (q.code, norm_label(value))
        seen = self.unknown.get(key)
        if seen is None:
            target = self.decisions.recodes.get(q.code, {}).get(key[1], SKIP)
            if target not in {c.code for c in q.choices} | {EMPTY}:
                target = SKIP
            seen = self.unknown[key] = Unknown(q.code, value[:200], 0, target)
        seen.count += 1
        return None if seen.target == SKIP else seen.target


def _raw_for_row(
    definition: SurveyDef,
    table: Table,
    row: list[str],
    mapping: Mapping[int, str],
    reading: _Reading,
) -> tuple[RawForm, list[tuple[str, str, dict[str, Any]]]]:
    raw: RawForm = {}
    problems: list[tuple[str, str, dict[str, Any]]] = []
    columns: dict[str, list[int]] = {}
    for index, code in mapping.items():
        columns.setdefault(code, []).append(index)
    for code, indexes in columns.items():
        q = definition.question(code)
        cells = [(table.header[i], row[i].strip()) for i in indexes]
        if q.kind == QuestionKind.MULTIPLE:
            chosen: list[str] = []
            other = ""
            for title, value in cells:
                _, option = _header_parts(title)
                if len(cells) > 1 and option:
                    # One column per option (LimeSurvey, Framaforms): a mark means ticked.
                    code_of_option = _match_choice(q, option)
                    if code_of_option is None:
                        if norm_label(option) in {"other", "autre"} and value:
                            other = value
                        elif value:
                            problems.append((code, "builder.import_option", {"value": option}))
                        continue
                    if norm_label(value) in _TRUE or _match_choice(q, value) == code_of_option:
                        chosen.append(code_of_option)
                    elif norm_label(value) not in _FALSE and value != "":
                        problems.append((code, "builder.import_value", {"value": value[:80]}))
                    continue
                for part in _split_multi(q, value) if value else []:
                    if (
                        _match_choice(q, part) is None
                        and q.settings.get("allow_other")
                        and not other
                    ):
                        other = part
                        continue
                    match = reading.choice(q, part)
                    if match and match != EMPTY:
                        chosen.append(match)
                    elif match is None:
                        problems.append((code, "builder.import_value", {"value": part[:80]}))
            if other:
                chosen.append(OTHER)
                raw[f"{q.field}__other"] = [other]
            raw[q.field] = chosen
        elif q.kind == QuestionKind.RANKING:
            order: list[tuple[int, str]] = []
            for title, value in cells:
                if not value:
                    continue
                _, option = _header_parts(title)
                if len(cells) > 1 and option.isdigit():
                    # LimeSurvey: one column per rank holding the choice.
                    match = reading.choice(q, value)
                    if match and match != EMPTY:
                        order.append((int(option), match))
                    elif match is None:
                        problems.append((code, "builder.import_value", {"value": value[:80]}))
                    continue
                if len(cells) > 1 and option:
                    # Google Forms grid: one column per choice holding its rank.
                    match = _match_choice(q, option)
                    if match and value.isdigit():
                        order.append((int(value), match))
                    else:
                        problems.append((code, "builder.import_value", {"value": value[:80]}))
                    continue
                for position, part in enumerate(re.split(r"\s*[>;|,]\s*", value), start=1):
                    match = reading.choice(q, part) if part else EMPTY
                    if match and match != EMPTY:
                        order.append((position, match))
                    elif match is None:
                        problems.append((code, "builder.import_value", {"value": part[:80]}))
            for rank, (_, choice) in enumerate(sorted(order), start=1):
                raw[f"{q.field}__{choice}"] = [str(rank)]
        else:
            value = next((v for _, v in cells if v), "")
            if q.choices and value:
                match = reading.choice(q, value)
                if match is None:
                    problems.append((code, "builder.import_value", {"value": value[:80]}))
                    continue
                value = "" if match == EMPTY else match
            elif q.kind == QuestionKind.DATE and value:
                day = read_day(value, reading.order)
                value = day.isoformat() if day else value
            raw[q.field] = [value]
    return raw, problems


def _date_columns(
    definition: SurveyDef, mapping: Mapping[int, str], date_column: int | None
) -> list[int]:
    dated = [
        i for i, code in mapping.items() if definition.question(code).kind == QuestionKind.DATE
    ]
    return ([date_column] if date_column is not None else []) + dated


def _file_order(table: Table, columns: Sequence[int]) -> DateOrder | None:
    if not columns:
        return None
    return date_order_of(row[i] for row in table.rows for i in columns if row[i].strip())


def _row_key(definition: SurveyDef, row: Sequence[str], occurrence: int) -> str:
    """A row's own fingerprint: the same row in another file gets the same key, so a file
    that overlaps an earlier one does not store its rows twice."""
    digest = hashlib.sha256("\x1f".join(c.strip() for c in row).encode()).hexdigest()
    return str(uuid.uuid5(_NAMESPACE, f"{definition.id}:row:{digest}:{occurrence}"))


async def import_responses(
    definition: SurveyDef,
    upload_id: int,
    choices: ImportChoices,
    *,
    confirm: bool,
    zone: ZoneInfo,
) -> ImportResult:
    """Check every row against the survey's rules, read with what staff chose; with
    ``confirm``, store the valid rows (``channel = import``) in one transaction.

    Nothing is stored while a question is open (ambiguous dates, an unknown time zone), nor
    for a file imported before; rows of an earlier file are listed, not stored twice."""
    data, _ = await _upload(definition, upload_id)
    table = await read_table(data)
    codes = {q.code for q in definition.questions}
    mapping: dict[int, str] = {}
    date_column: int | None = None
    for index in range(len(table.header)):
        chosen = choices.columns.get(index, "")
        if chosen == DATE_COLUMN:
            date_column = index
        elif chosen in codes:
            mapping[index] = chosen
    if not mapping:
        return ImportResult(valid=0, problems=[RowProblem(0, "", "builder.import_no_mapping", {})])
    decisions = read_decisions(choices, zone)
    digest = hashlib.sha256(data).hexdigest()
    dates = _file_order(table, _date_columns(definition, mapping, date_column))
    order = decisions.order if dates and dates.ambiguous else (dates.order if dates else "")
    reading = _Reading(decisions, order or DAY_FIRST)
    items, problems, samples = await asyncio.to_thread(
        _check_rows, definition, table, mapping, date_column, reading
    )
    unmapped = [table.header[i] for i in range(len(table.header)) if i not in mapping]
    result = ImportResult(
        valid=len(items),
        problems=problems,
        unmapped=unmapped,
        dates=dates,
        order=order,
        unknown=sorted(reading.unknown.values(), key=lambda u: (-u.count, u.value))[:MAX_RECODES],
        samples=samples,
        errors=decisions.errors,
    )
    result.already = await _already_imported(definition, digest)
    if result.already is None:
        await _mark_overlap(definition, items, result)
    if confirm and not result.blocked and result.already is None:
        result.imported = await submit_batch(
            definition,
            items,
            via=Import(
                then=lambda conn, stored: _record_file(conn, definition, digest, upload_id, stored)
            ),
        )
    elif confirm and result.already is not None:
        result.imported = 0
    return result


async def _already_imported(definition: SurveyDef, digest: str) -> tuple[dt.datetime, int] | None:
    imported = await response_imports.of_digest(definition.id, digest)
    return None if imported is None else (imported.imported_at, imported.responses)


async def _mark_overlap(
    definition: SurveyDef, items: list[dict[str, Any]], result: ImportResult
) -> None:
    """Rows stored already (from another file holding them): listed, then left out."""
    if not items:
        return
    known = await responses.stored_keys(definition.id, [uuid.UUID(i["key"]) for i in items])
    result.overlap = [i["row"] for i in items if i["key"] in known]
    items[:] = [i for i in items if i["key"] not in known]
    result.valid = len(items)


async def _record_file(
    conn: Any, definition: SurveyDef, digest: str, upload_id: int, stored: int
) -> None:
    """In the transaction that stores the rows: the file's fingerprint, and the upload is
    no longer needed."""
    await response_imports.record(conn, definition.id, digest, stored)
    await uploads.delete(conn, upload_id)


def _check_rows(
    definition: SurveyDef,
    table: Table,
    mapping: Mapping[int, str],
    date_column: int | None,
    reading: _Reading,
) -> tuple[list[dict[str, Any]], list[RowProblem], list[Sample]]:
    """Every row through the survey's rules (run in a worker thread): the valid responses,
    the problems of the others, and a few dates as read."""
    problems: list[RowProblem] = []
    items: list[dict[str, Any]] = []
    samples: list[Sample] = []
    occurrences: dict[tuple[str, ...], int] = {}
    dated = _date_columns(definition, mapping, None)
    for number, row in enumerate(table.rows, start=2):
        raw, row_problems = _raw_for_row(definition, table, row, mapping, reading)
        # PostgreSQL cannot store a NUL character: the row is listed, not stored.
        row_problems += [
            (name.removeprefix("q_").split("__")[0], "builder.import_nul", {})
            for name, values in raw.items()
            if any("\x00" in v for v in values)
        ]
        moment = None
        if date_column is not None and row[date_column].strip():
            moment = read_moment(row[date_column], reading.order, reading.decisions.zone)
            if moment is None:
                row_problems.append(
                    ("", "imports.moment_unreadable", {"value": row[date_column].strip()[:80]})
                )
        problems.extend(RowProblem(number, c, k, p) for c, k, p in row_problems)
        answers, errors = clean_all(definition.sections, raw)
        # A question the other tool did not require may be empty: that is not an error here.
        errors = {c: e for c, e in errors.items() if e.key != "error.required"}
        for code, error in errors.items():
            problems.append(RowProblem(number, code, error.key, error.params))
        if row_problems or errors or not answers:
            continue
        if len(samples) < 3 * (1 + len(dated)):
            if date_column is not None and row[date_column].strip():
                samples.append(Sample(number, table.header[date_column], row[date_column], moment))
            for i in dated:
                if row[i].strip():
                    day = read_day(row[i], reading.order)
                    samples.append(Sample(number, table.header[i], row[i], day=day))
        content = tuple(row)
        occurrences[content] = occurrences.get(content, 0) + 1
        items.append(
            {
                "key": _row_key(definition, row, occurrences[content]),
                "row": number,
                "answers": answers,
                "language": "fr",
                "channel": str(Channel.IMPORT),
                "submitted_at": moment or dt.datetime.now(dt.UTC),
            }
        )
    return items, problems, samples
