"""Questions of a survey: add, edit (refusing what would orphan stored answers), move,
duplicate, delete or retire, restore."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, auto
from typing import Any, Literal, assert_never

import asyncpg

from survey.domain import conditions
from survey.domain.builder import (
    LISTED_KINDS,
    MAX_CHOICES,
    Editor,
    EditorQuestion,
    EditorSection,
    Invalid,
    Texts,
    clip,
    edit,
    free_code,
    insert_question,
    refuse_if_referenced,
    slugify,
    with_condition,
)
from survey.domain.builder_conditions import ConditionForm, Number, condition_from
from survey.domain.definitions import CODE_RE
from survey.domain.forms import TODAY, FieldError
from survey.domain.queries import questions, responses
from survey.domain.staff_forms import Unread
from survey.enums import QuestionKind
from survey.errors import SurveyError


@dataclass(frozen=True)
class TypedChoice:
    """A choice as staff typed it: its labels, and its code unless it is to be made from
    the French label."""

    label: Texts
    code: str = ""


def choices_from(typed: Sequence[TypedChoice]) -> tuple[list[dict[str, str]], FieldError | None]:
    """The choices typed, each with a valid code of its own, or the first error found."""
    choices: list[dict[str, str]] = []
    for choice in typed:
        fr, en = clip(choice.label.fr, 200), clip(choice.label.en, 200)
        if not fr:
            continue
        code = choice.code.strip().lower() or slugify(fr, 30)
        if not CODE_RE.match(code):
            return [], FieldError("builder.choice_code_invalid", {"code": code})
        if any(c["code"] == code for c in choices):
            return [], FieldError("builder.choice_code_twice", {"code": code})
        choices.append({"code": code, "fr": fr, "en": en})
    if len(choices) > MAX_CHOICES:
        return [], FieldError("builder.too_many_choices", {"max": MAX_CHOICES})
    return choices, None


# The earliest or latest day a date question accepts: a day, or the day it is answered.
DayBound = dt.date | Literal["today"]


@dataclass(frozen=True)
class NewQuestion:
    """A question added at the end of a page: its kind (none when none known was picked)
    and text. Errors are keyed ``kind`` and ``text.fr``."""

    kind: QuestionKind | None
    text: Texts


@dataclass(frozen=True)
class QuestionForm:
    """A question's form. Errors are keyed by these attribute names (``text.fr``,
    ``minimum``, ``condition.value``...); a bound's refusal comes under the upper one."""

    kind: QuestionKind | None  # none: no known kind picked
    text: Texts
    help: Texts = Texts()
    code: str = ""  # empty: kept
    required: bool = False
    personal_data: bool = False
    choices: tuple[TypedChoice, ...] = ()
    allow_other: bool = False
    exclusive: frozenset[str] = frozenset()  # codes of the choices only ticked alone
    minimum: Number | Unread | None = None  # a scale's or a number's bounds
    maximum: Number | Unread | None = None
    earliest: DayBound | Unread | None = None  # a date's bounds
    latest: DayBound | Unread | None = None
    min_label: Texts = Texts()  # the words at a scale's ends
    max_label: Texts = Texts()
    analyse: bool = True  # a long text's answers go to the needs analysis
    marks: frozenset[str] = frozenset()  # the ``OFFER_MARKS`` ticked
    condition: ConditionForm = ConditionForm()


def _number(
    value: Number | Unread | None, name: str, errors: dict[str, FieldError]
) -> Number | None:
    if isinstance(value, Unread):
        errors[name] = FieldError("error.number", {})
        return None
    return value


# The skills network's marks (see ``actors_offers``): which kinds of question may carry each.
OFFER_MARKS: dict[str, frozenset[QuestionKind]] = {
    "offers": frozenset({QuestionKind.LONG_TEXT}),
    "availability": frozenset({QuestionKind.NUMBER, QuestionKind.SHORT_TEXT}),
    "offer_consent": frozenset({QuestionKind.SINGLE}),
}


