"""Publishing a survey: open it (now or at a set time), close it, reopen it, unpublish it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import asyncpg

from survey.domain.builder import LOCAL_TZ, Editor, Invalid, clean, edit
from survey.domain.forms import FieldError
from survey.errors import SurveyError


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
            moments[name] = parse_local(clean(data, name, 40))
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

    return await edit(slug, change)
