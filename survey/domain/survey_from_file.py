"""A new survey started from another tool's responses file: each column proposed as a
question, its type read from its values; staff review, then a draft survey is created and
the file goes through the ordinary responses import (same checks, same report)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from survey.domain.builder import Invalid, slugify
from survey.domain.definitions import CODE_RE, FORMAT, SLUG_RE, create_survey_from_definition
from survey.domain.forms import FieldError
from survey.domain.import_dates import written
from survey.domain.queries import uploads
from survey.domain.response_import import DATE_COLUMN, DATE_HEADERS, norm_label, read_table
from survey.enums import QuestionKind
from survey.errors import NotFound, SurveyError

# Offered for each column, in this order; ``DATE_COLUMN`` is the response's own date.
KINDS = (
    DATE_COLUMN,
    str(QuestionKind.SHORT_TEXT),
    str(QuestionKind.LONG_TEXT),
    str(QuestionKind.NUMBER),
    str(QuestionKind.DATE),
    str(QuestionKind.SINGLE),
    str(QuestionKind.MULTIPLE),
)
# A column with at most this many distinct values (or parts) is proposed as a choice.
MAX_CHOICES = 12
MAX_COLUMNS = 100
_SPLIT = re.compile(r"\s*;\s*|,\s+")


@dataclass
class Proposal:
    """A column of the file as a question: its title, type and choices, as proposed."""

    index: int
    header: str
    title: str
    kind: str
    choices: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    # Kept for a column staff turn into a choice question: its values, and their parts.
    distinct: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)


@dataclass
class FilePlan:
    upload_id: int
    filename: str
    rows: int
    proposals: list[Proposal]


def _number(text: str) -> bool:
    return (
        re.fullmatch(r"-?\d+(?:[.,]\d+)?", text.replace("\u202f", "").replace(" ", "")) is not None
    )


def _distinct(values: Sequence[str]) -> list[str]:
    """Distinct values, forgiving case, accents and spaces, the most frequent first."""
    first: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for value in values:
        key = norm_label(value)
        first.setdefault(key, value)
        counts[key] += 1
    return [first[k] for k, _ in counts.most_common()]


def propose_column(index: int, header: str, values: Sequence[str], *, dated: bool) -> Proposal:
    """The question a column's values suggest (``dated``: a response date was found already)."""
    cells = [v.strip() for v in values if v.strip()]
    proposal = Proposal(index, header, header.strip()[:200] or f"Question {index + 1}", "")
    proposal.examples = _distinct(cells)[:3]
    moments = [written(v) for v in cells]
    if cells and all(m is not None for m in moments):
        timed = any(m.time is not None for m in moments if m)
        if not dated and (timed or norm_label(header) in {norm_label(h) for h in DATE_HEADERS}):
            proposal.kind = DATE_COLUMN
        else:
            proposal.kind = str(QuestionKind.DATE)
        return proposal
    if cells and all(_number(v) for v in cells):
        proposal.kind = str(QuestionKind.NUMBER)
        return proposal
    distinct = _distinct(cells)
    parts = _distinct([p for v in cells for p in _SPLIT.split(v) if p])
    proposal.distinct, proposal.parts = distinct[: 4 * MAX_CHOICES], parts[: 4 * MAX_CHOICES]
    split = any(len([p for p in _SPLIT.split(v) if p]) > 1 for v in cells)
    if cells and len(distinct) <= MAX_CHOICES and len(distinct) < len(cells):
        proposal.kind, proposal.choices = str(QuestionKind.SINGLE), distinct
    elif cells and split and len(parts) <= MAX_CHOICES:
        proposal.kind, proposal.choices = str(QuestionKind.MULTIPLE), parts
    elif cells and sum(len(v) for v in cells) / len(cells) > 60:
        proposal.kind = str(QuestionKind.LONG_TEXT)
    else:
        proposal.kind = str(QuestionKind.SHORT_TEXT)
    return proposal


async def store_file(data: bytes, filename: str, *, user_id: int) -> int:
    """Keep a responses file, of no survey yet, while its uploader reviews the questions."""
    table = await read_table(data)
    if not table.rows:
        raise SurveyError("builder.csv_no_rows")
    if len(table.header) > MAX_COLUMNS:
        raise SurveyError("imports.too_many_columns", max=MAX_COLUMNS)
    return await uploads.insert_unattached(user_id, filename, data)


