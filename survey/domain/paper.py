"""Paper questionnaires typed in by staff, through the residents' validation rules."""

from __future__ import annotations

import datetime as dt

from survey.domain import conditions
from survey.domain.answering import Paper, submit_response
from survey.domain.builder import Invalid
from survey.domain.definitions import SurveyDef
from survey.domain.forms import FieldError, RawForm, clean_all, describe_condition
from survey.domain.queries import responses
from survey.domain.responses import parse_key


def paper_hints(definition: SurveyDef, language: str) -> dict[str, dict[str, str]]:
    """On the paper entry page every question is shown: conditional ones say when they apply."""
    return {
        q.code: describe_condition(definition.questions, q.settings, language)
        for q in definition.questions
        if conditions.condition_of(q.settings)
    }


async def submit_paper(
    definition: SurveyDef, raw: RawForm, *, key: str, language: str, today: dt.date
) -> str:
    """Store a questionnaire typed in from paper through the residents' validation rules."""
    answers, errors = clean_all(definition.sections, raw, today=today)
    if errors:
        raise Invalid(errors)
    if not answers:
        raise Invalid({"": FieldError("builder.paper_empty", {})})
    return await submit_response(
        definition,
        answers,
        key=parse_key(key),
        language=language if language in ("fr", "en") else "fr",
        via=Paper(),
    )


async def count_paper(definition: SurveyDef) -> int:
    return await responses.count_paper(definition.id)
