"""Files in and out: Parlons JSON and XLSForm definitions, responses as XLSX, and responses
exported by Google Forms, LimeSurvey or Framaforms.

Nothing is dropped silently: whatever an import cannot keep is listed in its report. A file
that cannot be read at all changes nothing.

Files come from staff but are read as hostile: limits (rows, columns, cells, uncompressed
size) are checked while reading, never after, and every parse runs in a worker thread so
that residents' pages are served meanwhile. Whatever the parser refuses becomes a message
next to the file field.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import ParseError

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from analysis.csvio import Table, TableError, parse_table
from survey.domain import conditions
from survey.domain.builder import LOCAL_TZ, slugify
from survey.domain.db import connection
from survey.domain.definitions import (
    CODE_RE,
    FORMAT,
    SLUG_RE,
    QuestionDef,
    SurveyDef,
    create_survey_from_definition,
    forget,
)
from survey.domain.forms import OTHER, RawForm, clean_all
from survey.domain.responses import format_answer, load_responses, neutralise
from survey.enums import Channel, QuestionKind
from survey.errors import NotFound, SurveyError
from survey.i18n import pick

MAX_XLSFORM_ROWS = 2000
# Rows read from a sheet, blank ones included: a few kilobytes may describe millions.
MAX_SHEET_ROWS = 10 * MAX_XLSFORM_ROWS
MAX_SHEET_COLUMNS = 200
# Uncompressed size of every part of a workbook (a zip "bomb" is refused unread).
MAX_XLSX_UNZIPPED = 16 * 1024 * 1024
MAX_IMPORT_ROWS = 20_000
MAX_IMPORT_COLUMNS = 1000
MAX_IMPORT_CELLS = 2_000_000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
_NAMESPACE = uuid.UUID("6f1c6c52-3f4e-4d3b-9a57-2f0c1d6b7e11")


@dataclass
class Note:
    """One thing an import could not keep as it was: where, and a message key."""

    where: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class DefinitionReport:
    slug: str
    title: str
    sections: int
    questions: int
    notes: list[Note]


# --- definitions ----------------------------------------------------------------------------


async def import_definition(data: bytes, filename: str, *, slug: str = "") -> DefinitionReport:
    """Create a draft survey from a Parlons JSON file or an XLSForm workbook (read in a
    worker thread)."""
    definition, notes = await asyncio.to_thread(read_definition_file, data, filename)
    slug = slug.strip().lower()
    if slug:
        definition["slug"] = slug
    definition["status"] = "draft"
    survey = await create_survey_from_definition(definition)
    forget(definition["slug"])
    return DefinitionReport(
        slug=definition["slug"],
        title=survey.title_fr,
        sections=len(definition["sections"]),
        questions=sum(len(s.get("questions") or []) for s in definition["sections"]),
        notes=notes,
    )


def read_definition_file(data: bytes, filename: str) -> tuple[dict[str, Any], list[Note]]:
    """A Parlons JSON file or an XLSForm workbook as a definition, and its report."""
    if data[:2] == b"PK":  # A zip archive: an .xlsx workbook.
        return xlsform_to_definition(data, filename)
    try:
        definition = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise SurveyError("builder.import_unreadable") from exc
    if not isinstance(definition, dict) or definition.get("format") != FORMAT:
        raise SurveyError("error.definition_format")
    return definition, []


_SKIPPED_TYPES = {
    "calculate",
    "hidden",
    "geopoint",
    "geotrace",
    "geoshape",
    "image",
    "audio",
    "video",
    "file",
    "barcode",
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "start-geopoint",
    "background-audio",
    "xml-external",
    "csv-external",
    "time",
    "datetime",
    "acknowledge",
    "trigger",
}
_YES = {"yes", "true", "true()", "1", "oui", "y"}


def _cell(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _bounded_rows(sheet: Any) -> Iterator[tuple[Any, ...]]:
    """A sheet's rows, read one at a time and refused past ``MAX_SHEET_ROWS``."""
    for count, row in enumerate(sheet.iter_rows(values_only=True)):
        if count > MAX_SHEET_ROWS:
            raise SurveyError("builder.import_too_many_rows", max=MAX_XLSFORM_ROWS)
        yield row[:MAX_SHEET_COLUMNS]


