"""Pages of a survey (sections): add, edit, move, duplicate, delete or retire."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto
from typing import assert_never

import asyncpg

from survey.domain import conditions
from survey.domain.builder import (
    Editor,
    EditorSection,
    Invalid,
    Texts,
    edit,
    free_code,
    insert_question,
    refuse_if_referenced,
    with_condition,
)
from survey.domain.builder_conditions import ConditionForm, condition_from
from survey.domain.forms import FieldError
from survey.domain.queries import questions, sections
from survey.errors import SurveyError


async def add_section(slug: str) -> int:
    """A new empty page at the end; returns its id."""
    created: list[int] = []

    async def change(conn: asyncpg.Connection, editor: Editor) -> None:
        n = len(editor.sections) + 1
        created.append(
            await sections.insert(conn, editor.id, n, (f"Page {n}", f"Page {n}"), ("", ""), {})
        )

    await edit(slug, change)
    return created[0]


@dataclass(frozen=True)
class SectionForm:
    """A page's form. Errors are keyed by these attribute names (``title.fr``,
    ``condition.value``)."""

    title: Texts
    description: Texts = Texts()
    condition: ConditionForm = ConditionForm()


async def update_section(slug: str, section_id: int, form: SectionForm) -> Editor:
    """Page title, introduction and display condition."""
    title = form.title.cut(200)
    description = form.description.cut(5000)

    async def change(conn: asyncpg.Connection, editor: Editor) -> None:
        section = editor.section(section_id)
        errors: dict[str, FieldError] = {}
        if not title.fr:
            errors["title.fr"] = FieldError("builder.title_missing", {})
        earlier = editor.earlier_questions(section_id=section_id)
        condition = condition_from(form.condition, earlier, errors)
        if errors:
            raise Invalid(errors)
        settings = with_condition(section.settings, condition)
        await sections.update(
            conn,
            section_id,
            (title.fr, title.en),
            (description.fr, description.en),
            settings,
        )

    return await edit(slug, change, condition_field="condition.value")


class SectionAction(Enum):
    """The one-button edits of a page."""

    UP = auto()
    DOWN = auto()
    DUPLICATE = auto()
    DELETE = auto()  # a draft's page goes; a live survey's questions on it are retired


async def act_on_section(slug: str, section_id: int, action: SectionAction) -> Editor:
    """Move a page up or down, duplicate it, or delete it."""

    async def change(conn: asyncpg.Connection, editor: Editor) -> None:
        ids = [s.id for s in editor.sections]
        section = editor.section(section_id)
        index = ids.index(section_id)
        match action:
            case SectionAction.UP | SectionAction.DOWN:
                other = index - 1 if action is SectionAction.UP else index + 1
                if not 0 <= other < len(ids):
                    return
                ids[index], ids[other] = ids[other], ids[index]
                await sections.reorder(conn, ids)
            case SectionAction.DELETE if editor.live and section.questions:
                shown = [q for q in section.questions if not q.retired]
                if not shown:
                    raise SurveyError("builder.section_kept")
                if len(shown) == len([q for q in editor.questions if not q.retired]):
                    raise SurveyError("builder.retire_last")
                refuse_if_referenced(editor, {q.code for q in shown}, ignore_section=section_id)
                await questions.retire(conn, [q.id for q in shown])
            case SectionAction.DELETE:
                if len(ids) == 1:
                    raise SurveyError("builder.last_section")
                own = {q.code for q in section.questions}
                refuse_if_referenced(editor, own, ignore_section=section_id)
                await sections.delete(conn, section_id)
            case SectionAction.DUPLICATE:
                await _duplicate_section(conn, editor, section, index)
            case _:
                assert_never(action)

    return await edit(slug, change)


async def _duplicate_section(
    conn: asyncpg.Connection, editor: Editor, section: EditorSection, index: int
) -> None:
    taken = {q.code for q in editor.questions}
    shown = [q for q in section.questions if not q.retired]  # retired ones stay retired
    renamed = {q.code: free_code(q.code, taken) for q in shown}
    new_id = await sections.insert(
        conn,
        editor.id,
        0,
        (
            section.title["fr"][:190] + " (2)",
            section.title["en"][:190] + (" (2)" if section.title["en"] else ""),
        ),
        (section.description["fr"], section.description["en"]),
        section.settings,
    )
    for position, q in enumerate(shown):
        settings = dict(q.settings)
        condition = conditions.condition_of(settings)
        if condition and condition.get("question") in renamed:
            settings[conditions.KEY] = {**condition, "question": renamed[condition["question"]]}
        await insert_question(conn, new_id, position, renamed[q.code], q, settings)
    ids = [s.id for s in editor.sections]
    ids.insert(index + 1, new_id)
    await sections.reorder(conn, ids)
