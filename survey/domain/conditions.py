"""Show a question or a page only when an earlier answer matches (pure functions).

A condition lives in the ``settings`` of a question or a section under ``show_if``::

    {"question": "code", "op": "equals", "value": "yes"}
    {"question": "code", "op": "one_of", "values": ["a", "b"]}
    {"question": "code", "op": "includes", "value": "a"}          # a multiple-choice answer
    {"question": "code", "op": "between", "min": 1, "max": 3}      # either bound may be absent

Conditions may only point backwards (to an earlier question, or for a page to a question
of an earlier page), which rules out loops and lets the server evaluate them in page order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from survey.enums import CHOICE_KINDS, QuestionKind
from survey.errors import SurveyError

KEY = "show_if"
EQUALS, ONE_OF, INCLUDES, BETWEEN = "equals", "one_of", "includes", "between"
OPERATORS = (EQUALS, ONE_OF, INCLUDES, BETWEEN)

# Which operators make sense for an answer of each kind.
_ALLOWED: dict[QuestionKind, tuple[str, ...]] = {
    **{kind: (EQUALS, ONE_OF) for kind in CHOICE_KINDS},
    QuestionKind.MULTIPLE: (INCLUDES,),
    QuestionKind.SCALE: (EQUALS, BETWEEN),
    QuestionKind.NUMBER: (EQUALS, BETWEEN),
}


def operators_for(kind: QuestionKind | str) -> tuple[str, ...]:
    """The operators a condition on a question of ``kind`` may use (empty: none)."""
    return _ALLOWED.get(QuestionKind(kind), ())


def condition_of(settings: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The condition stored in a question's or section's settings, if any."""
    value = (settings or {}).get(KEY)
    return value if isinstance(value, dict) and value else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).replace(",", "."))
    except ValueError:
        return None


def _same(answer: Any, expected: Any) -> bool:
    a, b = _number(answer), _number(expected)
    if a is not None and b is not None:
        return a == b
    return str(answer) == str(expected)


def holds(condition: Mapping[str, Any], answers: Mapping[str, Any]) -> bool:
    """Whether ``condition`` is met by ``answers``; an unanswered question never matches."""
    answer = answers.get(str(condition.get("question", "")))
    if answer is None or answer == "" or answer == []:
        return False
    op = condition.get("op")
    if op == EQUALS:
        if isinstance(answer, list):
            return [str(v) for v in answer] == [str(condition.get("value"))]
        return _same(answer, condition.get("value"))
    if op == ONE_OF:
        values = condition.get("values") or []
        return any(_same(answer, v) for v in values) and not isinstance(answer, list)
    if op == INCLUDES:
        expected = str(condition.get("value"))
        return (
            expected in [str(v) for v in answer]
            if isinstance(answer, list)
            else (str(answer) == expected)
        )
    if op == BETWEEN:
        value = _number(answer)
        low, high = _number(condition.get("min")), _number(condition.get("max"))
        if value is None or isinstance(answer, list):
            return False
        return (low is None or value >= low) and (high is None or value <= high)
    return False


def is_visible(settings: Mapping[str, Any] | None, answers: Mapping[str, Any]) -> bool:
    """A question or section without a condition is always shown."""
    condition = condition_of(settings)
    return condition is None or holds(condition, answers)


def _error(key: str, where: str, **params: Any) -> SurveyError:
    return SurveyError(f"builder.condition_{key}", where=where, **params)


def check_conditions(sections: Sequence[Mapping[str, Any]]) -> None:
    """Refuse conditions that point forwards, at themselves, at unknown questions, or that
    compare with a value the question cannot have. ``sections`` is in Parlons JSON form."""
    every = {str(q.get("code")) for s in sections for q in s.get("questions") or []}
    seen: dict[str, tuple[int, Mapping[str, Any]]] = {}  # code -> (section index, question)
    for s_index, section in enumerate(sections):
        condition = condition_of(section.get("settings"))
        if condition is not None:
            where = _label(section.get("title")) or str(s_index + 1)
            own = {str(q.get("code")) for q in section.get("questions") or []}
            if str(condition.get("question", "")) in own:
                raise _error("same_page", where, target=str(condition.get("question")))
            _check_one(condition, where, seen, every, own_code=None)
        for question in section.get("questions") or []:
            code = str(question.get("code", ""))
            condition = condition_of(question.get("settings"))
            if condition is not None:
                _check_one(condition, code, seen, every, own_code=code)
            seen[code] = (s_index, question)


def _label(texts: Any) -> str:
    if isinstance(texts, Mapping):
        return str(texts.get("fr") or texts.get("en") or "")
    return str(texts or "")


def _check_one(
    condition: Mapping[str, Any],
    where: str,
    seen: Mapping[str, tuple[int, Mapping[str, Any]]],
    every: set[str],
    *,
    own_code: str | None,
) -> None:
    target = str(condition.get("question", ""))
    if own_code is not None and target == own_code:
        raise _error("self", where)
    if target not in every:
        raise _error("unknown", where, target=target)
    if target not in seen:
        raise _error("later", where, target=target)
    _, question = seen[target]
    try:
        kind = QuestionKind(str(question.get("kind", "")))
    except ValueError as exc:
        raise _error("operator", where, target=target) from exc
    op = condition.get("op")
    if op not in operators_for(kind):
        raise _error("operator", where, target=target)
    if op == BETWEEN:
        low, high = _number(condition.get("min")), _number(condition.get("max"))
        if low is None and high is None or (low is not None and high is not None and low > high):
            raise _error("bad_value", where, target=target)
        return
    values = condition.get("values") if op == ONE_OF else [condition.get("value")]
    if not isinstance(values, list) or not values:
        raise _error("bad_value", where, target=target)
    if kind in CHOICE_KINDS or kind == QuestionKind.MULTIPLE:
        if kind == QuestionKind.YES_NO:
            allowed = {"yes", "no"}
        else:
            choices = (question.get("settings") or {}).get("choices") or []
            allowed = {str(c.get("code")) for c in choices}
        if any(str(v) not in allowed for v in values):
            raise _error("bad_value", where, target=target)
    elif any(_number(v) is None for v in values):
        raise _error("bad_value", where, target=target)


def references(settings: Mapping[str, Any] | None) -> str | None:
    """The code of the question a condition depends on."""
    condition = condition_of(settings)
    return str(condition.get("question")) if condition else None
