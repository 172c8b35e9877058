"""Approval voting: tick every option you accept, the most approved wins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from analysis.charts import council as charts
from analysis.voting import tallies
from analysis.voting.base import (
    BallotError,
    BallotOption,
    Count,
    Decision,
    Figure,
    Marks,
    RawBallot,
    Section,
    Translate,
    bar,
    floats,
    pct,
    percent,
    placings,
    quoted,
    rank_rows,
    won_options,
)


def parse_approvals(
    options: Sequence[BallotOption], raw: RawBallot
) -> tuple[Marks, dict[str, BallotError]]:
    """``a`` = the approved option ids; an unknown id refuses the ballot."""
    ids = {o.id for o in options}
    marks: Marks = {}
    for text in raw.get("a", []):
        if not text.isdigit() or int(text) not in ids:
            return marks, {"a": BallotError("vote.option_unknown")}
        marks[int(text)] = 1
    return marks, {}


def approvals_as_form(marks: Mapping[int, int]) -> dict[str, list[str]]:
    return {"a": [str(k) for k in marks]}


def result_of(data: Mapping[str, Any], n_ballots: int) -> tallies.ApprovalResult:
    return tallies.ApprovalResult(
        ranking=data["ranking"],
        totals=np.asarray(data["totals"], dtype=np.int64),
        shares=np.asarray(data["shares"], dtype=float),
        n_ballots=n_ballots,
    )


class Approval:
    """An option not ticked is not approved."""

    name = "approval"
    missing = 0
    min_options = 2
    proposals = False
    costs = False

    def parse(
        self, options: Sequence[BallotOption], raw: RawBallot, *, budget: float | None
    ) -> tuple[Marks, dict[str, BallotError]]:
        return parse_approvals(options, raw)

    def as_form(self, marks: Mapping[int, int]) -> dict[str, list[str]]:
        return approvals_as_form(marks)

    def tally(self, count: Count) -> dict[str, Any]:
        result = tallies.approval(count.matrix.astype(bool))
        return {
            "ranking": result.ranking,
            "totals": result.totals.tolist(),
            "shares": floats(result.shares),
        }

    def outcome(self, results: Mapping[str, Any], titles: list[str]) -> Decision:
        data = results[self.name]
        totals, shares = data["totals"], data["shares"]
        rows = placings(
            rank_rows(data["ranking"]),
            lambda place, option: place == 1 and totals[option] > 0,
            lambda option: (
                "council.outcome_detail_approval",
                {"n": totals[option], "share": percent(shares[option])},
            ),
        )
        top = won_options(rows)
        if not top:
            return Decision("council.outcome_none", {}, rows)
        best = percent(shares[top[0]])
        if len(top) > 1:
            winners = quoted([titles[i] for i in top])
            return Decision(
                "council.outcome_approval_tie", {"winners": winners, "share": best}, rows
            )
        return Decision("council.outcome_approval", {"winner": titles[top[0]], "share": best}, rows)

    def sections(
        self, results: Mapping[str, Any], labels: list[str], translate: Translate
    ) -> list[Section]:
        _ = translate
        data = results[self.name]
        result = result_of(data, int(results["ballots"]))
        placed = rank_rows(data["ranking"])
        rows = [[rank, labels[i], data["totals"][i], pct(data["shares"][i])] for rank, i in placed]
        header = [
            _("council.rank"),
            _("council.option"),
            _("council.approvals"),
            _("council.share"),
        ]
        figure = charts.approval_chart(
            result, labels, _("council.chart_approval"), axis_label=_("council.share")
        )
        return [
            {
                "title": _("council.method_approval"),
                "explain": _("council.explain_approval"),
                "header": header,
                "rows": rows,
                "bars": [
                    bar(labels[i], pct(data["shares"][i]), [("seg-main", data["shares"][i])])
                    for _r, i in placed
                ],
                "figures": [Figure(figure, _("council.chart_approval"), header, rows)],
            }
        ]
