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

from analysis.csvio import Table, TableError, parse_table
from survey.domain.builder import LOCAL_TZ, slugify
from survey.domain.db import connection
from survey.domain.definitions import QuestionDef, SurveyDef
from survey.domain.forms import OTHER, RawForm, clean_all
from survey.domain.responses import load_responses
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


async def _table(data: bytes) -> Table:
    """A responses file read in a worker thread, limits checked while reading."""
    return await asyncio.to_thread(_parse, data)


async def store_upload(
    definition: SurveyDef, data: bytes, filename: str, *, user_id: int | None
) -> int:
    """Keep a responses file while staff map its columns; a file that cannot be read is
    refused at once."""
    table = await _table(data)
    if not table.rows:
        raise SurveyError("builder.csv_no_rows")
    async with connection() as conn:
        return int(
            await conn.fetchval(
                "INSERT INTO uploads (survey_id, user_id, filename, data, created_at)"
                " VALUES ($1, $2, $3, $4, now()) RETURNING id",
                definition.id,
                user_id,
                filename,
                data,
            )
        )


async def _upload(definition: SurveyDef, upload_id: int) -> tuple[bytes, str]:
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT data, filename FROM uploads WHERE id = $1 AND survey_id = $2",
            upload_id,
            definition.id,
        )
    if row is None:
        raise NotFound("builder.upload_unknown")
    return bytes(row["data"]), str(row["filename"])


DATE_COLUMN = "__date__"
_DATE_HEADERS = (
    "horodateur",
    "horodatage",
    "submitted time",
    "timestamp",
    "submitdate",
    "date de soumission",
    "submitted",
    "date submitted",
    "envoyé",
    "date",
)


def _norm(text: str) -> str:
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
    wanted = _norm(title)
    if wanted in {_norm(h) for h in _DATE_HEADERS}:
        return DATE_COLUMN
    head, option = _header_parts(title)
    for candidate in (wanted, _norm(head)) if option else (wanted,):
        for q in questions:
            names = {_norm(q.code), _norm(q.text.get("fr", "")), _norm(q.text.get("en", ""))}
            if candidate in names:
                return q.code
        # LimeSurvey titles are often "code. Question text".
        for q in questions:
            if candidate.startswith(_norm(q.code) + " ") and _norm(q.code):
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
    guess: dict[str, str]