def _sheet(workbook: Any, name: str) -> list[dict[str, str]]:
    for title in workbook.sheetnames:
        if title.strip().lower() == name:
            rows = _bounded_rows(workbook[title])
            break
    else:
        return []
    first = next(rows, None)
    if first is None:
        return []
    header = [_cell(h).lower() for h in first]
    records = []
    for row in rows:
        record = {header[i]: _cell(v) for i, v in enumerate(row) if i < len(header) and header[i]}
        if any(record.values()):
            records.append(record)
            if len(records) > MAX_XLSFORM_ROWS:
                raise SurveyError("builder.import_too_many_rows", max=MAX_XLSFORM_ROWS)
    return records


def _check_archive(data: bytes) -> None:
    """Refuse, before any part is read, a workbook that would unzip to too much."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise SurveyError("builder.xlsx_unreadable") from exc
    if unzipped > MAX_XLSX_UNZIPPED:
        raise SurveyError("builder.xlsx_too_large", mb=MAX_XLSX_UNZIPPED // 2**20)


def _language_of(column: str, default: str) -> str | None:
    """``label``, ``label::French (fr)``, ``label::en``... → ``fr`` / ``en`` / None."""
    if "::" not in column:
        return default
    name = column.split("::", 1)[1].strip().lower()
    if "(fr)" in name or name.startswith(("fr", "fran")):
        return "fr"
    if "(en)" in name or name.startswith(("en", "angl")):
        return "en"
    return None


def _texts(record: Mapping[str, str], base: str, default: str) -> dict[str, str]:
    texts = {"fr": "", "en": ""}
    for column, value in record.items():
        if column == base or column.startswith(base + "::"):
            lang = _language_of(column, default)
            if lang and value and not texts[lang]:
                texts[lang] = value
    if not texts["fr"]:  # French is required: fall back on the other language.
        texts["fr"] = texts["en"]
    return texts


def _code(name: str, taken: set[str]) -> str:
    code = re.sub(r"[^a-z0-9_-]", "_", name.strip().lower())[:60].strip("-") or "q"
    if not CODE_RE.match(code):
        code = "q_" + code
    base, n = code, 2
    while code in taken:
        code, n = f"{base[:56]}_{n}", n + 1
    taken.add(code)
    return code


def xlsform_to_definition(data: bytes, filename: str = "") -> tuple[dict[str, Any], list[Note]]:
    """An XLSForm workbook as a Parlons JSON definition, with notes on what was not kept."""
    _check_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            survey_rows = _sheet(workbook, "survey")
            choice_rows = _sheet(workbook, "choices")
            settings_rows = _sheet(workbook, "settings")
        finally:
            workbook.close()
    except SurveyError:
        raise
    except (InvalidFileException, ParseError, RecursionError) as exc:
        # ParseError: malformed XML, or entities that expand too much ("billion laughs").
        raise SurveyError("builder.xlsx_unreadable") from exc
    except Exception as exc:  # noqa: BLE001 - whatever a hostile workbook makes the reader raise
        raise SurveyError("builder.xlsx_unreadable") from exc
    if (
        not survey_rows
        or "type" not in survey_rows[0]
        and not any("type" in r for r in survey_rows)
    ):
        raise SurveyError("builder.xlsform_no_survey")
    settings = settings_rows[0] if settings_rows else {}
    default = (
        "en" if settings.get("default_language", "").lower().startswith(("en", "engl")) else "fr"
    )
    notes: list[Note] = []
    lists: dict[str, list[dict[str, str]]] = {}
    for row in choice_rows:
        list_name = row.get("list_name") or row.get("list name") or ""
        if not list_name or not row.get("name"):
            continue
        label = _texts(row, "label", default)
        lists.setdefault(list_name, []).append(
            {"name": row["name"], "fr": label["fr"] or row["name"], "en": label["en"]}
        )
    taken: set[str] = set()
    names: dict[str, str] = {}  # XLSForm name -> our code
    kinds: dict[str, QuestionKind] = {}
    sections: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    depth = 0
    relevants: list[tuple[dict[str, Any], str, str]] = []

    def section(title: dict[str, str]) -> dict[str, Any]:
        new = {"title": title, "description": {"fr": "", "en": ""}, "questions": []}
        sections.append(new)
        return new

    for line, row in enumerate(survey_rows, start=2):
        kind_text = row.get("type", "").strip()
        parts = kind_text.split()
        base = parts[0].lower() if parts else ""
        name = row.get("name", "")
        where = name or f"{line}"
        if base in ("begin_group", "begin") and (len(parts) == 1 or parts[1] == "group"):
            depth += 1
            if depth == 1:
                title = _texts(row, "label", default)
                current = section(title if title["fr"] else {"fr": name or "Page", "en": ""})
                if row.get("relevant"):
                    relevants.append((current, row["relevant"], where))
            else:
                notes.append(Note(where, "builder.note_nested_group"))
            continue
        if base in ("end_group", "end") and (len(parts) == 1 or parts[1] == "group"):
            depth = max(depth - 1, 0)
            if depth == 0:
                current = None
            continue
        if base in ("begin_repeat", "end_repeat") or (
            base in ("begin", "end") and "repeat" in parts
        ):
            # Reported once, at the start: the questions inside are kept.
            if base.startswith("begin"):
                notes.append(Note(where, "builder.note_repeat"))
            continue
        if not base:
            continue
        if base == "note":
            target = current or (sections[-1] if sections else section({"fr": "Page 1", "en": ""}))
            text = _texts(row, "label", default)
            for lang in ("fr", "en"):
                joined = " ".join(t for t in (target["description"][lang], text[lang]) if t)
                target["description"][lang] = joined
            notes.append(Note(where, "builder.note_note"))
            continue
        if base in _SKIPPED_TYPES:
            notes.append(Note(where, "builder.note_type", {"type": base}))
            continue
        question = _xls_question(row, parts, lists, default, notes, where)
        if question is None:
            continue
        code = _code(name or slugify(question["text"]["fr"]), taken)
        if name and code != name:
            notes.append(Note(where, "builder.note_renamed", {"code": code}))
        names[name] = code
        question["code"] = code
        kinds[code] = QuestionKind(question["kind"])
        if current is None:
            current = section({"fr": f"Page {len(sections) + 1}", "en": ""})
            depth = 0
        current["questions"].append(question)
        if row.get("relevant"):
            relevants.append((question, row["relevant"], where))
        if row.get("constraint"):
            notes.append(Note(where, "builder.note_constraint"))
    sections = [s for s in sections if s["questions"] or s["description"]["fr"]]
    for target, expression, where in relevants:
        condition = parse_relevant(expression, names, kinds)
        if condition is None:
            notes.append(Note(where, "builder.note_relevant", {"expression": expression[:120]}))
        else:
            target.setdefault("settings", {})[conditions.KEY] = condition
    _drop_bad_conditions(sections, notes)
    title = _texts(settings, "form_title", default)
    if not title["fr"]:
        title = {"fr": re.sub(r"\.xlsx?$", "", filename) or "XLSForm", "en": ""}
    slug_source = settings.get("form_id") or title["fr"]
    slug = slugify(slug_source, 50).replace("_", "-")
    if not SLUG_RE.match(slug):
        slug = "xlsform-" + slug
    definition = {"format": FORMAT, "slug": slug[:63], "title": title, "sections": sections}
    if not sections:
        raise SurveyError("error.no_sections")
    return definition, notes


def _xls_question(
    row: Mapping[str, str],
    parts: list[str],
    lists: Mapping[str, list[dict[str, str]]],
    default: str,
    notes: list[Note],
    where: str,
) -> dict[str, Any] | None:
    base = parts[0].lower()
    settings: dict[str, Any] = {}
    appearance = row.get("appearance", "").lower()
    if base in ("select_one", "select_multiple", "rank"):
        list_name = parts[1] if len(parts) > 1 else ""
        options = lists.get(list_name, [])
        if len(options) < 2:
            notes.append(Note(where, "builder.note_choices", {"list": list_name}))
            return None
        taken: set[str] = set()
        settings["choices"] = [
            {"code": _code(o["name"], taken), "fr": o["fr"], "en": o["en"]} for o in options
        ]
        if "or_other" in parts or "or other" in " ".join(parts):
            if base == "select_multiple":
                settings["allow_other"] = True
            else:
                notes.append(Note(where, "builder.note_other"))
        kind = {
            "select_one": QuestionKind.SINGLE,
            "select_multiple": QuestionKind.MULTIPLE,
            "rank": QuestionKind.RANKING,
        }[base]
    elif base == "text":
        kind = QuestionKind.LONG_TEXT if "multiline" in appearance else QuestionKind.SHORT_TEXT
    elif base in ("integer", "decimal"):
        kind = QuestionKind.NUMBER
    elif base == "date":
        kind = QuestionKind.DATE
    elif base == "range":
        params = dict(re.findall(r"(\w+)\s*=\s*([-\d.]+)", row.get("parameters", "")))
        low, high = params.get("start", "1"), params.get("end", "10")
        try:
            low_n, high_n = int(float(low)), int(float(high))
        except ValueError:
            low_n, high_n = 1, 10
        if 0 <= low_n < high_n <= 10 and params.get("step", "1") in ("1", "1.0"):
            kind = QuestionKind.SCALE
        else:
            kind = QuestionKind.NUMBER
        settings.update({"min": low_n, "max": high_n})
    else:
        notes.append(Note(where, "builder.note_type", {"type": base}))
        return None
    text = _texts(row, "label", default)
    if not text["fr"]:
        text = {"fr": row.get("name", "?"), "en": ""}
    return {
        "kind": str(kind),
        "text": text,
        "help": _texts(row, "hint", default),
        "required": row.get("required", "").lower() in _YES,
        "settings": settings,
    }


_REF = r"\$\{([^}]+)\}"
_VALUE = r"""(?:'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?))"""
_COMPARE = re.compile(rf"^{_REF}\s*(=|>=|<=|>|<)\s*{_VALUE}$")
_SELECTED = re.compile(rf"^selected\(\s*{_REF}\s*,\s*{_VALUE}\s*\)$")


def _atom(text: str) -> tuple[str, str, str] | None:
    """One comparison → (name, operator, value)."""
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    match = _SELECTED.match(text.strip())
    if match:
        return match.group(1), "selected", next(g for g in match.groups()[1:] if g is not None)
    match = _COMPARE.match(text.strip())
    if match:
        value = next(g for g in match.groups()[2:] if g is not None)
        return match.group(1), match.group(2), value
    return None


def parse_relevant(
    expression: str, names: Mapping[str, str], kinds: Mapping[str, QuestionKind]
) -> dict[str, Any] | None:
    """Simple XLSForm ``relevant`` expressions as a condition, else ``None``."""
    text = expression.strip()
    joiner = " or " if " or " in text else " and " if " and " in text else None
    pieces = [p for p in re.split(r"\s+(?:or|and)\s+", text)] if joiner else [text]
    atoms = [_atom(p) for p in pieces]
    if any(a is None for a in atoms) or not atoms:
        return None
    refs = {a[0] for a in atoms if a}
    if len(refs) != 1:
        return None
    name = refs.pop()
    code = names.get(name)
    if code is None:
        return None
    kind = kinds[code]
    ops = [a[1] for a in atoms if a]
    values = [a[2] for a in atoms if a]
    if len(atoms) == 1:
        op, value = ops[0], values[0]
        if op == "selected":
            return {
                "question": code,
                "op": "includes" if kind == QuestionKind.MULTIPLE else "equals",
                "value": value,
            }
        if op == "=":
            return {"question": code, "op": "equals", "value": value}
        return _bounds(code, list(zip(ops, values, strict=True)))
    if joiner == " or " and all(o in ("=", "selected") for o in ops):
        if kind == QuestionKind.MULTIPLE:
            return None
        return {"question": code, "op": "one_of", "values": values}
    if joiner == " and " and all(o in (">", ">=", "<", "<=") for o in ops):
        return _bounds(code, list(zip(ops, values, strict=True)))
    return None


def _bounds(code: str, comparisons: list[tuple[str, str]]) -> dict[str, Any] | None:
    condition: dict[str, Any] = {"question": code, "op": "between"}
    for op, text in comparisons:
        try:
            number = float(text)
        except ValueError:
            return None
        if op in (">", "<") and number != int(number):
            return None  # A strict bound on a decimal has no "between" equivalent.
        value: int | float = int(number) if number == int(number) else number
        if op == ">":
            condition["min"] = int(value) + 1
        elif op == ">=":
            condition["min"] = value
        elif op == "<":
            condition["max"] = int(value) - 1
        else:
            condition["max"] = value
    return condition


def _drop_bad_conditions(sections: list[dict[str, Any]], notes: list[Note]) -> None:
    """Conditions our rules refuse (pointing forwards...) are removed and listed."""
    for _ in range(500):
        try:
            conditions.check_conditions(sections)
            return
        except SurveyError as error:
            where = str(error.params.get("where", ""))
            for s in sections:
                items = [s, *s["questions"]]
                for item in items:
                    label = item.get("code") or pick(item.get("title") or {}, "fr")
                    if label == where and conditions.KEY in (item.get("settings") or {}):
                        del item["settings"][conditions.KEY]
                        notes.append(Note(where, "builder.note_condition_dropped"))
                        break
                else:
                    continue
                break
            else:
                return


# --- responses out --------------------------------------------------------------------------


async def export_xlsx(definition: SurveyDef, language: str, *, labels: bool = True) -> bytes:
    """The responses as an Excel workbook: answer labels and question texts, or raw codes."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("responses")
    questions = definition.questions
    head = ["id", "submitted_at", "channel", "language"]
    if labels:
        sheet.append(head + [neutralise(pick(q.text, language)) for q in questions])
    else:
        sheet.append(head + [q.code for q in questions])
    async with connection() as conn, conn.transaction():
        cursor = conn.cursor(
            "SELECT id, answers, language, channel, submitted_at FROM responses"
            " WHERE survey_id = $1 ORDER BY id",
            definition.id,
            prefetch=1000,
        )
        async for record in cursor:
            answers = json.loads(record["answers"])
            moment = record["submitted_at"].astimezone(LOCAL_TZ).replace(tzinfo=None)
            cells: list[Any] = [record["id"], moment, record["channel"], record["language"]]
            for q in questions:
                cells.append(_xlsx_cell(definition, q, answers, language, labels))
            sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(
    definition: SurveyDef, q: QuestionDef, answers: Mapping[str, Any], lang: str, labels: bool
) -> Any:
    value = answers.get(q.code)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if labels:
        text = format_answer(definition, q.code, value, lang, other=answers.get(f"{q.code}__other"))
    elif isinstance(value, list):
        text = ";".join(str(v) for v in value)
        if f"{q.code}__other" in answers:
            text += f";{answers[f'{q.code}__other']}"
    else:
        text = str(value)
    # Text starting with "=" would be stored as a formula by the spreadsheet library.
    return neutralise(text)


# --- responses in ---------------------------------------------------------------------------


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
