"""Read CSV files exported by other tools (Google Forms, LimeSurvey, Framaforms, Excel).

Encoding and delimiter are sniffed; quoted fields may hold newlines. Errors carry a message
key and parameters so that callers can phrase them in the user's language.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_ROWS = 100_000
DELIMITERS = (",", ";", "\t", "|")
# Tried in order: strict UTF-8 rarely decodes text that is not UTF-8; cp1252 (Excel on
# Windows) covers the rest, with latin-1 as the decoder that never fails.
_ENCODINGS = ("utf-8", "cp1252", "latin-1")
_BOM = b"\xef\xbb\xbf"


class TableError(ValueError):
    """A CSV problem, with a message ``key`` (``"csv.empty"``...) and its ``params``."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        details = ", ".join(f"{name}={value!r}" for name, value in params.items())
        super().__init__(f"{key}: {details}" if details else key)


@dataclass(frozen=True)
class Table:
    """A CSV file read as plain lists, with what was detected."""

    header: list[str]
    rows: list[list[str]]
    encoding: str
    delimiter: str

    def column(self, name: str) -> list[str]:
        """Values of the column called ``name``; raises ``csv.missing_column`` if absent."""
        return [row[self.index(name)] for row in self.rows]

    def index(self, name: str) -> int:
        """Position of column ``name``, matched exactly, then ignoring case and spaces."""
        if name in self.header:
            return self.header.index(name)
        wanted = name.strip().casefold()
        for position, title in enumerate(self.header):
            if title.strip().casefold() == wanted:
                return position
        raise TableError("csv.missing_column", column=name, available=list(self.header))


def decode(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes, returning the text and the encoding that worked.

    A UTF-8 byte-order mark is dropped first: some tools write one before cp1252 text.
    """
    bom = data.startswith(_BOM)
    body = data[len(_BOM) :] if bom else data
    for encoding in _ENCODINGS:
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text, "utf-8-sig" if bom and encoding == "utf-8" else encoding
    raise TableError("csv.unreadable")  # pragma: no cover - latin-1 decodes any bytes


def sniff_delimiter(text: str) -> str:
    """Guess the delimiter among comma, semicolon, tab and pipe.

    Each candidate parses the first records; the winner gives the most records with as many
    fields as the header, then the widest header. Quoting is honoured, so commas inside
    quoted answers do not fool it the way character counts would.
    """
    sample = text[: 64 * 1024]
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        records: list[list[str]] = []
        try:
            for record in reader:
                if record:
                    records.append(record)
                if len(records) == 30:
                    break
        except csv.Error:
            continue
        if not records or len(records[0]) < 2:
            continue
        # The last record of a truncated sample may be cut short: leave it out.
        body = records[1:-1] if len(sample) < len(text) else records[1:]
        agreeing = sum(len(r) == len(records[0]) for r in body) / len(body) if body else 1.0
        score = (agreeing, len(records[0]))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def parse_table(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_columns: int | None = None,
    max_cells: int | None = None,
) -> Table:
    """Parse CSV bytes into a header and rows.

    Blank lines are skipped; short rows are padded with empty strings and long ones cut to
    the header's width, so every row has one cell per column. ``max_columns`` and
    ``max_cells`` (columns of the header times rows) are checked while reading, record by
    record, so that a hostile file is refused before it fills memory.
    """
    if len(data) > max_bytes:
        raise TableError("csv.too_large", size=len(data), limit=max_bytes)
    text, encoding = decode(data)
    if not text.strip():
        raise TableError("csv.empty")
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        records: list[list[str]] = []
        width = 0
        for record in reader:
            if not record:
                continue
            if not records:
                width = len(record)
                if max_columns is not None and width > max_columns:
                    raise TableError("csv.too_many_columns", columns=width, limit=max_columns)
            records.append(record[:width])
            if len(records) > max_rows + 1:
                raise TableError("csv.too_large", rows=len(records) - 1, limit=max_rows)
            if max_cells is not None and width * (len(records) - 1) > max_cells:
                raise TableError("csv.too_many_cells", limit=max_cells)
    except csv.Error as error:
        raise TableError("csv.unreadable", line=reader.line_num, reason=str(error)) from error
    if not records:
        raise TableError("csv.empty")
    header = [title.strip() for title in records[0]]
    width = len(header)
    rows = [record[:width] + [""] * (width - len(record)) for record in records[1:]]
    return Table(header=header, rows=rows, encoding=encoding, delimiter=delimiter)


def read_table(
    path: str | Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> Table:
    """Read a CSV file from disk; see ``parse_table``."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise TableError("csv.too_large", size=size, limit=max_bytes)
        data = path.read_bytes()
    except OSError as error:
        raise TableError("csv.unreadable", path=str(path), reason=error.strerror) from error
    return parse_table(data, max_bytes=max_bytes, max_rows=max_rows)
