"""Display conditions: evaluation, checks, and their effect on validation (pure: no database)."""

from __future__ import annotations

import pytest

from survey.domain import forms
from survey.domain.conditions import check_conditions, holds, is_visible, operators_for
from survey.domain.definitions import QuestionDef, SectionDef
from survey.enums import QuestionKind
from survey.errors import SurveyError

CHOICES = [{"code": "a", "fr": "A", "en": "A"}, {"code": "b", "fr": "B", "en": "B"}]


def test_holds_equals_matches_only_the_value() -> None:
    condition = {"question": "x", "op": "equals", "value": "yes"}
    assert holds(condition, {"x": "yes"}) is True
    assert holds(condition, {"x": "no"}) is False
    assert holds(condition, {}) is False


def test_holds_equals_compares_numbers_as_numbers() -> None:
    condition = {"question": "n", "op": "equals", "value": "3"}
    assert holds(condition, {"n": 3}) is True
    assert holds(condition, {"n": 3.0}) is True
    assert holds(condition, {"n": 4}) is False


def test_holds_one_of_matches_any_listed_value() -> None:
    condition = {"question": "x", "op": "one_of", "values": ["a", "b"]}
    assert holds(condition, {"x": "b"}) is True
    assert holds(condition, {"x": "c"}) is False


def test_holds_includes_looks_inside_multiple_answers() -> None:
    condition = {"question": "m", "op": "includes", "value": "bus"}
    assert holds(condition, {"m": ["velo", "bus"]}) is True
    assert holds(condition, {"m": ["velo"]}) is False
    assert holds(condition, {"m": []}) is False


def test_holds_between_respects_each_bound() -> None:
    both = {"question": "n", "op": "between", "min": 1, "max": 2}
    assert [holds(both, {"n": v}) for v in (0, 1, 2, 3)] == [False, True, True, False]
    assert holds({"question": "n", "op": "between", "min": 4}, {"n": 60}) is True
    assert holds({"question": "n", "op": "between", "max": 4}, {"n": 5}) is False
    assert holds(both, {"n": "not a number"}) is False


def test_holds_unknown_operator_never_matches() -> None:
    assert holds({"question": "x", "op": "like", "value": "a"}, {"x": "a"}) is False


def test_is_visible_without_condition_is_always_true() -> None:
    assert is_visible({}, {}) is True
    assert is_visible({"choices": []}, {}) is True
    assert is_visible({"show_if": {"question": "x", "op": "equals", "value": "a"}}, {}) is False


def test_operators_for_each_kind() -> None:
    assert operators_for(QuestionKind.YES_NO) == ("equals", "one_of")
    assert operators_for(QuestionKind.MULTIPLE) == ("includes",)
    assert operators_for(QuestionKind.NUMBER) == ("equals", "between")
    assert operators_for(QuestionKind.LONG_TEXT) == ()


def _sections(*questions: dict, page_condition: dict | None = None) -> list[dict]:
    first = {"title": {"fr": "Un"}, "questions": list(questions[:2])}
    second = {"title": {"fr": "Deux"}, "questions": list(questions[2:])}
    if page_condition:
        second["settings"] = {"show_if": page_condition}
    return [first, second]


def _q(code: str, kind: str = "single", show_if: dict | None = None) -> dict:
    settings: dict = {"choices": CHOICES} if kind in ("single", "multiple") else {}
    if show_if:
        settings["show_if"] = show_if
    return {"code": code, "kind": kind, "text": {"fr": code}, "settings": settings}


def test_check_conditions_accepts_backward_references() -> None:
    check_conditions(
        _sections(
            _q("a"),
            _q("b", show_if={"question": "a", "op": "equals", "value": "a"}),
            _q("c", "number"),
            page_condition={"question": "b", "op": "one_of", "values": ["a", "b"]},
        )
    )


@pytest.mark.parametrize(
    ("sections", "key"),
    [
        (_sections(_q("a", show_if={"question": "a", "op": "equals", "value": "a"})), "self"),
        (_sections(_q("a", show_if={"question": "zz", "op": "equals", "value": "a"})), "unknown"),
        (
            _sections(_q("a", show_if={"question": "b", "op": "equals", "value": "a"}), _q("b")),
            "later",
        ),
        (
            _sections(_q("a"), _q("b"), _q("c"), page_condition={"question": "c", "op": "equals"}),
            "same_page",
        ),
        (
            _sections(_q("a"), _q("b", show_if={"question": "a", "op": "between", "min": 1})),
            "operator",
        ),
        (
            _sections(_q("a"), _q("b", show_if={"question": "a", "op": "equals", "value": "z"})),
            "bad_value",
        ),
        (
            _sections(
                _q("n", "number"),
                _q("b", show_if={"question": "n", "op": "between", "min": 5, "max": 1}),
            ),
            "bad_value",
        ),
    ],
    ids=["self", "unknown", "later", "same-page", "operator", "choice", "bounds"],
)
def test_check_conditions_refuses_with_a_clear_key(sections: list[dict], key: str) -> None:
    with pytest.raises(SurveyError) as caught:
        check_conditions(sections)
    assert caught.value.key == f"builder.condition_{key}"


