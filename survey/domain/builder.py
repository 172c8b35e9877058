"""Building surveys: create, edit, reorder, duplicate, delete, publish.

Every edit runs in one transaction that ends by checking the whole survey again (codes,
choices, conditions pointing backwards) and bumping its version, so the resident pages never
see a broken survey. Once answers exist, changes that would orphan or corrupt them (deleting
an answered choice, changing a question's kind or code) are refused.

An accepted answer is never lost, even while residents have the survey open:

- once a survey is live (published, closed, or holding any response), "delete" *retires* a
  question (``questions.retired_at``) or every question of a page: new residents no longer
  see it, its code stays taken, and its stored answers stay in every export, the responses
  page and the dashboards; "restore" brings it back. Only a draft with no response at all
  loses questions for good. A question's code no longer changes once published;
- the edit locks the survey row (``FOR UPDATE``) before counting answers, and storing a
  response locks it ``FOR SHARE`` in the same statement while checking the version its
  answers were validated against (``survey.domain.responses``): the "already answered?"
  check and submissions are serialised, and a page rendered before the edit is mapped onto
  the new version when it is sent.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from survey.domain import conditions
from survey.domain.db import connection
from survey.domain.definitions import (
    ACCESS_MODES,
    CODE_RE,
    SLUG_RE,
    SurveyDef,
    check_definition,
    create_survey_from_definition,
    forget,
)
from survey.domain.forms import FieldError, RawForm, clean_all, describe_condition
from survey.domain.invitations import store_response
from survey.domain.responses import parse_key
from survey.enums import CHOICE_KINDS, Channel, QuestionKind
from survey.errors import NotFound, SurveyError

# Dates typed by staff are local to the town hall.
LOCAL_TZ = ZoneInfo("Europe/Paris")
# Kinds whose settings hold a list of choices typed by staff.
LISTED_KINDS = (CHOICE_KINDS - {QuestionKind.YES_NO}) | {QuestionKind.RANKING}
MAX_CHOICES = 100


class Invalid(SurveyError):
    """A builder form with errors: field name -> error, shown next to each field."""

    status = 422

    def __init__(self, errors: dict[str, FieldError]) -> None:
        super().__init__("builder.form_errors", n=len(errors))
        self.errors = errors


@dataclass
class EditorQuestion:
    id: int
    section_id: int
    code: str
    kind: str
    text: dict[str, str]
    help: dict[str, str]
    required: bool
    personal_data: bool
    settings: dict[str, Any]
    answered: int = 0
    retired: bool = False

    @property
    def condition(self) -> dict[str, Any] | None:
        return conditions.condition_of(self.settings)


@dataclass
class EditorSection:
    id: int
    title: dict[str, str]
    description: dict[str, str]
    settings: dict[str, Any]
    questions: list[EditorQuestion] = field(default_factory=list)

    @property
    def condition(self) -> dict[str, Any] | None:
        return conditions.condition_of(self.settings)


@dataclass
class Editor:
    """A survey as the builder shows it: ids, positions and answer counts included."""

    id: int
    slug: str
    status: str
    version: int
    title: dict[str, str]
    description: dict[str, str]
    consent: dict[str, str]
    access_mode: str
    resume_days: int
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    responses: int
    sections: list[EditorSection]

    @property
    def questions(self) -> list[EditorQuestion]:
        """Every question, retired ones included (their codes stay taken)."""
        return [q for s in self.sections for q in s.questions]

    @property
    def live(self) -> bool:
        """Residents may have it open, or answers depend on it: questions are retired."""
        return self.status != "draft" or self.responses > 0

    def question(self, question_id: int) -> EditorQuestion:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise NotFound("builder.question_unknown")

    def section(self, section_id: int) -> EditorSection:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise NotFound("builder.section_unknown")

    def earlier_questions(
        self, *, question_id: int | None = None, section_id: int | None = None
    ) -> list[EditorQuestion]:
        """Questions a condition may point at: before the question, or before the page."""
        found: list[EditorQuestion] = []
        for s in self.sections:
            if s.id == section_id:
                return found
            for q in s.questions:
                if q.id == question_id:
                    return found
                if not q.retired:
                    found.append(q)
        return found


def local_input(moment: dt.datetime | None) -> str:
    """A stored time as the value of a ``datetime-local`` field."""
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M") if moment else ""


def _texts(row: Mapping[str, Any], name: str) -> dict[str, str]:
    return {"fr": row[f"{name}_fr"], "en": row[f"{name}_en"]}


_HEAD = (
    "SELECT id, slug, status, version, title_fr, title_en, description_fr, description_en,"
    " consent_fr, consent_en, access_mode, resume_days, opens_at, closes_at"
    " FROM surveys WHERE slug = $1"
)
# Edits of one survey run one after the other.
_LOCKED_HEAD = _HEAD + " FOR UPDATE"


async def _fetch(conn: asyncpg.Connection, slug: str, *, lock: bool = False) -> Editor:
    head = await conn.fetchrow(_LOCKED_HEAD if lock else _HEAD, slug)
    if head is None:
        raise NotFound("error.survey_not_found")
    sections = await conn.fetch(
        "SELECT id, title_fr, title_en, description_fr, description_en, settings FROM sections"
        " WHERE survey_id = $1 ORDER BY position, id",
        head["id"],
    )
    questions = await conn.fetch(
        "SELECT q.id, q.section_id, q.code, q.kind, q.text_fr, q.text_en, q.help_fr, q.help_en,"
        " q.required, q.personal_data, q.settings, q.retired_at IS NOT NULL AS retired"
        " FROM questions q JOIN sections s"
        " ON s.id = q.section_id WHERE s.survey_id = $1 ORDER BY q.position, q.id",
        head["id"],
    )
    # How many responses hold an answer for each question code, counted by PostgreSQL.
    counts = dict(
        await conn.fetch(
            "SELECT k, count(*) FROM responses r, jsonb_object_keys(r.answers) k"
            " WHERE r.survey_id = $1 GROUP BY k",
            head["id"],
        )
    )
    total = await conn.fetchval("SELECT count(*) FROM responses WHERE survey_id = $1", head["id"])
    by_id = {
        s["id"]: EditorSection(
            s["id"],
            _texts(s, "title"),
            _texts(s, "description"),
            json.loads(s["settings"]) or {},
        )
        for s in sections
    }
    for q in questions:
        by_id[q["section_id"]].questions.append(
            EditorQuestion(
                id=q["id"],
                section_id=q["section_id"],
                code=q["code"],
                kind=q["kind"],
                text=_texts(q, "text"),
                help=_texts(q, "help"),
                required=q["required"],
                personal_data=q["personal_data"],
                settings=json.loads(q["settings"]) or {},
                answered=int(counts.get(q["code"], 0)),
                retired=q["retired"],
            )
        )
    return Editor(
        id=head["id"],
        slug=head["slug"],
        status=head["status"],
        version=head["version"],
        title=_texts(head, "title"),
        description=_texts(head, "description"),
        consent=_texts(head, "consent"),
        access_mode=head["access_mode"],
        resume_days=head["resume_days"],
        opens_at=head["opens_at"],
        closes_at=head["closes_at"],
        responses=int(total),
        sections=list(by_id.values()),
    )


async def get_editor(slug: str) -> Editor:
    """The survey with everything the builder pages show."""
    async with connection() as conn:
        return await _fetch(conn, slug)


def _as_definition(editor: Editor) -> dict[str, Any]:
    """The survey as checked after an edit: retired questions last, with no condition, so
    their codes stay taken and no shown question or page may depend on them."""
    retired = [
        {"code": q.code, "kind": q.kind, "settings": _with_condition(q.settings, None)}
        for q in editor.questions
        if q.retired
    ]
    sections = [
        {
            "title": s.title,
            "settings": s.settings,
            "questions": [
                {"code": q.code, "kind": q.kind, "settings": q.settings}
                for q in s.questions
                if not q.retired
            ],
        }
        for s in editor.sections
    ]
    if retired:
        sections.append({"title": {"fr": "retired"}, "settings": {}, "questions": retired})
    return {
        "slug": editor.slug,
        "title": editor.title,
        "sections": sections,
        "access": {"mode": editor.access_mode, "resume_days": editor.resume_days},
    }


async def _finish(conn: asyncpg.Connection, slug: str) -> Editor:
    """Renumber positions, check the whole survey, bump its version."""
    await conn.execute(
        "UPDATE sections s SET position = o.n FROM (SELECT id, row_number() OVER"
        " (ORDER BY position, id) - 1 AS n FROM sections WHERE survey_id ="
        " (SELECT id FROM surveys WHERE slug = $1)) o WHERE s.id = o.id",
        slug,
    )
    await conn.execute(
        "UPDATE questions q SET position = o.n FROM (SELECT q2.id, row_number() OVER"
        " (PARTITION BY q2.section_id ORDER BY q2.position, q2.id) - 1 AS n FROM questions q2"
        " JOIN sections s ON s.id = q2.section_id JOIN surveys v ON v.id = s.survey_id"
        " WHERE v.slug = $1) o WHERE q.id = o.id",
        slug,
    )
    editor = await _fetch(conn, slug)
    data = _as_definition(editor)
    if any(s["questions"] for s in data["sections"]):
        check_definition(data)
    else:
        conditions.check_conditions(data["sections"])
    await conn.execute(
        "UPDATE surveys SET version = version + 1, updated_at = now() WHERE id = $1", editor.id
    )
    editor.version += 1
    return editor


async def _edit(slug: str, change: Any, *, condition_field: str | None = None) -> Editor:
    """Run ``change(conn, editor)`` in a transaction, then check and version the survey.

    With ``condition_field``, a condition refused by the final check is reported next to
    that form field instead of as a page error.
    """
    try:
        async with connection() as conn, conn.transaction():
            editor = await _fetch(conn, slug, lock=True)
            await change(conn, editor)
            result = await _finish(conn, slug)
    except Invalid:
        raise
    except SurveyError as error:
        if condition_field and error.key.startswith("builder.condition_"):
            raise Invalid({condition_field: FieldError(error.key, error.params)}) from error
        raise
    forget(slug)
    return result


# --- surveys --------------------------------------------------------------------------------


def _clean(data: Mapping[str, Any], name: str, limit: int) -> str:
    return str(data.get(name) or "").strip()[:limit]


async def create_blank_survey(data: Mapping[str, Any]) -> str:
    """A new draft survey with one empty page; returns its slug."""
    slug = _clean(data, "slug", 80).lower()
    title_fr = _clean(data, "title_fr", 200)
    errors: dict[str, FieldError] = {}
    if not SLUG_RE.match(slug):
        errors["slug"] = FieldError("builder.slug_invalid", {})
    if not title_fr:
        errors["title_fr"] = FieldError("builder.title_missing", {})
    if errors:
        raise Invalid(errors)
    definition = {
        "slug": slug,
        "status": "draft",
        "title": {"fr": title_fr, "en": _clean(data, "title_en", 200)},
        "sections": [{"title": {"fr": "Page 1", "en": "Page 1"}, "questions": []}],
    }
    try:
        await create_survey_from_definition(definition)
    except SurveyError as exc:
        if exc.key == "error.slug_taken":
            raise Invalid({"slug": FieldError("builder.slug_taken", {"slug": slug})}) from exc
        raise
    return slug


async def update_survey(slug: str, data: Mapping[str, Any]) -> Editor:
    """Titles, introduction, consent text and distribution settings."""
    errors: dict[str, FieldError] = {}
    title_fr = _clean(data, "title_fr", 200)
    if not title_fr:
        errors["title_fr"] = FieldError("builder.title_missing", {})
    mode = _clean(data, "access_mode", 16) or "open"
    if mode not in ACCESS_MODES:
        errors["access_mode"] = FieldError("builder.access_invalid", {})
    days_text = _clean(data, "resume_days", 6) or "30"
    days = int(days_text) if days_text.isdigit() else 0
    if not 1 <= days <= 365:
        errors["resume_days"] = FieldError("builder.resume_days_invalid", {})
    if errors:
        raise Invalid(errors)

    async def change(conn: asyncpg.Connection, editor: Editor) -> None:
        if mode != editor.access_mode and editor.responses:
            # Switching after answers arrived would mix traced and untraced responses.
            raise Invalid({"access_mode": FieldError("builder.access_locked", {})})
        await conn.execute(
            "UPDATE surveys SET title_fr = $2, title_en = $3, description_fr = $4,"
            " description_en = $5, consent_fr = $6, consent_en = $7, access_mode = $8,"
            " resume_days = $9 WHERE id = $1",
            editor.id,
            title_fr,
            _clean(data, "title_en", 200),
            _clean(data, "description_fr", 5000),
            _clean(data, "description_en", 5000),
            _clean(data, "consent_fr", 5000),
            _clean(data, "consent_en", 5000),
            mode,
            days,
        )

    return await _edit(slug, change)


def parse_local(text: str) -> dt.datetime | None:
    """A ``datetime-local`` value (or ``31/12/2026 18:00``) in the town hall's time zone."""
    text = text.strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=LOCAL_TZ)
        except ValueError:
            continue
    raise ValueError(text)


