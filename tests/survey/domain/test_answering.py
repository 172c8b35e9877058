"""The resident's page state machine (pure: no database) and the one way responses are
stored (real database)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from survey.domain import answering, forms
from survey.domain.answering import Action, Complete, Invalid, Next, advance
from survey.domain.db import connection
from survey.domain.definitions import QuestionDef, SectionDef, SurveyDef
from survey.domain.invitations import create_invitations, list_invitations
from survey.domain.responses import count_responses
from survey.enums import QuestionKind, SurveyStatus
from survey.errors import Conflict
from tests.factories import make_survey

TODAY = dt.date(2026, 12, 2)


def _question(code: str, kind: QuestionKind, **settings: object) -> QuestionDef:
    return QuestionDef(code=code, kind=kind, text={"fr": code}, required=True, settings=settings)


def _survey() -> SurveyDef:
    """Four pages; the second only for residents with children."""
    children = SectionDef({"fr": "1"}, {}, (_question("enfants", QuestionKind.YES_NO),))
    ages = SectionDef(
        {"fr": "2"},
        {},
        (_question("age", QuestionKind.NUMBER),),
        settings={"show_if": {"question": "enfants", "op": "equals", "value": "yes"}},
    )
    opinion = SectionDef({"fr": "3"}, {}, (_question("avis", QuestionKind.SHORT_TEXT),))
    end = SectionDef({"fr": "4"}, {}, (_question("fin", QuestionKind.SHORT_TEXT),))
    return SurveyDef(
        id=1,
        slug="pure",
        status=SurveyStatus.OPEN,
        version=1,
        title={"fr": "Pure"},
        description={},
        consent={},
        sections=(children, ages, opinion, end),
    )


def test_advance_next_skips_a_hidden_page_and_carries_the_answers() -> None:
    outcome = advance(_survey(), {"q_enfants": ["no"]}, 0, Action.NEXT, today=TODAY)
    assert outcome == Next(2, forms.Walk(answers={"enfants": "no"}, visible=[0]))


def test_advance_next_shows_a_page_whose_condition_holds() -> None:
    outcome = advance(_survey(), {"q_enfants": ["yes"]}, 0, Action.NEXT, today=TODAY)
    assert isinstance(outcome, Next)
    assert outcome.step == 1


def test_advance_back_returns_to_the_previous_visible_page() -> None:
    raw = {"q_enfants": ["no"], "q_avis": ["Bien"]}
    outcome = advance(_survey(), raw, 2, Action.BACK, today=TODAY)
    assert outcome == Next(0, forms.Walk(answers={}, visible=[]))
    raw = {"q_enfants": ["yes"], "q_age": ["4"], "q_avis": ["Bien"]}
    outcome = advance(_survey(), raw, 3, Action.BACK, today=TODAY)
    assert outcome == Next(2, forms.Walk(answers={"enfants": "yes", "age": 4}, visible=[0, 1]))


def test_advance_back_keeps_what_the_page_holds_even_when_invalid() -> None:
    outcome = advance(_survey(), {"q_enfants": ["no"]}, 2, Action.BACK, today=TODAY)
    assert isinstance(outcome, Next)
    assert outcome.step == 0


def test_advance_invalid_page_is_shown_again_with_its_errors() -> None:
    outcome = advance(_survey(), {"q_enfants": ["no"]}, 2, Action.NEXT, today=TODAY)
    assert isinstance(outcome, Invalid)
    assert (outcome.step, list(outcome.errors)) == (2, ["avis"])
    assert outcome.before == forms.Walk(answers={"enfants": "no"}, visible=[0])


def test_advance_tampered_earlier_page_is_the_one_shown_again() -> None:
    raw = {"q_enfants": ["maybe"], "q_avis": ["Bien"], "q_fin": ["Merci"]}
    outcome = advance(_survey(), raw, 3, Action.NEXT, today=TODAY)
    assert isinstance(outcome, Invalid)
    assert (outcome.step, list(outcome.errors)) == (0, ["enfants"])
    assert outcome.before == forms.Walk(answers={}, visible=[])


def test_advance_last_page_completes_without_the_hidden_page_answers() -> None:
    raw = {"q_enfants": ["no"], "q_age": ["stale"], "q_avis": ["Bien"], "q_fin": ["Merci"]}
    outcome = advance(_survey(), raw, 3, Action.NEXT, today=TODAY)
    assert outcome == Complete({"enfants": "no", "avis": "Bien", "fin": "Merci"})


def test_advance_walks_the_earlier_pages_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int | None] = []
    walk = forms.walk_sections

    def counted(*args: object, **kwargs: object) -> forms.Walk:
        calls.append(kwargs.get("stop"))  # type: ignore[arg-type]
        return walk(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(answering, "walk_sections", counted)
    raw = {"q_enfants": ["no"], "q_avis": ["Bien"], "q_fin": ["Merci"]}
    for step, action in ((0, Action.NEXT), (2, Action.BACK), (3, Action.NEXT)):
        calls.clear()
        advance(_survey(), raw, step, action, today=TODAY)
        assert calls == [step]


@pytest.mark.usefixtures("orm")
async def test_submit_response_closed_survey_refuses_every_way_in() -> None:
    closed = await make_survey(status="closed")
    invited = await make_survey(status="closed", access={"mode": "invitation"})
    await create_invitations(invited, 1)
    (code,) = await list_invitations(invited)
    ways: list[tuple[SurveyDef, answering.Via]] = [
        (closed, answering.Open()),
        (closed, answering.Paper()),
        (invited, answering.Invitation(code)),
    ]
    for definition, via in ways:
        with pytest.raises(Conflict) as caught:
            await answering.submit_response(
                definition, {"quartier": "bissy"}, key=uuid.uuid4(), language="fr", via=via
            )
        assert caught.value.key == "error.survey_closed"
    item = {"key": str(uuid.uuid4()), "answers": {}, "submitted_at": dt.datetime.now(dt.UTC)}
    with pytest.raises(Conflict):
        await answering.submit_batch(closed, [item], via=answering.Import())
    assert await count_responses(closed.id) == await count_responses(invited.id) == 0
    # The invitation was not used up by the refused answer.
    assert await list_invitations(invited, unused_only=True) == [code]


@pytest.mark.usefixtures("orm")
async def test_submit_response_draft_takes_staff_entries_but_no_resident() -> None:
    draft = await make_survey(status="draft")
    with pytest.raises(Conflict):
        await answering.submit_response(
            draft, {}, key=uuid.uuid4(), language="fr", via=answering.Open()
        )
    await answering.submit_response(
        draft, {"quartier": "bissy"}, key=uuid.uuid4(), language="fr", via=answering.Paper()
    )
    assert await count_responses(draft.id) == 1


@pytest.mark.usefixtures("orm")
async def test_submit_response_retry_after_closing_gets_its_receipt() -> None:
    definition = await make_survey()
    key = uuid.uuid4()
    receipt = await answering.submit_response(
        definition, {"quartier": "bissy"}, key=key, language="fr", via=answering.Open()
    )
    async with connection() as conn:
        await conn.execute("UPDATE surveys SET status = 'closed' WHERE id = $1", definition.id)
    again = await answering.submit_response(
        definition, {"quartier": "bissy"}, key=key, language="fr", via=answering.Open()
    )
    assert again == receipt
    with pytest.raises(Conflict):
        await answering.submit_response(
            definition, {"quartier": "bissy"}, key=uuid.uuid4(), language="fr", via=answering.Open()
        )
    assert await count_responses(definition.id) == 1
