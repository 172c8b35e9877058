"""Majority judgment: every option graded on seven grades, the best majority grade wins."""

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
    marks_as_form,
    pct,
    placings,
    quoted,
    rank_rows,
    read_marks,
    share,
    won_options,
)

# Grade 6 is "Excellent", 0 is "À rejeter"; the ballot shows them best first.
GRADES = tuple(range(tallies.N_GRADES))
GRADES_BEST_FIRST = GRADES[::-1]


def result_of(data: Mapping[str, Any]) -> tallies.MajorityJudgmentResult:
    """The frozen JSON back as the tally's result."""
    profiles = np.asarray(data["profiles"], dtype=np.int64)
    return tallies.MajorityJudgmentResult(
        ranking=data["ranking"],
        profiles=profiles,
        totals=profiles.sum(axis=1),
        majority_grades=data["majority_grades"],
        proponents=data["proponents"],
        opponents=data["opponents"],
        gauges=data["gauges"],
        tie_broken=[tuple(p) for p in data["tie_broken"]],
    )


def _grade(text: str) -> int | BallotError:
    if not text:
        return BallotError("vote.grade_missing")
    if not text.isdigit() or int(text) not in GRADES:
        return BallotError("vote.grade_unknown")
    return int(text)


def _grade_detail(grade: int | None) -> tuple[str, dict[str, Any]]:
    if grade is None:
        return "council.outcome_no_grade", {}
    return "council.outcome_detail_grade", {"grade_key": f"vote.grade_{grade}"}


class MajorityJudgment:
    """``g_<id>`` = grade 0..6, every option graded; an ungraded option counts for nothing."""

    name = "majority_judgment"
    missing = -1
    min_options = 2
    proposals = False
    costs = False

    def parse(
        self, options: Sequence[BallotOption], raw: RawBallot, *, budget: float | None
    ) -> tuple[Marks, dict[str, BallotError]]:
        return read_marks(options, raw, "g", _grade)

    def as_form(self, marks: Mapping[int, int]) -> dict[str, list[str]]:
        return marks_as_form("g", marks)

    def tally(self, count: Count) -> dict[str, Any]:
        result = tallies.majority_judgment_ballots(count.matrix)
        return {
            "ranking": result.ranking,
            "profiles": result.profiles.tolist(),
            "majority_grades": result.majority_grades,
            "proponents": result.proponents,
            "opponents": result.opponents,
            "gauges": result.gauges,
            "tie_broken": [list(p) for p in result.tie_broken],
        }

    def outcome(self, results: Mapping[str, Any], titles: list[str]) -> Decision:
        data = results[self.name]
        grades = data["majority_grades"]
        ranking = [tier for tier in data["ranking"] if tier]
        rows = placings(
            rank_rows(ranking),
            lambda place, option: place == 1 and grades[option] is not None,
            lambda option: _grade_detail(grades[option]),
        )
        top = won_options(rows)
        if not top:
            return Decision("council.outcome_none", {}, rows)
        grade_key = f"vote.grade_{grades[top[0]]}"
        if len(top) > 1:
            winners = quoted([titles[i] for i in top])
            return Decision(
                "council.outcome_mj_tie", {"winners": winners, "grade_key": grade_key}, rows
            )
        return Decision(
            "council.outcome_mj", {"winner": titles[top[0]], "grade_key": grade_key}, rows
        )

    def sections(
        self, results: Mapping[str, Any], labels: list[str], translate: Translate
    ) -> list[Section]:
        _ = translate
        data = results[self.name]
        mj = result_of(data)
        grade_names = [_(f"vote.grade_{g}") for g in GRADES]
        placed = rank_rows(data["ranking"])
        rows = [
            [
                rank,
                labels[i],
                grade_names[g] if (g := data["majority_grades"][i]) is not None else "–",
                pct(data["proponents"][i]),
                pct(data["opponents"][i]),
            ]
            for rank, i in placed
        ]
        header = [
            _("council.rank"),
            _("council.option"),
            _("council.majority_grade"),
            _("council.proponents"),
            _("council.opponents"),
        ]
        figure = charts.merit_profiles_chart(
            mj, labels, grade_names, _("council.chart_merit"), median_label=_("council.median")
        )
        profile_rows = [[labels[i], *(int(v) for v in mj.profiles[i][::-1])] for _r, i in placed]
        return [
            {
                "title": _("council.method_majority_judgment"),
                "explain": _("council.explain_majority_judgment"),
                "header": header,
                "rows": rows,
                "bars": [
                    bar(
                        labels[i],
                        str(row[2]),
                        [
                            (f"seg-g{g}", share(mj.profiles[i][g], mj.profiles[i].sum()))
                            for g in GRADES_BEST_FIRST
                        ],
                    )
                    for row, (_r, i) in zip(rows, placed, strict=True)
                ],
                "legend": [(f"seg-g{g}", grade_names[g]) for g in GRADES_BEST_FIRST],
                "figures": [
                    Figure(
                        figure,
                        _("council.chart_merit"),
                        [_("council.option"), *grade_names[::-1]],
                        profile_rows,
                    )
                ],
            }
        ]
