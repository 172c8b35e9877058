"""Validation rules of resident answers (pure: no database)."""

from __future__ import annotations

from survey.domain import forms
from survey.domain.definitions import QuestionDef, SectionDef
from survey.enums import QuestionKind


def q(kind: QuestionKind, required: bool = False, **settings: object) -> QuestionDef:
    return QuestionDef(
        code="x", kind=kind, text={"fr": "X", "en": "X"}, required=required, settings=dict(settings)
    )


CHOICES = [
    {"code": "a", "fr": "A", "en": "A"},
    {"code": "b", "fr": "B", "en": "B"},
    {"code": "c", "fr": "C", "en": "C"},
]


def test_clean_answer_required_empty_is_error() -> None:
    _, error = forms.clean_answer(q(QuestionKind.SHORT_TEXT, required=True), {"q_x": ["  "]})
    assert error is not None and error.key == "error.required"


def test_clean_answer_optional_empty_stores_nothing() -> None:
    values, error = forms.clean_answer(q(QuestionKind.SHORT_TEXT), {})
    assert (values, error) == ({}, None)


def test_clean_answer_single_rejects_unknown_choice() -> None:
    question = q(QuestionKind.SINGLE, choices=CHOICES)
    assert forms.clean_answer(question, {"q_x": ["b"]}) == ({"x": "b"}, None)
    _, error = forms.clean_answer(question, {"q_x": ["z"]})
    assert error is not None and error.key == "error.choice"


def test_clean_answer_multiple_other_needs_text() -> None:
    question = q(QuestionKind.MULTIPLE, choices=CHOICES, allow_other=True)
    _, error = forms.clean_answer(question, {"q_x": ["a", "__other__"]})
    assert error is not None and error.key == "error.other_required"
    values, error = forms.clean_answer(question, {"q_x": ["a"], "q_x__other": ["Vélo"]})
    assert error is None
    assert values == {"x": ["a", "__other__"], "x__other": "Vélo"}


def test_clean_answer_multiple_without_other_refuses_other() -> None:
    question = q(QuestionKind.MULTIPLE, choices=CHOICES)
    _, error = forms.clean_answer(question, {"q_x": ["__other__"]})
    assert error is not None and error.key == "error.choice"


def test_clean_answer_scale_range_and_type() -> None:
    question = q(QuestionKind.SCALE, min=1, max=5)
    assert forms.clean_answer(question, {"q_x": ["5"]}) == ({"x": 5}, None)
    assert forms.clean_answer(question, {"q_x": ["6"]})[1].key == "error.range"  # type: ignore[union-attr]
    assert forms.clean_answer(question, {"q_x": ["2.5"]})[1].key == "error.number"  # type: ignore[union-attr]
    assert forms.clean_answer(question, {"q_x": ["abc"]})[1].key == "error.number"  # type: ignore[union-attr]


def test_clean_answer_number_accepts_decimal_comma() -> None:
    question = q(QuestionKind.NUMBER, min=0, max=60)
    assert forms.clean_answer(question, {"q_x": ["2,5"]}) == ({"x": 2.5}, None)
    assert forms.clean_answer(question, {"q_x": ["nan"]})[1].key == "error.number"  # type: ignore[union-attr]
    assert forms.clean_answer(question, {"q_x": ["1e400"]})[1].key == "error.number"  # type: ignore[union-attr]


def test_clean_answer_date_formats() -> None:
    question = q(QuestionKind.DATE)
    assert forms.clean_answer(question, {"q_x": ["2020-02-29"]}) == ({"x": "2020-02-29"}, None)
    assert forms.clean_answer(question, {"q_x": ["29/02/2020"]}) == ({"x": "2020-02-29"}, None)
    assert forms.clean_answer(question, {"q_x": ["31/02/2020"]})[1].key == "error.date"  # type: ignore[union-attr]


def test_clean_answer_ranking_needs_a_permutation() -> None:
    question = q(QuestionKind.RANKING, choices=CHOICES)
    raw = {"q_x__a": ["2"], "q_x__b": ["1"], "q_x__c": ["3"]}
    assert forms.clean_answer(question, raw) == ({"x": ["b", "a", "c"]}, None)
    raw["q_x__c"] = ["2"]
    assert forms.clean_answer(question, raw)[1].key == "error.ranking"  # type: ignore[union-attr]
    assert forms.clean_answer(question, {"q_x__a": ["1"]})[1].key == "error.ranking"  # type: ignore[union-attr]


def test_clean_answer_contact_email_or_phone() -> None:
    question = q(QuestionKind.CONTACT)
    assert forms.clean_answer(question, {"q_x": ["06 12 34 56 78"]})[1] is None
    assert forms.clean_answer(question, {"q_x": ["+33 6 12 34 56 78"]})[1] is None
    assert forms.clean_answer(question, {"q_x": ["a@b.fr"]})[1] is None
    assert forms.clean_answer(question, {"q_x": ["appelez-moi"]})[1].key == "error.contact"  # type: ignore[union-attr]


def test_clean_answer_long_text_limit() -> None:
    question = q(QuestionKind.LONG_TEXT)
    _, error = forms.clean_answer(question, {"q_x": ["a" * (forms.LONG_MAX + 1)]})
    assert error is not None and error.key == "error.too_long"
    assert error.params["max"] == forms.LONG_MAX


def test_raw_from_answers_round_trips() -> None:
    section = SectionDef(
        title={}, description={}, questions=(q(QuestionKind.RANKING, choices=CHOICES),)
    )
    answers = {"x": ["c", "a", "b"]}
    raw = forms.raw_from_answers([section], answers)
    assert forms.clean_section(section, raw) == (answers, {})