async def set_publication(slug: str, action: str, data: Mapping[str, Any]) -> Editor:
    """Publish (with an optional opening and closing time), close, or reopen."""
    errors: dict[str, FieldError] = {}
    moments: dict[str, dt.datetime | None] = {}
    for name in ("opens_at", "closes_at"):
        try:
            moments[name] = parse_local(_clean(data, name, 40))
        except ValueError:
            errors[name] = FieldError("builder.date_invalid", {})
    opens, closes = moments.get("opens_at"), moments.get("closes_at")
    if not errors and opens and closes and closes <= opens:
        errors["closes_at"] = FieldError("builder.closes_before_opens", {})
    if action not in ("publish", "close", "reopen", "unpublish"):
        raise SurveyError("error.bad_form")
    if errors:
        raise Invalid(errors)

    async def change(conn: asyncpg.Connection, editor: Editor) -> None:
        if action in ("publish", "reopen"):
            if not editor.questions:
                raise SurveyError("builder.publish_empty")
            if action == "reopen":
                opens_at, closes_at = None, closes
            else:
                opens_at, closes_at = opens, closes
            await conn.execute(
                "UPDATE surveys SET status = 'open', opens_at = $2, closes_at = $3 WHERE id = $1",
                editor.id,
                opens_at,
                closes_at,
            )
        elif action == "close":
            await conn.execute(
                "UPDATE surveys SET status = 'closed', closes_at = NULL WHERE id = $1", editor.id
            )
        else:
            if editor.responses:
                raise SurveyError("builder.unpublish_answered")
            await conn.execute("UPDATE surveys SET status = 'draft' WHERE id = $1", editor.id)

    return await _edit(slug, change)


