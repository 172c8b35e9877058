"""Questionnaires in: a Parlons JSON file or an XLSForm workbook (KoboToolbox, ODK) becomes a
draft survey, with a report of whatever could not be kept.

Workbooks come from staff but are read as hostile: rows, columns and the uncompressed size
are checked while reading, and the parse runs in a worker thread so that residents' pages
are served meanwhile.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from survey.domain import conditions
from survey.domain.builder import slugify
from survey.domain.definitions import (
    CODE_RE,
    FORMAT,
    SLUG_RE,
    create_survey_from_definition,
    forget,
)
from survey.enums import QuestionKind
from survey.errors import SurveyError
from survey.i18n import pick

MAX_XLSFORM_ROWS = 2000
# Rows read from a sheet, blank ones included: a few kilobytes may describe millions.
MAX_SHEET_ROWS = 10 * MAX_XLSFORM_ROWS
MAX_SHEET_COLUMNS = 200
# Uncompressed size of every part of a workbook (a zip "bomb" is refused unread).
MAX_XLSX_UNZIPPED = 16 * 1024 * 1024


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


def check_archive(data: bytes) -> None:
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


def _visible(text: str) -> bool:
    """Whether ``text`` shows something: a character that is no space, control, format
    mark or combining mark alone."""
    return any(unicodedata.category(c)[0] not in "CZM" for c in text)


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
    check_archive(data)
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
    labels: dict[str, dict[str, str]] = {}  # XLSForm name -> question text
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
                # A group's name is for the form's author, not residents: without a label
                # its page is numbered as ungrouped questions are.
                untitled = {"fr": f"Page {len(sections) + 1}", "en": ""}
                current = section(title if title["fr"] else untitled)
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
        labels[name] = question["text"]
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
    _neutral_references(sections, labels, notes)
    title = _texts(settings, "form_title", default)
    if not _visible(title["fr"]):
        # A title of spaces or invisible marks would name the survey's link with nothing.
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


_TEXT_REF = re.compile(r"\$\{\s*([^}\s]*)\s*\}")
# What replaces ``${name}`` in a text residents read: Parlons does not repeat an earlier
# answer inside a text, and the placeholder itself must never be shown.
_NEUTRAL = {"fr": "(votre réponse à « {label} »)", "en": "(your answer to “{label}”)"}
_NEUTRAL_UNKNOWN = {"fr": "…", "en": "…"}


def _neutral(text: str, lang: str, labels: Mapping[str, dict[str, str]], found: list[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        found.append(name)
        label = pick(labels[name], lang) if name in labels else ""
        if not label:
            return _NEUTRAL_UNKNOWN[lang]
        return _NEUTRAL[lang].format(label=label[:80])

    return _TEXT_REF.sub(replace, text)


def _neutral_references(
    sections: list[dict[str, Any]], labels: Mapping[str, dict[str, str]], notes: list[Note]
) -> None:
    """Each ``${name}`` of a title, label, hint or note becomes a neutral text naming the
    question it points to, and is listed in the report."""
    for s in sections:
        texts = [(pick(s["title"], "fr"), s["title"]), (pick(s["title"], "fr"), s["description"])]
        for q in s["questions"]:
            texts += [(q["code"], q["text"]), (q["code"], q["help"])]
            texts += [(q["code"], c) for c in (q.get("settings") or {}).get("choices", [])]
        for where, holder in texts:
            found: list[str] = []
            for lang in ("fr", "en"):
                if isinstance(holder.get(lang), str) and "${" in holder[lang]:
                    holder[lang] = _neutral(holder[lang], lang, labels, found)
            for name in dict.fromkeys(found):
                notes.append(Note(where, "imports.note_reference", {"name": name[:60]}))


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