async def describe_upload(definition: SurveyDef, upload_id: int) -> ImportPlan:
    """The columns of an uploaded file and a first guess of their questions."""
    data, filename = await _upload(definition, upload_id)
    table = await _table(data)
    guess = {
        f"col_{i}": _guess(definition.questions, title) for i, title in enumerate(table.header)
    }
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
    wanted = _norm(text)
    if not wanted:
        return None
    for choice in q.choices:
        names = {
            _norm(choice.code),
            _norm(choice.label.get("fr", "")),
            _norm(choice.label.get("en", "")),
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


@dataclass
class RowProblem:
    row: int
    question: str
    key: str
    params: dict[str, Any]


@dataclass
class ImportResult:
    valid: int
    problems: list[RowProblem]
    imported: int | None = None
    unmapped: list[str] = field(default_factory=list)

    @property
    def rows_with_problems(self) -> int:
        return len({p.row for p in self.problems})


def _raw_for_row(
    definition: SurveyDef, table: Table, row: list[str], mapping: Mapping[int, str]
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
                        if _norm(option) in {"other", "autre"} and value:
                            other = value
                        elif value:
                            problems.append((code, "builder.import_option", {"value": option}))
                        continue
                    if _norm(value) in _TRUE or _match_choice(q, value) == code_of_option:
                        chosen.append(code_of_option)
                    elif _norm(value) not in _FALSE and value != "":
                        problems.append((code, "builder.import_value", {"value": value[:80]}))
                    continue
                for part in _split_multi(q, value) if value else []:
                    match = _match_choice(q, part)
                    if match:
                        chosen.append(match)
                    elif q.settings.get("allow_other") and not other:
                        other = part
                    else:
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
                    match = _match_choice(q, value)
                    if match:
                        order.append((int(option), match))
                    else:
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
                    match = _match_choice(q, part)
                    if match:
                        order.append((position, match))
                    elif part:
                        problems.append((code, "builder.import_value", {"value": part[:80]}))
            for rank, (_, choice) in enumerate(sorted(order), start=1):
                raw[f"{q.field}__{choice}"] = [str(rank)]
        else:
            value = next((v for _, v in cells if v), "")
            if q.choices and value:
                match = _match_choice(q, value)
                if match is None:
                    problems.append((code, "builder.import_value", {"value": value[:80]}))
                    continue
                value = match
            raw[q.field] = [value]
    return raw, problems


def _moment(text: str) -> dt.datetime | None:
    text = re.sub(r"\s*(UTC|GMT)([+-]\d+)?$", "", text.strip()).replace(" - ", " ")
    for fmt in (
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
        "%d.%m.%Y %H:%M",
        "%Y-%m-%d",
        "%d/%m/%Y",
    ):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=LOCAL_TZ)
        except ValueError:
            continue
    return None


async def import_responses(
    definition: SurveyDef, upload_id: int, values: Mapping[str, str], *, confirm: bool
) -> ImportResult:
    """Check every row against the survey's rules; with ``confirm``, store the valid rows
    (``channel = import``). Rows of a file already imported are not stored twice."""
    data, _ = await _upload(definition, upload_id)
    table = await _table(data)
    codes = {q.code for q in definition.questions}
    mapping: dict[int, str] = {}
    date_column: int | None = None
    for index in range(len(table.header)):
        chosen = str(values.get(f"col_{index}", ""))
        if chosen == DATE_COLUMN:
            date_column = index
        elif chosen in codes:
            mapping[index] = chosen
    if not mapping:
        return ImportResult(valid=0, problems=[RowProblem(0, "", "builder.import_no_mapping", {})])
    digest = hashlib.sha256(data).hexdigest()
    items, problems = await asyncio.to_thread(
        _check_rows, definition, table, mapping, date_column, digest
    )
    unmapped = [table.header[i] for i in range(len(table.header)) if i not in mapping]
    result = ImportResult(valid=len(items), problems=problems, unmapped=unmapped)
    if confirm and items:
        result.imported = await load_responses(definition, items)
        async with connection() as conn:
            await conn.execute("DELETE FROM uploads WHERE id = $1", upload_id)
    elif confirm:
        result.imported = 0
    return result


def _check_rows(
    definition: SurveyDef,
    table: Table,
    mapping: Mapping[int, str],
    date_column: int | None,
    digest: str,
) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    """Every row through the survey's rules (run in a worker thread): the valid responses
    and the problems of the others."""
    problems: list[RowProblem] = []
    items: list[dict[str, Any]] = []
    for number, row in enumerate(table.rows, start=2):
        raw, row_problems = _raw_for_row(definition, table, row, mapping)
        # PostgreSQL cannot store a NUL character: the row is listed, not stored.
        row_problems += [
            (name.removeprefix("q_").split("__")[0], "builder.import_nul", {})
            for name, values in raw.items()
            if any("\x00" in v for v in values)
        ]
        problems.extend(RowProblem(number, c, k, p) for c, k, p in row_problems)
        answers, errors = clean_all(definition.sections, raw)
        # A question the other tool did not require may be empty: that is not an error here.
        errors = {c: e for c, e in errors.items() if e.key != "error.required"}
        for code, error in errors.items():
            problems.append(RowProblem(number, code, error.key, error.params))
        if row_problems or errors or not answers:
            continue
        moment = _moment(row[date_column]) if date_column is not None else None
        items.append(
            {
                "key": str(uuid.uuid5(_NAMESPACE, f"{definition.id}:{digest}:{number}")),
                "answers": answers,
                "language": "fr",
                "channel": str(Channel.IMPORT),
                "submitted_at": moment or dt.datetime.now(dt.UTC),
            }
        )
    return items, problems