def _question(code: str, kind: QuestionKind, required: bool = False, **settings) -> QuestionDef:
    return QuestionDef(
        code=code, kind=kind, text={"fr": code, "en": code}, required=required, settings=settings
    )


CHILDREN = _question("enfants", QuestionKind.YES_NO, required=True)
CARE = _question(
    "garde",
    QuestionKind.SHORT_TEXT,
    required=True,
    show_if={"question": "enfants", "op": "equals", "value": "yes"},
)


def test_clean_section_hidden_question_is_not_required_and_dropped() -> None:
    section = SectionDef(title={}, description={}, questions=(CHILDREN, CARE))
    raw = {"q_enfants": ["no"], "q_garde": ["stale text from before"]}
    assert forms.clean_section(section, raw) == ({"enfants": "no"}, {})


def test_clean_section_shown_question_keeps_its_rules() -> None:
    section = SectionDef(title={}, description={}, questions=(CHILDREN, CARE))
    answers, errors = forms.clean_section(section, {"q_enfants": ["yes"]})
    assert answers == {"enfants": "yes"}
    assert errors["garde"].key == "error.required"
    answers, errors = forms.clean_section(section, {"q_enfants": ["yes"], "q_garde": ["Crèche"]})
    assert (answers, errors) == ({"enfants": "yes", "garde": "Crèche"}, {})


def _pages() -> tuple[SectionDef, ...]:
    first = SectionDef(title={"fr": "1"}, description={}, questions=(CHILDREN,))
    second = SectionDef(
        title={"fr": "2"},
        description={},
        questions=(_question("age_enfants", QuestionKind.NUMBER, required=True),),
        settings={"show_if": {"question": "enfants", "op": "equals", "value": "yes"}},
    )
    third = SectionDef(
        title={"fr": "3"}, description={}, questions=(_question("avis", QuestionKind.SHORT_TEXT),)
    )
    return first, second, third


def test_walk_sections_skips_hidden_page_and_its_stale_answers() -> None:
    raw = {"q_enfants": ["no"], "q_age_enfants": ["not even a number"], "q_avis": ["Bien"]}
    walk = forms.walk_sections(_pages(), raw)
    assert walk.visible == [0, 2]
    assert walk.failed is None
    assert walk.answers == {"enfants": "no", "avis": "Bien"}


def test_walk_sections_stops_at_first_page_with_errors() -> None:
    walk = forms.walk_sections(_pages(), {"q_enfants": ["yes"], "q_age_enfants": ["x"]})
    assert walk.visible == [0, 1]
    assert walk.failed == 1
    assert walk.errors["age_enfants"].key == "error.number"


def test_next_visible_follows_the_branch() -> None:
    pages = _pages()
    assert forms.next_visible(pages, 0, {"enfants": "yes"}) == 1
    assert forms.next_visible(pages, 0, {"enfants": "no"}) == 2
    assert forms.next_visible(pages, 2, {"enfants": "no"}) is None


def test_shown_questions_hides_only_conditions_on_earlier_pages() -> None:
    earlier = _question(
        "plus", QuestionKind.SHORT_TEXT, show_if={"question": "x", "op": "equals", "value": "a"}
    )
    section = SectionDef(title={}, description={}, questions=(CHILDREN, CARE, earlier))
    shown = forms.shown_questions(section, {"x": "b"})
    # "garde" depends on a question of the same page: shown, the server decides on sending.
    assert [q.code for q in shown] == ["enfants", "garde"]
    assert [q.code for q in forms.shown_questions(section, {"x": "a"})] == [
        "enfants",
        "garde",
        "plus",
    ]


def test_clean_all_reports_every_page_error_at_once() -> None:
    raw = {"q_enfants": ["yes"], "q_age_enfants": ["x"], "q_avis": ["y" * 300]}
    answers, errors = forms.clean_all(_pages(), raw)
    assert answers == {"enfants": "yes"}
    assert sorted(errors) == ["age_enfants", "avis"]


def test_describe_condition_uses_labels() -> None:
    words = forms.describe_condition(
        (CHILDREN,), {"show_if": {"question": "enfants", "op": "equals", "value": "yes"}}, "fr"
    )
    assert words == {"question": "enfants", "answer": "Oui"}
    words = forms.describe_condition(
        (CHILDREN,), {"show_if": {"question": "n", "op": "between", "min": 1, "max": 3}}, "en"
    )
    assert words == {"question": "n", "answer": "1 – 3"}
