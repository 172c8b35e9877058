"""Participatory budget: approve the projects you want within the budget; the method of
equal shares decides, the greedy count is shown beside it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from analysis.charts import council as charts
from analysis.voting import tallies
from analysis.voting.approval import approvals_as_form, parse_approvals
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
    format_amount,
    placings,
    quoted,
    share,
)

COUNTS = ("equal_shares", "greedy")


def _part(result: tallies.BudgetResult) -> dict[str, Any]:
    return {
        "funded": result.funded,
        "total_cost": result.total_cost,
        "voter_budget": result.voter_budget,
        "rounds": [
            {
                "option": r.option,
                "cost": r.cost,
                "supporters": r.supporters,
                "phase": r.phase,
                "max_payment": r.max_payment,
                "remaining_budget": r.remaining_budget,
            }
            for r in result.rounds
        ],
    }


def result_of(data: Mapping[str, Any], which: str) -> tallies.BudgetResult:
    part = data[which]
    return tallies.BudgetResult(
        method=which,
        funded=part["funded"],
        total_cost=part["total_cost"],
        budget=data["budget"],
        approvals=np.asarray(data["approvals"], dtype=np.int64),
        rounds=[],
        voter_budget=part["voter_budget"],
        utility="cost",
        completion="greedy",
    )


def _money(amount: float) -> str:
    return f"{amount:,.0f}".replace(",", "\u202f")


def costs_of(results: Mapping[str, Any]) -> list[float]:
    """Each option's cost as counted (an option without a cost counts as 1)."""
    return [float(o["cost"] or 0) or 1.0 for o in results["options"]]


class Budget:
    """``a`` = the approved projects; a ballot may not cost more than the budget."""

    name = "budget"
    missing = 0
    min_options = 2
    proposals = False
    costs = True

    def parse(
        self, options: Sequence[BallotOption], raw: RawBallot, *, budget: float | None
    ) -> tuple[Marks, dict[str, BallotError]]:
        marks, errors = parse_approvals(options, raw)
        if not errors and budget is not None:
            cost = sum(float(o.cost or 0) for o in options if o.id in marks)
            if cost > budget * (1 + 1e-9):
                errors["a"] = BallotError(
                    "vote.over_budget",
                    {"total": format_amount(cost), "budget": format_amount(budget)},
                )
        return marks, errors

    def as_form(self, marks: Mapping[int, int]) -> dict[str, list[str]]:
        return approvals_as_form(marks)

    def tally(self, count: Count) -> dict[str, Any]:
        approvals = count.matrix.astype(bool)
        greedy = tallies.greedy_budget(count.costs, count.budget, approvals)
        shares = tallies.equal_shares(count.costs, count.budget, approvals)
        return {
            "budget": count.budget,
            "approvals": greedy.approvals.tolist(),
            "greedy": _part(greedy),
            "equal_shares": _part(shares),
        }

    def outcome(self, results: Mapping[str, Any], titles: list[str]) -> Decision:
        data = results[self.name]
        shares = data["equal_shares"]
        funded = list(shares["funded"])
        approvals = data["approvals"]
        costs = [o.get("cost") or 0 for o in results["options"]]
        others = sorted(
            (i for i in range(len(titles)) if i not in funded), key=lambda i: (-approvals[i], i)
        )
        rows = placings(
            enumerate(funded + others, start=1),
            lambda _, option: option in funded,
            lambda option: (
                "council.outcome_detail_budget",
                {"n": approvals[option], "cost": _money(costs[option])},
            ),
        )
        if not funded:
            return Decision("council.outcome_none", {}, rows)
        return Decision(
            "council.outcome_budget",
            {
                "n": len(funded),
                "funded": quoted([titles[i] for i in funded]),
                "total": _money(shares["total_cost"]),
                "budget": _money(data["budget"]),
            },
            rows,
        )

    def sections(
        self, results: Mapping[str, Any], labels: list[str], translate: Translate
    ) -> list[Section]:
        _ = translate
        data = results[self.name]
        costs = costs_of(results)
        sections: list[Section] = []
        for which in COUNTS:
            part = data[which]
            rows = [
                [labels[i], format_amount(costs[i]), data["approvals"][i]] for i in part["funded"]
            ]
            header = [_("council.option"), _("council.cost"), _("council.approvals")]
            title = _(f"council.method_budget_{which}")
            figure = charts.budget_chart(
                result_of(data, which),
                labels,
                costs,
                title,
                funded_label=_("council.funded"),
                unfunded_label=_("council.unfunded"),
                cost_label=_("council.cost"),
            )
            sections.append(
                {
                    "title": title,
                    "explain": _(
                        f"council.explain_budget_{which}",
                        budget=format_amount(data["budget"]),
                        spent=format_amount(part["total_cost"]),
                    ),
                    "header": header,
                    "rows": rows,
                    "bars": [
                        bar(
                            labels[i],
                            format_amount(costs[i]),
                            [("seg-main", share(costs[i], float(data["budget"] or 0)))],
                        )
                        for i in part["funded"]
                    ],
                    "figures": [Figure(figure, title, header, rows)],
                }
            )
        return sections