def _date_bounds(form: QuestionForm, errors: dict[str, FieldError]) -> dict[str, str]:
    """A date question's earliest and latest dates: a day, or the day it is answered."""
    bounds: dict[str, str] = {}
    for name, field, bound in (("min", "earliest", form.earliest), ("max", "latest", form.latest)):
        if isinstance(bound, Unread):
            errors[field] = FieldError("builder.date_bound_invalid", {})
        elif isinstance(bound, dt.date):
            bounds[name] = bound.isoformat()
        elif bound == TODAY:
            bounds[name] = TODAY
    low, high = bounds.get("min"), bounds.get("max")
    if low and high and TODAY not in (low, high) and low > high:
        errors["latest"] = FieldError("builder.min_max", {})
    return bounds


def _question_settings(
    kind: QuestionKind, form: QuestionForm, errors: dict[str, FieldError]
) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if kind in LISTED_KINDS:
        choices, error = choices_from(form.choices)
        if error:
            errors["choices"] = error
        elif len(choices) < 2:
            errors["choices"] = FieldError("builder.choices_few", {})
        settings["choices"] = choices
    if kind == QuestionKind.MULTIPLE and form.allow_other:
        settings["allow_other"] = True
    if kind == QuestionKind.MULTIPLE:
        # Ticking one of these alone is the only way to answer with it.
        marked = [c["code"] for c in settings["choices"] if c["code"] in form.exclusive]
        if marked:
            settings["exclusive"] = marked
    if kind == QuestionKind.DATE:
        settings.update(_date_bounds(form, errors))
    if kind in (QuestionKind.SCALE, QuestionKind.NUMBER):
        low = _number(form.minimum, "minimum", errors)
        high = _number(form.maximum, "maximum", errors)
        if kind == QuestionKind.SCALE:
            low, high = (1 if low is None else low), (5 if high is None else high)
            if not (isinstance(low, int) and isinstance(high, int) and 0 <= low < high <= 10):
                errors["maximum"] = FieldError("builder.scale_range", {})
        if low is not None and high is not None and low >= high:
            errors["maximum"] = FieldError("builder.min_max", {})
        if low is not None:
            settings["min"] = low
        if high is not None:
            settings["max"] = high
        if kind == QuestionKind.SCALE:
            for end, typed in (("min_label", form.min_label), ("max_label", form.max_label)):
                label = typed.cut(100)
                if label.fr or label.en:
                    settings[end] = {"fr": label.fr, "en": label.en}
    if kind == QuestionKind.LONG_TEXT and not form.analyse:
        settings["analyse"] = False
    for mark, kinds in OFFER_MARKS.items():
        if kind in kinds and mark in form.marks:
            settings[mark] = True
    return settings


async def add_question(slug: str, section_id: int, command: NewQuestion) -> int:
    """A new question at the end of a page, with a code made from its text; returns its id."""
    kind = command.kind
    if kind is None:
        raise Invalid({"kind": FieldError("builder.kind_pick", {})})
    text = command.text.cut(2000)
    if not text.fr:
        raise Invalid({"text.fr": FieldError("builder.text_missing", {})})
    created: list[int] = []

    async def change(conn: asyncpg.Connection, editor: Editor) -> None:
        section = editor.section(section_id)
        taken = {q.code for q in editor.questions}
        code = slugify(text.fr)
        if code in taken or not CODE_RE.match(code):
            code = free_code(code, taken)
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
            {"fr": text.fr, "en": text.en},
            {"fr": "", "en": ""},
            False,
            kind == QuestionKind.CONTACT,
            settings,
        )
        created.append(
            await insert_question(
                conn, section_id, len(section.questions), code, question, settings
            )
        )

    await edit(slug, change)
    return created[0]


