"""The demo data is what a new user sees first: it must be valid and realistic."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from survey.domain import forms
from survey.domain.definitions import SectionDef
from survey.enums import QuestionKind
from tests.factories import demo_definition

ROOT = Path(__file__).resolve().parents[3]


def sections() -> list[SectionDef]:
    from survey.domain.definitions import QuestionDef

    data = demo_definition()
    return [
        SectionDef(
            title=s["title"],
            description={},
            questions=tuple(
                QuestionDef(
                    code=q["code"],
                    kind=QuestionKind(q["kind"]),
                    text=q["text"],
                    required=bool(q.get("required")),
                    settings=q.get("settings") or {},
                )
                for q in s["questions"]
            ),
        )
        for s in data["sections"]
    ]


def test_demo_responses_pass_the_survey_validation() -> None:
    responses = json.loads((ROOT / "fixtures" / "demo_responses.json").read_text("utf-8"))
    assert len(responses) >= 300
    defs = sections()
    for item in responses:
        raw = forms.raw_from_answers(defs, item["answers"])
        cleaned: dict[str, object] = {}
        for section in defs:
            values, errors = forms.clean_section(section, raw)
            assert errors == {}, (item["answers"], errors)
            cleaned.update(values)
        assert cleaned == item["answers"]


def test_demo_free_text_is_varied() -> None:
    responses = json.loads((ROOT / "fixtures" / "demo_responses.json").read_text("utf-8"))
    texts = [r["answers"]["manque"] for r in responses]
    assert len(set(texts)) == len(texts)
    territories = Counter(r["answers"]["quartier"] for r in responses)
    assert len(territories) == 7
    assert min(territories.values()) >= 10