# --- sections -------------------------------------------------------------------------------


def _condition_from(
    data: Mapping[str, Any],
    earlier: list[EditorQuestion],
    errors: dict[str, FieldError],
) -> dict[str, Any] | None:
    """A ``show_if`` condition from the form fields ``cond_*`` (empty: none)."""
    target = _clean(data, "cond_question", 64)
    if not target:
        return None
    op = _clean(data, "cond_op", 16)
    kinds = {q.code: q.kind for q in earlier}
    if target not in kinds:
        errors["cond_question"] = FieldError("builder.condition_pick", {})
        return None
    if op not in conditions.operators_for(kinds[target]):
        errors["cond_op"] = FieldError("builder.condition_op_pick", {})
        return None
    if op == conditions.BETWEEN:
        bounds: dict[str, Any] = {}
        for name in ("min", "max"):
            text = _clean(data, f"cond_{name}", 20).replace(",", ".")
            if text:
                try:
                    bounds[name] = float(text) if "." in text else int(text)
                except ValueError:
                    errors[f"cond_{name}"] = FieldError("error.number", {})
        if not bounds and "cond_min" not in errors and "cond_max" not in errors:
            errors["cond_min"] = FieldError("builder.condition_bounds", {})
        return {"question": target, "op": op, **bounds}
    raw_value = _clean(data, "cond_value", 500)
    values = [v.strip() for v in re.split(r"[,;\n]", raw_value) if v.strip()]
    if not values:
        errors["cond_value"] = FieldError("builder.condition_value_missing", {})
        return None
    target_question = next(q for q in earlier if q.code == target)
    values = [_choice_code(target_question, v) for v in values]
    if op == conditions.ONE_OF:
        return {"question": target, "op": op, "values": values}
    return {"question": target, "op": op, "value": values[0]}