async def _file(upload_id: int, user_id: int) -> tuple[bytes, str]:
    found = await uploads.unattached(upload_id, user_id)
    if found is None:
        raise NotFound("builder.upload_unknown")
    return found.data, found.filename


async def describe_file(upload_id: int, *, user_id: int) -> FilePlan:
    """The questions proposed for each column of an uploaded file."""
    data, filename = await _file(upload_id, user_id)
    table = await read_table(data)
    proposals: list[Proposal] = []
    dated = False
    for index, header in enumerate(table.header):
        proposal = propose_column(index, header, [r[index] for r in table.rows], dated=dated)
        dated = dated or proposal.kind == DATE_COLUMN
        proposals.append(proposal)
    return FilePlan(upload_id, filename, len(table.rows), proposals)


def _code(header: str, taken: set[str]) -> str:
    # From the column's title, not the question's: the import then finds its column by it.
    code = slugify(header, 60) or "q"
    if not CODE_RE.match(code):
        code = ("q_" + code)[:60]
    base, n = code, 2
    while code in taken:
        code, n = f"{base[:56]}_{n}", n + 1
    taken.add(code)
    return code


@dataclass(frozen=True)
class KeptColumn:
    """A column staff keep as a question: its type and title as chosen (``None``: as
    proposed)."""

    kind: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class FileSurvey:
    """The reviewed proposals: the new survey's slug and title, and the columns kept, by
    index. Errors found in it are keyed ``slug``, ``title``, ``columns`` and
    ``columns.INDEX.kind`` / ``columns.INDEX.title``."""

    slug: str
    title: str
    columns: Mapping[int, KeptColumn] = field(default_factory=dict)


def column_place(index: int, attribute: str) -> str:
    """Where an error about a kept column's ``kind`` or ``title`` is keyed."""
    return f"columns.{index}.{attribute}"


async def create_from_file(
    upload_id: int, command: FileSurvey, *, user_id: int
) -> tuple[str, dict[int, str]]:
    """Create the draft survey staff reviewed, and give it the file: its slug and the
    question (or ``DATE_COLUMN``) of each column kept, for the import's mapping."""
    plan = await describe_file(upload_id, user_id=user_id)
    errors: dict[str, FieldError] = {}
    slug = command.slug.strip().lower()[:63]
    title = command.title.strip()[:200]
    if not SLUG_RE.match(slug):
        errors["slug"] = FieldError("builder.slug_invalid", {})
    if not title:
        errors["title"] = FieldError("error.required", {})
    questions: list[dict[str, object]] = []
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for p in plan.proposals:
        kept = command.columns.get(p.index)
        if kept is None:
            continue
        kind = p.kind if kept.kind is None else kept.kind
        text = (p.title if kept.title is None else kept.title).strip()[:500]
        if kind not in KINDS:
            errors[column_place(p.index, "kind")] = FieldError("error.bad_form", {})
            continue
        if kind == DATE_COLUMN:
            mapping[p.index] = DATE_COLUMN
            continue
        if not text:
            errors[column_place(p.index, "title")] = FieldError("error.required", {})
            continue
        code = _code(p.header or text, taken)
        question: dict[str, object] = {"code": code, "kind": kind, "text": {"fr": text, "en": ""}}
        if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            choices = p.distinct if kind == QuestionKind.SINGLE else p.parts
            if len(choices) < 2:
                errors[column_place(p.index, "kind")] = FieldError("imports.too_few_choices", {})
                continue
            codes: set[str] = set()
            question["settings"] = {
                "choices": [{"code": _code(c, codes), "fr": c[:200], "en": ""} for c in choices]
            }
        questions.append(question)
        mapping[p.index] = code
    if not questions and not errors:
        errors["columns"] = FieldError("imports.no_question_kept", {})
    if errors:
        raise Invalid(errors)
    definition = {
        "format": FORMAT,
        "slug": slug,
        "status": "draft",
        "title": {"fr": title, "en": ""},
        "sections": [
            {
                "title": {"fr": title, "en": ""},
                "description": {"fr": "", "en": ""},
                "questions": questions,
            }
        ],
    }
    try:
        survey = await create_survey_from_definition(definition)
    except SurveyError as exc:
        if exc.key == "error.slug_taken":
            raise Invalid({"slug": FieldError("builder.slug_taken", {"slug": slug})}) from exc
        raise
    await uploads.attach(upload_id, survey.id)
    return slug, mapping
