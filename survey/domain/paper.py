"""Paper questionnaires typed in by staff, through the residents' validation rules."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from survey.domain import conditions
from survey.domain.answering import Paper, submit_response
from survey.domain.builder import Invalid
from survey.domain.definitions import SurveyDef
from survey.domain.forms import FieldError, RawForm, clean_all, describe_condition
from survey.domain.queries import responses
from survey.domain.staff_forms import Unread
from survey.errors import SurveyError


def paper_hints(definition: SurveyDef, language: str) -> dict[str, dict[str, str]]:
    """On the paper entry page every question is shown: conditional ones say when they apply."""
    return {
        q.code: describe_condition(definition.questions, q.settings, language)
        for q in definition.questions
        if conditions.condition_of(q.settings)
    }


@dataclass(frozen=True)
class PaperEntry:
    """One questionnaire typed in from paper: its answers as typed (read by the residents'
    rules), the form's idempotency key, and the language it was answered in."""

    answers: RawForm
    key: uuid.UUID | Unread
    language: str = "fr"


async def submit_paper(definition: SurveyDef, entry: PaperEntry, *, today: dt.date) -> str:
    """Store a questionnaire typed in from paper through the residents' validation rules."""
    answers, errors = clean_all(definition.sections, entry.answers, today=today)
    if errors:
        raise Invalid(errors)
    if not answers:
        raise Invalid({"": FieldError("builder.paper_empty", {})})
    if isinstance(entry.key, Unread):
        raise SurveyError("error.bad_form")
    return await submit_response(
        definition,
        answers,
        key=entry.key,
        language=entry.language if entry.language in ("fr", "en") else "fr",
        via=Paper(),
    )


async def count_paper(definition: SurveyDef) -> int:
    return await responses.count_paper(definition.id)