def _choice_code(question: EditorQuestion, typed: str) -> str:
    """Staff may type a choice's label instead of its code (``Oui`` for ``yes``)."""
    if question.kind == QuestionKind.YES_NO:
        choices = [
            {"code": "yes", "fr": "Oui", "en": "Yes"},
            {"code": "no", "fr": "Non", "en": "No"},
        ]
    else:
        choices = question.settings.get("choices") or []
    wanted = typed.casefold()
    for choice in choices:
        names = {str(choice.get(k, "")).casefold() for k in ("code", "fr", "en")}
        if wanted in names:
            return str(choice["code"])
    return typed


def _with_condition(settings: dict[str, Any], condition: dict[str, Any] | None) -> dict[str, Any]:
    result = {k: v for k, v in settings.items() if k != conditions.KEY}
    if condition:
        result[conditions.KEY] = condition
    return result


async def add_section(slug: str) -> int:
    """A new empty page at the end; returns its id."""
    created: list[int] = []

    async def change(conn: asyncpg.Connection, editor: Editor) -> None:
        n = len(editor.sections) + 1
        created.append(
            await conn.fetchval(
                "INSERT INTO sections (survey_id, position, title_fr, title_en, description_fr,"
                " description_en, settings) VALUES ($1, $2, $3, $4, '', '', '{}') RETURNING id",
                editor.id,
                n,
                f"Page {n}",
                f"Page {n}",
            )
        )

    await _edit(slug, change)
    return created[0]


async def update_section(slug: str, section_id: int, data: Mapping[str, Any]) -> Editor:
    """Page title, introduction and display condition."""

    async def change(conn: asyncpg.Connection, editor: Editor) -> None:
        section = editor.section(section_id)
        errors: dict[str, FieldError] = {}
        title_fr = _clean(data, "title_fr", 200)
        if not title_fr:
            errors["title_fr"] = FieldError("builder.title_missing", {})
        earlier = editor.earlier_questions(section_id=section_id)
        condition = _condition_from(data, earlier, errors)
        if errors:
            raise Invalid(errors)
        settings = _with_condition(section.settings, condition)
        await conn.execute(
            "UPDATE sections SET title_fr = $2, title_en = $3, description_fr = $4,"
            " description_en = $5, settings = $6::jsonb WHERE id = $1",
            section_id,
            title_fr,
            _clean(data, "title_en", 200),
            _clean(data, "description_fr", 5000),
            _clean(data, "description_en", 5000),
            json.dumps(settings, ensure_ascii=False),
        )

    return await _edit(slug, change, condition_field="cond_value")