async def update_question(slug: str, question_id: int, form: QuestionForm) -> Editor:
    """Save the question form; refuse what would orphan or corrupt stored answers."""
    text = form.text.cut(2000)
    help_text = form.help.cut(2000)

    async def change(conn: asyncpg.Connection, editor: Editor) -> None:
        question = editor.question(question_id)
        errors: dict[str, FieldError] = {}
        code = clip(form.code, 64).lower() or question.code
        kind = form.kind
        if kind is None:
            errors["kind"] = FieldError("builder.kind_pick", {})
            kind = QuestionKind(question.kind)
        if not text.fr:
            errors["text.fr"] = FieldError("builder.text_missing", {})
        if not CODE_RE.match(code):
            errors["code"] = FieldError("builder.code_invalid", {})
        elif code != question.code and code in {q.code for q in editor.questions}:
            errors["code"] = FieldError("builder.code_taken", {"code": code})
        settings = _question_settings(kind, form, errors)
        earlier = editor.earlier_questions(question_id=question_id)
        condition = condition_from(form.condition, earlier, errors)
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
            not in (
                "choices",
                "allow_other",
                "exclusive",
                "min",
                "max",
                "min_label",
                "max_label",
                "analyse",
                *OFFER_MARKS,
            )
        }
        settings = with_condition({**kept, **settings}, condition)
        await questions.update(
            conn,
            question_id,
            code=code,
            kind=str(kind),
            text=(text.fr, text.en),
            help=(help_text.fr, help_text.en),
            required=form.required,
            personal_data=form.personal_data or kind == QuestionKind.CONTACT,
            settings=settings,
        )

    return await edit(slug, change, condition_field="condition.value")


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
            n = await responses.count_with_choice(editor.id, question.code, old["code"], conn=conn)
            if n:
                errors["choices"] = FieldError(
                    "builder.choice_locked", {"choice": old.get("fr") or old["code"], "n": n}
                )
                return
    if question.settings.get("allow_other") and not settings.get("allow_other"):
        n = await responses.count_with_choice(editor.id, question.code, "__other__", conn=conn)
        if n:
            errors["allow_other"] = FieldError("builder.other_locked", {"n": n})
    if question.kind in (QuestionKind.SCALE, QuestionKind.NUMBER):
        n = await responses.count_outside(
            editor.id, question.code, settings.get("min"), settings.get("max"), conn=conn
        )
        if n:
            errors["maximum"] = FieldError("builder.range_locked", {"n": n})


class QuestionAction(Enum):
    """The one-button edits of a question."""

    UP = auto()
    DOWN = auto()
    DUPLICATE = auto()
    DELETE = auto()  # a draft's question goes; a live survey's is retired
    RESTORE = auto()


async def act_on_question(slug: str, question_id: int, action: QuestionAction) -> Editor:
    """Move a question up or down (across pages at the ends), duplicate it, delete it (a
    draft's) or retire it (a live survey's), or restore a retired one."""

    async def change(conn: asyncpg.Connection, editor: Editor) -> None:
        question = editor.question(question_id)
        section = editor.section(question.section_id)
        ids = [q.id for q in section.questions]
        index = ids.index(question_id)
        match action:
            case QuestionAction.UP | QuestionAction.DOWN:
                step = -1 if action is QuestionAction.UP else 1
                await _move_question(conn, editor, section, index, step)
            case QuestionAction.DELETE if editor.live:
                if question.retired:
                    return
                if not [q for q in editor.questions if not q.retired and q.id != question_id]:
                    raise SurveyError("builder.retire_last")
                refuse_if_referenced(editor, {question.code})
                await questions.retire(conn, [question_id])
            case QuestionAction.RESTORE:
                await questions.restore(conn, question_id)
            case QuestionAction.DELETE:  # a draft without any response: nothing to keep
                refuse_if_referenced(editor, {question.code})
                await questions.delete(conn, question_id)
            case QuestionAction.DUPLICATE:
                code = free_code(question.code, {q.code for q in editor.questions})
                new_id = await insert_question(
                    conn, section.id, 0, code, question, dict(question.settings)
                )
                ids.insert(index + 1, new_id)
                await questions.reorder(conn, ids)
            case _:
                assert_never(action)

    return await edit(slug, change)


async def _move_question(
    conn: asyncpg.Connection, editor: Editor, section: EditorSection, index: int, step: int
) -> None:
    ids = [q.id for q in section.questions]
    target = index + step
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
        await questions.reorder(conn, ids)
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
    await questions.move_to_section(conn, moved, other.id)
    await questions.reorder(conn, other_ids)
