"""Publishing a survey: open it (now or at a set time), close it, reopen it, unpublish it.

:func:`change_publication` is the one verb: the builder's publication form and the staff
list's open/close buttons both call it, so the same rules apply wherever a survey is opened.
Before a draft is first published, :func:`checklist` lists what is missing or risky:
blocking problems refuse the publication, warnings have to be confirmed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum, auto
from typing import Any

import asyncpg

from survey.domain import conditions
from survey.domain.builder import Editor, Invalid, edit, get_editor
from survey.domain.forms import FieldError
from survey.domain.queries import surveys
from survey.domain.staff_forms import Unread
from survey.errors import SurveyError


class PublicationAction(Enum):
    PUBLISH = auto()  # a draft, or an open survey's new schedule
    CLOSE = auto()
    REOPEN = auto()
    UNPUBLISH = auto()  # back to a draft: only while no response arrived


@dataclass(frozen=True)
class PublicationForm:
    """The builder's publication form: what to do, the opening and closing moments (``None``:
    none; ``Unread``: typed, but not a moment), and whether staff confirmed the warnings.
    Errors found in it are keyed by these attribute names."""

    action: PublicationAction
    opens_at: dt.datetime | Unread | None = None
    closes_at: dt.datetime | Unread | None = None
    confirmed: bool = False


@dataclass(frozen=True)
class Issue:
    """One line of the checklist: its message, where to fix it, and whether it blocks."""

    key: str
    link: str
    blocking: bool = False
    params: dict[str, Any] = field(default_factory=dict)


class NotConfirmed(SurveyError):
    """Publishing a draft with warnings that staff have not confirmed yet."""

    status = 409

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("builder.publish_confirm")
        self.issues = issues


class Blocked(SurveyError):
    """Publishing refused: the first blocking problem names why, the others follow."""

    def __init__(self, issues: list[Issue]) -> None:
        first = issues[0]
        super().__init__(first.key, **first.params)
        self.issues = issues


def checklist(editor: Editor) -> list[Issue]:
    """What is missing or risky in ``editor``, blocking problems first."""
    base = f"/staff/surveys/{editor.slug}"
    shown = [q for q in editor.questions if not q.retired]
    retired = {q.code for q in editor.questions if q.retired}
    issues: list[Issue] = []
    if not shown:
        first_page = f"{base}/edit#s-{editor.sections[0].id}"
        issues.append(Issue("builder.publish_empty", first_page, True))
    for s in editor.sections:
        if conditions.references(s.settings) in retired:
            issues.append(
                Issue(
                    "builder.check_condition_retired",
                    f"{base}/sections/{s.id}#i-cond",
                    True,
                    {"code": conditions.references(s.settings)},
                )
            )
    for q in shown:
        if conditions.references(q.settings) in retired:
            issues.append(
                Issue(
                    "builder.check_condition_retired",
                    f"{base}/questions/{q.id}#i-cond",
                    True,
                    {"code": conditions.references(q.settings)},
                )
            )
    if not editor.consent["fr"].strip():
        issues.append(Issue("builder.check_consent", f"{base}/edit#i-consent_fr"))
    if not editor.title["en"].strip():
        issues.append(Issue("builder.check_english_title", f"{base}/edit#i-title_en"))
    elif editor.consent["fr"].strip() and not editor.consent["en"].strip():
        issues.append(Issue("builder.check_english_consent", f"{base}/edit#i-consent_en"))
    untranslated = [
        q
        for q in shown
        if not q.text["en"].strip()
        or any(not str(c.get("en") or "").strip() for c in q.settings.get("choices") or [])
    ]
    if untranslated:
        issues.append(
            Issue(
                "builder.check_english_questions",
                f"{base}/questions/{untranslated[0].id}#i-text_en",
                params={"n": len(untranslated)},
            )
        )
    if editor.retention_days is None:
        issues.append(Issue("builder.check_retention", f"{base}/edit#i-retention_days"))
    return sorted(issues, key=lambda i: not i.blocking)


async def publication_checklist(slug: str) -> tuple[Editor, list[Issue]]:
    """The survey and its checklist, for the page shown before publishing."""
    editor = await get_editor(slug)
    return editor, checklist(editor)


async def change_publication(
    slug: str,
    action: PublicationAction,
    *,
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
    confirmed: bool = False,
) -> Editor:
    """Publish, close, reopen or unpublish ``slug``, under the builder's rules.

    Publishing or reopening is refused while the checklist has a blocking problem; a draft
    is published over warnings only once ``confirmed``.
    """

    async def change(conn: asyncpg.Connection, editor: Editor) -> None:
        if action in (PublicationAction.PUBLISH, PublicationAction.REOPEN):
            issues = checklist(editor)
            blocking = [i for i in issues if i.blocking]
            if blocking:
                raise Blocked(blocking)
            if editor.status == "draft" and issues and not confirmed:
                raise NotConfirmed(issues)
            opens = None if action is PublicationAction.REOPEN else opens_at
            await surveys.set_open(conn, editor.id, opens, closes_at)
        elif action is PublicationAction.CLOSE:
            await surveys.set_closed(conn, editor.id)
        else:
            if editor.responses:
                raise SurveyError("builder.unpublish_answered")
            await surveys.set_draft(conn, editor.id)

    return await edit(slug, change)


def check_moments(form: PublicationForm) -> dict[str, FieldError]:
    """The opening and closing moments' errors, by attribute."""
    errors = {
        name: FieldError("builder.date_invalid", {})
        for name, moment in (("opens_at", form.opens_at), ("closes_at", form.closes_at))
        if isinstance(moment, Unread)
    }
    opens, closes = form.opens_at, form.closes_at
    if isinstance(opens, dt.datetime) and isinstance(closes, dt.datetime) and closes <= opens:
        errors["closes_at"] = FieldError("builder.closes_before_opens", {})
    return errors


async def set_publication(slug: str, form: PublicationForm) -> Editor:
    """The builder's publication form, its moments checked, then the one verb."""
    errors = check_moments(form)
    if errors:
        raise Invalid(errors)
    assert not isinstance(form.opens_at, Unread) and not isinstance(form.closes_at, Unread)
    return await change_publication(
        slug,
        form.action,
        opens_at=form.opens_at,
        closes_at=form.closes_at,
        confirmed=form.confirmed,
    )