async def act_on_section(slug: str, section_id: int, action: str) -> Editor:
    """Move a page up or down, duplicate it, or delete it."""

    async def change(conn: asyncpg.Connection, editor: Editor) -> None:
        ids = [s.id for s in editor.sections]
        section = editor.section(section_id)
        index = ids.index(section_id)
        if action in ("up", "down"):
            other = index - 1 if action == "up" else index + 1
            if not 0 <= other < len(ids):
                return
            ids[index], ids[other] = ids[other], ids[index]
            await _reorder(conn, "sections", ids)
        elif action == "delete" and editor.live and section.questions:
            shown = [q for q in section.questions if not q.retired]
            if not shown:
                raise SurveyError("builder.section_kept")
            if len(shown) == len([q for q in editor.questions if not q.retired]):
                raise SurveyError("builder.retire_last")
            _refuse_if_referenced(editor, {q.code for q in shown}, ignore_section=section_id)
            await conn.execute(
                "UPDATE questions SET retired_at = now() WHERE id = ANY($1::int[])",
                [q.id for q in shown],
            )
        elif action == "delete":
            if len(ids) == 1:
                raise SurveyError("builder.last_section")
            own = {q.code for q in section.questions}
            _refuse_if_referenced(editor, own, ignore_section=section_id)
            await conn.execute("DELETE FROM sections WHERE id = $1", section_id)
        elif action == "duplicate":
            await _duplicate_section(conn, editor, section, index)
        else:
            raise SurveyError("error.bad_form")

    return await _edit(slug, change)


async def _reorder(conn: asyncpg.Connection, table: str, ids: list[int]) -> None:
    assert table in ("sections", "questions")
    await conn.execute(
        f"UPDATE {table} t SET position = o.n - 1 FROM unnest($1::int[])"  # noqa: S608
        " WITH ORDINALITY AS o(id, n) WHERE t.id = o.id",
        ids,
    )


def _refuse_if_referenced(
    editor: Editor, codes: set[str], *, ignore_section: int | None = None
) -> None:
    for s in editor.sections:
        if s.id != ignore_section and conditions.references(s.settings) in codes:
            raise SurveyError("builder.delete_referenced", code=conditions.references(s.settings))
        for q in s.questions:
            if s.id == ignore_section or q.retired:
                continue
            if conditions.references(q.settings) in codes:
                raise SurveyError(
                    "builder.delete_referenced", code=conditions.references(q.settings)
                )


def _free_code(base: str, taken: set[str]) -> str:
    stem = base[:56]
    for n in range(2, 1000):
        code = f"{stem}_{n}"
        if code not in taken:
            taken.add(code)
            return code
    raise SurveyError("error.try_again")


async def _duplicate_section(
    conn: asyncpg.Connection, editor: Editor, section: EditorSection, index: int
) -> None:
    taken = {q.code for q in editor.questions}
    shown = [q for q in section.questions if not q.retired]  # retired ones stay retired
    renamed = {q.code: _free_code(q.code, taken) for q in shown}
    new_id = await conn.fetchval(
        "INSERT INTO sections (survey_id, position, title_fr, title_en, description_fr,"
        " description_en, settings) VALUES ($1, 0, $2, $3, $4, $5, $6::jsonb) RETURNING id",
        editor.id,
        section.title["fr"][:190] + " (2)",
        section.title["en"][:190] + (" (2)" if section.title["en"] else ""),
        section.description["fr"],
        section.description["en"],
        json.dumps(section.settings, ensure_ascii=False),
    )
    for position, q in enumerate(shown):
        settings = dict(q.settings)
        condition = conditions.condition_of(settings)
        if condition and condition.get("question") in renamed:
            settings[conditions.KEY] = {**condition, "question": renamed[condition["question"]]}
        await _insert_question(conn, new_id, position, renamed[q.code], q, settings)
    ids = [s.id for s in editor.sections]
    ids.insert(index + 1, new_id)
    await _reorder(conn, "sections", ids)


async def _insert_question(
    conn: asyncpg.Connection,
    section_id: int,
    position: int,
    code: str,
    q: EditorQuestion,
    settings: dict[str, Any],
) -> int:
    return int(
        await conn.fetchval(
            "INSERT INTO questions (section_id, position, code, kind, text_fr, text_en, help_fr,"
            " help_en, required, personal_data, settings)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb) RETURNING id",
            section_id,
            position,
            code,
            q.kind,
            q.text["fr"],
            q.text["en"],
            q.help["fr"],
            q.help["en"],
            q.required,
            q.personal_data,
            json.dumps(settings, ensure_ascii=False),
        )
    )


# --- questions ------------------------------------------------------------------------------


def slugify(text: str, limit: int = 40) -> str:
    """A question or choice code from a label: ``Transport à la demande`` → ``transport_a_la``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", plain)
    code = ""
    for word in words:
        if len(code) + len(word) + 1 > limit:
            break
        code = f"{code}_{word}" if code else word
    return code or "q"


def parse_choices(text: str) -> tuple[list[dict[str, str]], FieldError | None]:
    """One choice per line: ``French label | English label | code`` (the last two optional)."""
    choices: list[dict[str, str]] = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if not parts[0]:
            continue
        fr = parts[0][:200]
        en = parts[1][:200] if len(parts) > 1 else ""
        code = parts[2].lower() if len(parts) > 2 and parts[2] else slugify(fr, 30)
        if not CODE_RE.match(code):
            return [], FieldError("builder.choice_code_invalid", {"code": code})
        if any(c["code"] == code for c in choices):
            return [], FieldError("builder.choice_code_twice", {"code": code})
        choices.append({"code": code, "fr": fr, "en": en})
    if len(choices) > MAX_CHOICES:
        return [], FieldError("builder.too_many_choices", {"max": MAX_CHOICES})
    return choices, None


def choices_text(settings: Mapping[str, Any]) -> str:
    """The choices of a question as the builder's text area shows them."""
    return "\n".join(
        f"{c.get('fr', '')} | {c.get('en', '')} | {c['code']}" for c in settings.get("choices", [])
    )


