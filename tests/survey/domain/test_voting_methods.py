"""A voting method is one object in the registry: a method defined here, and nowhere else,
is offered to staff, read from a ballot form, counted at closing, worded as a decision and
shown on the results pages, without a line changed elsewhere."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import numpy as np
import pytest

from analysis.voting import METHODS
from analysis.voting.base import (
    BallotError,
    BallotOption,
    Count,
    Decision,
    Marks,
    RawBallot,
    Section,
    Translate,
    bar,
    first_value,
    rank_rows,
    share,
)
from survey.domain.consultations import get_consultation, publish_results
from survey.domain.council_ballots import parse_ballot, record_paper_ballot
from survey.domain.council_results import close_consultation
from survey.domain.outcomes import outcome_of
from tests.factories.council import make_consultation, make_council, option_ids
from tests.factories.staff import login, staff_user
from tests.htmlform import text_of

pytestmark = pytest.mark.usefixtures("orm")


class Score:
    """Score voting: 0 to 3 points per option (``p_<id>``), most points win."""

    name = "score_test"
    missing = 0
    min_options = 2
    proposals = False
    costs = False

    def parse(
        self, options: Sequence[BallotOption], raw: RawBallot, *, budget: float | None
    ) -> tuple[Marks, dict[str, BallotError]]:
        marks: Marks = {}
        errors: dict[str, BallotError] = {}
        for option in options:
            text = first_value(raw, f"p_{option.id}")
            if text not in ("0", "1", "2", "3"):
                errors[f"p_{option.id}"] = BallotError("test.points_invalid")
            else:
                marks[option.id] = int(text)
        return marks, errors

    def as_form(self, marks: Mapping[int, int]) -> dict[str, list[str]]:
        return {f"p_{k}": [str(v)] for k, v in marks.items()}

    def tally(self, count: Count) -> dict[str, Any]:
        points = count.matrix.sum(axis=0)
        order = np.argsort(-points, kind="stable").tolist()
        return {"points": points.tolist(), "ranking": [[i] for i in order]}

    def outcome(self, results: Mapping[str, Any], titles: list[str]) -> Decision:
        data = results[self.name]
        rows = [
            (place, i, place == 1, "test.points", {"n": data["points"][i]})
            for place, i in rank_rows(data["ranking"])
        ]
        return Decision("test.winner", {"winner": titles[rows[0][1]]}, rows)

    def sections(
        self, results: Mapping[str, Any], labels: list[str], translate: Translate
    ) -> list[Section]:
        data = results[self.name]
        most = max(data["points"])
        return [
            {
                "title": "Points par proposition",
                "explain": "Chaque membre donne de 0 à 3 points.",
                "header": [translate("council.option"), "Points"],
                "rows": [[labels[i], data["points"][i]] for _p, i in rank_rows(data["ranking"])],
                "bars": [
                    bar(labels[i], str(p), [("seg-main", share(p, most))])
                    for i, p in enumerate(data["points"])
                ],
                "figures": [],
            }
        ]


@pytest.fixture
def score_method():  # type: ignore[no-untyped-def]
    with METHODS.added(Score()) as method:
        yield method
    assert "score_test" not in METHODS


async def test_a_method_defined_in_a_test_works_end_to_end(
    client: httpx.AsyncClient, score_method: Score
) -> None:
    council, members = await make_council(3)
    consultation = await make_consultation(council, "score_test", ["Crèche", "Bus", "Jardin"])
    assert consultation.state == "open"
    ids = await option_ids(consultation)
    options = [BallotOption(i) for i in ids]
    # The ballot form is read by the method: a missing or unknown mark is refused by field.
    marks, errors = parse_ballot("score_test", options, {f"p_{ids[0]}": ["9"]})
    assert errors.keys() == {f"p_{ids[0]}", f"p_{ids[1]}", f"p_{ids[2]}"}
    assert errors[f"p_{ids[0]}"].key == "test.points_invalid"
    for member, points in zip(members, [(3, 1, 0), (2, 3, 0), (3, 0, 1)], strict=True):
        raw = {f"p_{i}": [str(p)] for i, p in zip(ids, points, strict=True)}
        marks, errors = parse_ballot("score_test", options, raw)
        assert errors == {}
        await record_paper_ballot(council.id, consultation.id, member.id, marks, actor="t")
    await close_consultation(council.id, consultation.id, actor="t")
    closed = await get_consultation(council.id, consultation.id)
    assert closed.results["method"] == "score_test"
    assert closed.results["score_test"] == {"points": [8, 4, 1], "ranking": [[0], [1], [2]]}
    outcome = outcome_of(closed.results)
    assert outcome is not None
    assert [(p.rank, p.title, p.won) for p in outcome.placed] == [
        (1, "Crèche", True),
        (2, "Bus", False),
        (3, "Jardin", False),
    ]
    # Staff and public results pages show the method's own sections and decision.
    await publish_results(council.id, consultation.id, actor="t")
    await staff_user(email := "score-method@council.example.org")
    await login(client, email)
    page = await client.get(f"/staff/councils/{council.id}/consultations/{consultation.id}/results")
    assert page.status_code == 200
    text = " ".join(text_of(page.text).split())
    assert "Points par proposition" in text
    assert "Proposition Points Crèche 8 Bus 4 Jardin 1" in text
    public = await client.get(f"/c/results/{consultation.id}")
    assert public.status_code == 200
    assert public.text.count('<svg class="bar"') == 3


async def test_an_unknown_method_is_refused_when_creating_a_consultation() -> None:
    from survey.domain.consultations import ConsultationDraft, create_consultation
    from survey.domain.councils import InvalidForm

    council, _ = await make_council(1)
    with pytest.raises(InvalidForm) as refused:
        await create_consultation(council.id, ConsultationDraft("Essai", "score_test"), actor="t")
    assert refused.value.errors["method"].key == "council.method_invalid"
