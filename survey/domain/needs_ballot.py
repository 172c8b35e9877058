"""Ballot options from needs: the needs of a survey's latest finished analysis offered to a
draft consultation, each ticked one put on its ballot with its quotes."""

from __future__ import annotations

from dataclasses import dataclass, field

from survey.domain.consultation_options import create_options as create_council_options
from survey.domain.consultations import get_consultation
from survey.domain.councils import InvalidForm, get_council
from survey.domain.definitions import QuestionDef, SurveyDef, get_definition
from survey.domain.forms import FieldError
from survey.domain.needs import NeedView, latest_run, needs_of_run, text_questions
from survey.domain.sortition_form import field_error
from survey.enums import ConsultationState
from survey.errors import Conflict
from survey.i18n import DEFAULT_LANGUAGE, pick, translate
from survey.models import Survey
from survey.models.councils import Consultation, ConsultationOption, Council
from survey.models.needs import AnalysisRun

QUOTES_PER_OPTION = 3


@dataclass(frozen=True)
class NeedsPick:
    """What the needs page asks for: a survey's slug, one of its free-text questions (""
    or unknown: its first), and the ids of the needs ticked. Errors found in it are keyed
    by these attribute names."""

    survey: str = ""
    question: str = ""
    need: tuple[str, ...] = ()


@dataclass(frozen=True)
class NeedsChoice:
    """The needs page: surveys, their free-text questions, the latest run's needs."""

    council: Council
    consultation: Consultation
    surveys: list[Survey]
    definition: SurveyDef | None
    questions: list[QuestionDef]
    question: str
    run: AnalysisRun | None
    needs: list[NeedView]
    chosen: list[str]
    errors: dict[str, FieldError] = field(default_factory=dict)


async def needs_for_ballot(
    council_id: int,
    consultation_id: int,
    wanted: NeedsPick,
    errors: dict[str, FieldError] | None = None,
) -> NeedsChoice:
    """The needs of the latest finished run over the chosen survey question."""
    council = await get_council(council_id)
    consultation = await get_consultation(council.id, consultation_id)
    slug = wanted.survey
    definition = await get_definition(slug) if slug and await Survey.exists(slug=slug) else None
    questions = text_questions(definition) if definition else []
    question = wanted.question
    if questions and question not in {q.code for q in questions}:
        question = questions[0].code
    run = await latest_run(definition.id, question) if definition and question else None
    needs = [n for n in await needs_of_run(run) if n.is_need] if run else []
    return NeedsChoice(
        council=council,
        consultation=consultation,
        surveys=await Survey.all().order_by("-created_at", "-id"),
        definition=definition,
        questions=questions,
        question=question,
        run=run,
        needs=needs,
        chosen=list(wanted.need),
        errors=errors or {},
    )


async def create_options_from_needs(
    council_id: int, consultation_id: int, wanted: NeedsPick, *, actor: str
) -> list[ConsultationOption]:
    """Put the ticked needs on a consultation's ballot (draft only): each under the need's
    reviewed name, with a description saying how many answers expressed it, and its quotes.
    """
    choice = await needs_for_ballot(council_id, consultation_id, wanted)
    if choice.consultation.state != ConsultationState.DRAFT:
        raise Conflict("sortition.consultation_not_draft")
    by_id = {str(n.id): n for n in choice.needs}
    if not choice.chosen:
        raise InvalidForm({"need": field_error("sortition.pick_needs")})
    if any(c not in by_id for c in choice.chosen):
        raise InvalidForm({"need": field_error("sortition.need_unknown")})
    picked = [by_id[c] for c in dict.fromkeys(choice.chosen)]
    assert choice.definition is not None  # needs are found only for a known survey
    question = pick(choice.definition.question(choice.question).text, DEFAULT_LANGUAGE)
    return await create_council_options(
        choice.consultation,
        [
            (
                n.label,
                translate(DEFAULT_LANGUAGE, "decide.need_description", n=n.size, question=question),
                n.id,
            )
            for n in picked
        ],
        quotes=[n.quotes[:QUOTES_PER_OPTION] for n in picked],
        actor=actor,
    )