def _number_field(
    data: Mapping[str, Any], name: str, errors: dict[str, FieldError]
) -> int | float | None:
    text = _clean(data, name, 20).replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        errors[name] = FieldError("error.number", {})
        return None
    return int(value) if value == int(value) else value


def _question_settings(
    kind: QuestionKind, data: Mapping[str, Any], errors: dict[str, FieldError]
) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if kind in LISTED_KINDS:
        choices, error = parse_choices(str(data.get("choices") or ""))
        if error:
            errors["choices"] = error
        elif len(choices) < 2:
            errors["choices"] = FieldError("builder.choices_few", {})
        settings["choices"] = choices
    if kind == QuestionKind.MULTIPLE and data.get("allow_other"):
        settings["allow_other"] = True
    if kind in (QuestionKind.SCALE, QuestionKind.NUMBER):
        low = _number_field(data, "min", errors)
        high = _number_field(data, "max", errors)
        if kind == QuestionKind.SCALE:
            low, high = (1 if low is None else low), (5 if high is None else high)
            if not (isinstance(low, int) and isinstance(high, int) and 0 <= low < high <= 10):
                errors["max"] = FieldError("builder.scale_range", {})
        if low is not None and high is not None and low >= high:
            errors["max"] = FieldError("builder.min_max", {})
        if low is not None:
            settings["min"] = low
        if high is not None:
            settings["max"] = high
        if kind == QuestionKind.SCALE:
            for end in ("min_label", "max_label"):
                label = {lang: _clean(data, f"{end}_{lang}", 100) for lang in ("fr", "en")}
                if label["fr"] or label["en"]:
                    settings[end] = label
    if kind == QuestionKind.LONG_TEXT and data.get("analyse") == "0":
        settings["analyse"] = False
    return settings


async def add_question(slug: str, section_id: int, data: Mapping[str, Any]) -> int:
    """A new question at the end of a page, with a code made from its text; returns its id."""
    try:
        kind = QuestionKind(_clean(data, "kind", 16))
    except ValueError as exc:
        raise Invalid({"kind": FieldError("builder.kind_pick", {})}) from exc
    text_fr = _clean(data, "text_fr", 2000)
    if not text_fr:
        raise Invalid({"text_fr": FieldError("builder.text_missing", {})})
    created: list[int] = []

    async def change(conn: asyncpg.Connection, editor: Editor) -> None:
        section = editor.section(section_id)
        taken = {q.code for q in editor.questions}
        code = slugify(text_fr)
        if code in taken or not CODE_RE.match(code):
            code = _free_code(code, taken)
        settings: dict[str, Any] = {}
        if kind in LISTED_KINDS:
            # Two placeholders so the survey stays valid until staff type the real choices.
            settings["choices"] = [
                {"code": "choix_1", "fr": "Choix 1", "en": "Choice 1"},
                {"code": "choix_2", "fr": "Choix 2", "en": "Choice 2"},
            ]
        if kind == QuestionKind.SCALE:
            settings.update({"min": 1, "max": 5})
        question = EditorQuestion(
            0,
            section_id,
            code,
            str(kind),
            {"fr": text_fr, "en": _clean(data, "text_en", 2000)},
            {"fr": "", "en": ""},
            False,
            kind == QuestionKind.CONTACT,
            settings,
        )
        created.append(
            await _insert_question(
                conn, section_id, len(section.questions), code, question, settings
            )
        )

    await _edit(slug, change)
    return created[0]


async def _answers_with_choice(conn: asyncpg.Connection, survey_id: int, code: str, choice: str):
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM responses WHERE survey_id = $1"
            " AND (answers -> $2 = to_jsonb($3::text)"
            " OR answers -> $2 @> jsonb_build_array($3::text))",
            survey_id,
            code,
            choice,
        )
    )


async def _answers_outside(
    conn: asyncpg.Connection, survey_id: int, code: str, low: Any, high: Any
) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM responses WHERE survey_id = $1"
            " AND jsonb_typeof(answers -> $2) = 'number'"
            " AND (($3::numeric IS NOT NULL AND (answers ->> $2)::numeric < $3::numeric)"
            " OR ($4::numeric IS NOT NULL AND (answers ->> $2)::numeric > $4::numeric))",
            survey_id,
            code,
            None if low is None else str(low),
            None if high is None else str(high),
        )
    )


