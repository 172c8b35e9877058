"""Ranked ballots: Schulze's ranking decides, Borda's points are shown beside it."""

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
    marks_as_form,
    placings,
    quoted,
    rank_rows,
    read_marks,
    share,
    won_options,
)


def schulze_result(data: Mapping[str, Any], n_ballots: int) -> tallies.SchulzeResult:
    return tallies.SchulzeResult(
        ranking=data["ranking"],
        pairwise=np.asarray(data["pairwise"], dtype=np.int64),
        strongest_paths=np.asarray(data["strongest_paths"], dtype=np.int64),
        strength=data["strength"],
        n_ballots=n_ballots,
    )


def _beats_all(pairwise: Sequence[Sequence[int]], option: int) -> bool:
    return all(
        pairwise[option][other] > pairwise[other][option]
        for other in range(len(pairwise))
        if other != option
    )


def _rank(text: str, n: int) -> int | BallotError | None:
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= n:
        return BallotError("vote.rank_invalid", {"n": n})
    return int(text)


class Ranked:
    """``r_<id>`` = rank 1..n, ties allowed, unranked options left empty (ranked below every
    ranked one), at least one option ranked."""

    name = "ranked"
    missing = 0
    min_options = 2
    proposals = False
    costs = False

    def parse(
        self, options: Sequence[BallotOption], raw: RawBallot, *, budget: float | None
    ) -> tuple[Marks, dict[str, BallotError]]:
        n = len(options)
        marks, errors = read_marks(options, raw, "r", lambda text: _rank(text, n))
        if not marks and not errors:
            errors["ranks"] = BallotError("vote.rank_none")
        return marks, errors

    def as_form(self, marks: Mapping[int, int]) -> dict[str, list[str]]:
        return marks_as_form("r", marks)

    def tally(self, count: Count) -> dict[str, Any]:
        schulze = tallies.schulze(count.matrix)
        borda = tallies.borda(count.matrix)
        return {
            "schulze": {
                "ranking": schulze.ranking,
                "pairwise": schulze.pairwise.tolist(),
                "strongest_paths": schulze.strongest_paths.tolist(),
                "strength": schulze.strength,
            },
            "borda": {"ranking": borda.ranking, "scores": floats(borda.scores)},
        }

    def outcome(self, results: Mapping[str, Any], titles: list[str]) -> Decision:
        data = results[self.name]
        schulze, borda = data["schulze"], data["borda"]
        rows = placings(
            rank_rows(schulze["ranking"]),
            lambda place, _: place == 1 and results["ballots"] > 0,
            lambda option: (
                "council.outcome_detail_borda",
                {"points": round(borda["scores"][option], 1)},
            ),
        )
        top = won_options(rows)
        if not top:
            return Decision("council.outcome_none", {}, rows)
        if len(top) > 1:
            winners = quoted([titles[i] for i in top])
            return Decision("council.outcome_ranked_tie", {"winners": winners}, rows)
        condorcet = _beats_all(schulze["pairwise"], top[0])
        key = "council.outcome_condorcet" if condorcet else "council.outcome_schulze"
        return Decision(key, {"winner": titles[top[0]]}, rows)

    def sections(
        self, results: Mapping[str, Any], labels: list[str], translate: Translate
    ) -> list[Section]:
        _ = translate
        data = results[self.name]
        schulze = schulze_result(data["schulze"], int(results["ballots"]))
        scores = data["borda"]["scores"]
        placed = rank_rows(data["schulze"]["ranking"])
        rows = [[rank, labels[i], f"{scores[i]:g}"] for rank, i in placed]
        header = [_("council.rank"), _("council.option"), _("council.borda_score")]
        figure = charts.pairwise_heatmap(
            schulze,
            labels,
            _("council.chart_pairwise"),
            row_label=_("council.preferred"),
            column_label=_("council.over"),
        )
        pair_rows = [[labels[i], *data["schulze"]["pairwise"][i]] for i in range(len(labels))]
        return [
            {
                "title": _("council.method_ranked"),
                "explain": _("council.explain_ranked"),
                "header": header,
                "rows": rows,
                "bars": [
                    bar(
                        labels[i],
                        f"{scores[i]:g}",
                        [("seg-main", share(scores[i], max(scores, default=0)))],
                    )
                    for _r, i in placed
                ],
                "figures": [Figure(figure, _("council.chart_pairwise"), ["", *labels], pair_rows)],
            }
        ]