async def update_question(slug: str, question_id: int, data: Mapping[str, Any]) -> Editor:
    """Save the question form; refuse what would orphan or corrupt stored answers."""

    async def change(conn: asyncpg.Connection, editor: Editor) -> None:
        question = editor.question(question_id)
        errors: dict[str, FieldError] = {}
        code = _clean(data, "code", 64).lower() or question.code
        try:
            kind = QuestionKind(_clean(data, "kind", 16))
        except ValueError:
            errors["kind"] = FieldError("builder.kind_pick", {})
            kind = QuestionKind(question.kind)
        text_fr = _clean(data, "text_fr", 2000)
        if not text_fr:
            errors["text_fr"] = FieldError("builder.text_missing", {})
        if not CODE_RE.match(code):
            errors["code"] = FieldError("builder.code_invalid", {})
        elif code != question.code and code in {q.code for q in editor.questions}:
            errors["code"] = FieldError("builder.code_taken", {"code": code})
        settings = _question_settings(kind, data, errors)
        condition = _condition_from(data, editor.earlier_questions(question_id=question_id), errors)
        if code != question.code and editor.status != "draft":
            # A page already open still sends the old code.
            errors["code"] = FieldError("builder.code_locked_live", {})
        if question.answered:
            if code != question.code:
                errors["code"] = FieldError("builder.code_locked", {"n": question.answered})
            if kind != question.kind:
                errors["kind"] = FieldError("builder.kind_locked", {"n": question.answered})
        if question.answered and "choices" not in errors:
            await _check_answers_kept(conn, editor, question, settings, errors)
        if not errors and code != question.code:
            for other in editor.questions:
                if conditions.references(other.settings) == question.code:
                    errors["code"] = FieldError("builder.code_referenced", {"code": other.code})
        if errors:
            raise Invalid(errors)
        kept = {
            k: v
            for k, v in question.settings.items()
            if k
            not in ("choices", "allow_other", "min", "max", "min_label", "max_label", "analyse")
        }
        settings = _with_condition({**kept, **settings}, condition)
        await conn.execute(
            "UPDATE questions SET code = $2, kind = $3, text_fr = $4, text_en = $5, help_fr = $6,"
            " help_en = $7, required = $8, personal_data = $9, settings = $10::jsonb"
            " WHERE id = $1",
            question_id,
            code,
            str(kind),
            text_fr,
            _clean(data, "text_en", 2000),
            _clean(data, "help_fr", 2000),
            _clean(data, "help_en", 2000),
            bool(data.get("required")),
            bool(data.get("personal_data")) or kind == QuestionKind.CONTACT,
            json.dumps(settings, ensure_ascii=False),
        )

    return await _edit(slug, change, condition_field="cond_value")


async def _check_answers_kept(
    conn: asyncpg.Connection,
    editor: Editor,
    question: EditorQuestion,
    settings: dict[str, Any],
    errors: dict[str, FieldError],
) -> None:
    kept = {c["code"] for c in settings.get("choices", [])}
    for old in question.settings.get("choices", []):
        if old["code"] not in kept:
            n = await _answers_with_choice(conn, editor.id, question.code, old["code"])
            if n:
                errors["choices"] = FieldError(
                    "builder.choice_locked", {"choice": old.get("fr") or old["code"], "n": n}
                )
                return
    if question.settings.get("allow_other") and not settings.get("allow_other"):
        n = await _answers_with_choice(conn, editor.id, question.code, "__other__")
        if n:
            errors["allow_other"] = FieldError("builder.other_locked", {"n": n})
    if question.kind in (QuestionKind.SCALE, QuestionKind.NUMBER):
        n = await _answers_outside(
            conn, editor.id, question.code, settings.get("min"), settings.get("max")
        )
        if n:
            errors["max"] = FieldError("builder.range_locked", {"n": n})


async def act_on_question(slug: str, question_id: int, action: str) -> Editor:
    """Move a question up or down (across pages at the ends), duplicate it, delete it (a
    draft's) or retire it (a live survey's), or restore a retired one."""

    async def change(conn: asyncpg.Connection, editor: Editor) -> None:
        question = editor.question(question_id)
        section = editor.section(question.section_id)
        ids = [q.id for q in section.questions]
        index = ids.index(question_id)
        if action in ("up", "down"):
            await _move_question(conn, editor, section, index, -1 if action == "up" else 1)
        elif action == "delete" and editor.live:
            if question.retired:
                return
            if not [q for q in editor.questions if not q.retired and q.id != question_id]:
                raise SurveyError("builder.retire_last")
            _refuse_if_referenced(editor, {question.code})
            await conn.execute("UPDATE questions SET retired_at = now() WHERE id = $1", question_id)
        elif action == "restore":
            await conn.execute("UPDATE questions SET retired_at = NULL WHERE id = $1", question_id)
        elif action == "delete":  # a draft without any response: nothing to keep
            _refuse_if_referenced(editor, {question.code})
            await conn.execute("DELETE FROM questions WHERE id = $1", question_id)
        elif action == "duplicate":
            code = _free_code(question.code, {q.code for q in editor.questions})
            new_id = await _insert_question(
                conn, section.id, 0, code, question, dict(question.settings)
            )
            ids.insert(index + 1, new_id)
            await _reorder(conn, "questions", ids)
        else:
            raise SurveyError("error.bad_form")

    return await _edit(slug, change)


async def _move_question(
    conn: asyncpg.Connection, editor: Editor, section: EditorSection, index: int, step: int
) -> None:
    ids = [q.id for q in section.questions]
    target = index + step
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
        await _reorder(conn, "questions", ids)
        return
    # At the top or bottom of a page: go to the end of the previous or start of the next page.
    pages = [s.id for s in editor.sections]
    page_index = pages.index(section.id) + step
    if not 0 <= page_index < len(pages):
        return
    other = editor.sections[page_index]
    other_ids = [q.id for q in other.questions]
    moved = ids[index]
    other_ids = other_ids + [moved] if step < 0 else [moved] + other_ids
    await conn.execute("UPDATE questions SET section_id = $2 WHERE id = $1", moved, other.id)
    await _reorder(conn, "questions", other_ids)


def kinds() -> list[str]:
    """Question kinds in the order the builder lists them."""
    return [str(k) for k in QuestionKind]


# --- form values for the builder pages ------------------------------------------------------


def survey_form(editor: Editor) -> dict[str, str]:
    values = {
        f"{name}_{lang}": getattr(editor, name)[lang]
        for name in ("title", "description", "consent")
        for lang in ("fr", "en")
    }
    values.update(
        access_mode=editor.access_mode,
        resume_days=str(editor.resume_days),
        opens_at=local_input(editor.opens_at),
        closes_at=local_input(editor.closes_at),
    )
    return values


def _condition_form(condition: Mapping[str, Any] | None) -> dict[str, str]:
    condition = condition or {}
    values = condition.get("values")
    return {
        "cond_question": str(condition.get("question", "")),
        "cond_op": str(condition.get("op", "")),
        "cond_value": ", ".join(map(str, values)) if values else str(condition.get("value", "")),
        "cond_min": "" if condition.get("min") is None else str(condition["min"]),
        "cond_max": "" if condition.get("max") is None else str(condition["max"]),
    }


def section_form(section: EditorSection) -> dict[str, str]:
    return {
        "title_fr": section.title["fr"],
        "title_en": section.title["en"],
        "description_fr": section.description["fr"],
        "description_en": section.description["en"],
        **_condition_form(section.condition),
    }


def question_form(question: EditorQuestion) -> dict[str, str]:
    settings = question.settings
    values = {
        "code": question.code,
        "kind": question.kind,
        "text_fr": question.text["fr"],
        "text_en": question.text["en"],
        "help_fr": question.help["fr"],
        "help_en": question.help["en"],
        "required": "1" if question.required else "",
        "personal_data": "1" if question.personal_data else "",
        "choices": choices_text(settings),
        "allow_other": "1" if settings.get("allow_other") else "",
        "min": "" if settings.get("min") is None else str(settings["min"]),
        "max": "" if settings.get("max") is None else str(settings["max"]),
        **_condition_form(question.condition),
    }
    for end in ("min_label", "max_label"):
        for lang in ("fr", "en"):
            values[f"{end}_{lang}"] = str((settings.get(end) or {}).get(lang, ""))
    return values


def describer(definition: SurveyDef, language: str) -> Callable[[Any], dict[str, str] | None]:
    """A function giving the words of a condition (``None`` when there is none)."""

    def describe(settings: Any) -> dict[str, str] | None:
        if conditions.condition_of(settings) is None:
            return None
        return describe_condition(definition.questions, settings, language)

    return describe


def paper_hints(definition: SurveyDef, language: str) -> dict[str, dict[str, str]]:
    """On the paper entry page every question is shown: conditional ones say when they apply."""
    return {
        q.code: describe_condition(definition.questions, q.settings, language)
        for q in definition.questions
        if conditions.condition_of(q.settings)
    }


# --- paper questionnaires -------------------------------------------------------------------


async def submit_paper(definition: SurveyDef, raw: RawForm, *, key: str, language: str) -> str:
    """Store a questionnaire typed in from paper through the residents' validation rules."""
    answers, errors = clean_all(definition.sections, raw)
    if errors:
        raise Invalid(errors)
    if not answers:
        raise Invalid({"": FieldError("builder.paper_empty", {})})
    return await store_response(
        definition,
        answers,
        key=parse_key(key),
        language=language if language in ("fr", "en") else "fr",
        channel=Channel.PAPER,
    )


async def count_paper(definition: SurveyDef) -> int:
    async with connection() as conn:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM responses WHERE survey_id = $1 AND channel = 'paper'",
                definition.id,
            )
        )
