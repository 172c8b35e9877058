"""Statements to agree or disagree with, read by opinion group as Pol.is does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from analysis import opinion
from analysis.charts import council as charts
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
    percent,
    placings,
    quoted,
    read_marks,
    share,
    won_options,
)

VOTES = {"agree": 1, "disagree": -1, "pass": 0}
_NAMES = {value: name for name, value in VOTES.items()}


def _opinion_part(votes: np.ndarray) -> dict[str, Any] | None:
    """Opinion groups of a vote matrix (``NaN``: no vote), or ``None`` when there are too
    few ballots or statements, or no grouping."""
    if not opinion.enough_for_groups(*votes.shape):
        return None
    try:
        analysis = opinion.analyse_opinions(votes, opinion.OpinionParams(random_state=0))
    except ValueError:
        return None
    if not opinion.is_grouping(analysis.n_groups, analysis.undecided_group):
        return None
    groups = opinion.opinion_group_count(analysis.n_groups, analysis.undecided_group)
    return {
        "labels": analysis.labels.tolist(),
        "coords": analysis.coords.tolist(),
        "group_sizes": analysis.group_sizes,
        "undecided_group": analysis.undecided_group,
        "representative": {
            str(g): [
                {"statement": s.statement, "direction": s.direction, "probability": s.probability}
                for s in statements
            ]
            for g, statements in analysis.representative.items()
        },
        "consensus": [
            {
                "statement": c.statement,
                "agree": c.agree,
                "groups_agree": opinion.agree_shares(analysis.counts, groups, c.statement),
            }
            for c in analysis.consensus
        ],
        "divisive": [
            {
                "statement": d.statement,
                "spread": d.spread,
                "groups_agree": opinion.agree_shares(analysis.counts, groups, d.statement),
            }
            for d in analysis.divisive
        ],
    }


def _no_groups(results: Mapping[str, Any], _: Translate) -> str:
    """Why no opinion groups are shown: too few ballots or statements, or no distinct groups."""
    ballots = int(results["ballots"])
    statements = len(results["options"])
    if ballots < opinion.MIN_PARTICIPANTS:
        return _("decide.groups_need_ballots", need=opinion.MIN_PARTICIPANTS, n=ballots)
    if statements < opinion.MIN_STATEMENTS:
        return _("decide.groups_need_statements", need=opinion.MIN_STATEMENTS, n=statements)
    return _("decide.groups_none_found", n=ballots)


def _vote(text: str) -> int | BallotError | None:
    if not text:
        return None
    return VOTES[text] if text in VOTES else BallotError("vote.choice_invalid")


class Statements:
    """``s_<id>`` = agree, disagree or pass; at least one statement answered; a statement
    left blank is no vote (not a pass)."""

    name = "statements"
    missing = -9
    min_options = 1
    proposals = True
    costs = False

    def parse(
        self, options: Sequence[BallotOption], raw: RawBallot, *, budget: float | None
    ) -> tuple[Marks, dict[str, BallotError]]:
        marks, errors = read_marks(options, raw, "s", _vote)
        if not marks and not errors:
            errors["statements"] = BallotError("vote.statement_none")
        return marks, errors

    def as_form(self, marks: Mapping[int, int]) -> dict[str, list[str]]:
        return marks_as_form("s", marks, _NAMES.__getitem__)

    def tally(self, count: Count) -> dict[str, Any]:
        votes = np.where(count.matrix == self.missing, np.nan, count.matrix).astype(float)
        return {
            "agree": np.count_nonzero(votes == 1, axis=0).tolist(),
            "disagree": np.count_nonzero(votes == -1, axis=0).tolist(),
            "pass": np.count_nonzero(votes == 0, axis=0).tolist(),
            "opinion": _opinion_part(votes),
        }

    def outcome(self, results: Mapping[str, Any], titles: list[str]) -> Decision:
        data = results[self.name]
        agree, disagree, passed = data["agree"], data["disagree"], data["pass"]

        def agreed(i: int) -> float:
            return share(agree[i], agree[i] + disagree[i] + passed[i])

        order = sorted(range(len(titles)), key=lambda i: (-agreed(i), -agree[i], i))
        rows = placings(
            enumerate(order, start=1),
            lambda _, option: agreed(option) > 0.5,
            lambda option: (
                "council.outcome_detail_statement",
                {
                    "agree": agree[option],
                    "disagree": disagree[option],
                    "pass": passed[option],
                    "share": percent(agreed(option)),
                },
            ),
        )
        adopted = [titles[i] for i in won_options(rows)]
        if not adopted:
            return Decision("council.outcome_statements_none", {}, rows)
        return Decision(
            "council.outcome_statements", {"n": len(adopted), "adopted": quoted(adopted)}, rows
        )

    def sections(
        self, results: Mapping[str, Any], labels: list[str], translate: Translate
    ) -> list[Section]:
        _ = translate
        data = results[self.name]
        counts = list(zip(data["agree"], data["disagree"], data["pass"], strict=True))
        readings = [opinion.statement_reading(a, d, p) for a, d, p in counts]
        rows = [
            [labels[i], a, d, p, _(f"decide.reading_{readings[i]}") if readings[i] else ""]
            for i, (a, d, p) in enumerate(counts)
        ]
        header = [
            _("council.statement"),
            _("vote.agree"),
            _("vote.disagree"),
            _("vote.pass"),
            _("decide.reading"),
        ]
        highlights = [
            {
                "kind": kind,
                "text": labels[i],
                "counts": _(
                    "decide.reading_counts",
                    agree=counts[i][0],
                    disagree=counts[i][1],
                    n=sum(counts[i]),
                    passed=counts[i][2],
                ),
            }
            for i, kind in enumerate(readings)
            if kind
        ]
        groups_part = _groups_part(data.get("opinion"), labels, _)
        return [
            {
                "title": _("council.method_statements"),
                "bars": [
                    bar(
                        labels[i],
                        pct(share(a, a + d + p)),
                        [
                            ("seg-agree", share(a, a + d + p)),
                            ("seg-disagree", share(d, a + d + p)),
                            ("seg-pass", share(p, a + d + p)),
                        ],
                    )
                    for i, (a, d, p) in enumerate(counts)
                ],
                "legend": [
                    ("seg-agree", _("vote.agree")),
                    ("seg-disagree", _("vote.disagree")),
                    ("seg-pass", _("vote.pass")),
                ],
                "consensus": groups_part["consensus"],
                "divisive": groups_part["divisive"],
                "highlights": highlights,
                "explain": _("council.explain_statements")
                + " "
                + (_("council.explain_groups") if groups_part["shown"] else _no_groups(results, _)),
                "header": header,
                "rows": rows,
                "figures": groups_part["figures"],
                "groups": groups_part["groups"],
            }
        ]


def _groups_part(
    frozen: Mapping[str, Any] | None, labels: list[str], _: Translate
) -> dict[str, Any]:
    """The opinion groups of a frozen count: map, groups with their statements, and the
    statements every group agrees on or that divide them."""
    part: dict[str, Any] = {
        "shown": False,
        "figures": [],
        "groups": [],
        "consensus": None,
        "divisive": None,
    }
    if not frozen:
        return part
    undecided = frozen.get("undecided_group")
    # Results frozen before this rule may hold a single opinion group: no grouping.
    if not opinion.is_grouping(len(frozen["group_sizes"]), undecided):
        return part
    part["shown"] = True
    names = [
        _("council.group_undecided") if g == undecided else _("council.group", n=g + 1)
        for g in range(len(frozen["group_sizes"]))
    ]
    figure = charts.opinion_map(
        frozen["coords"],
        frozen["labels"],
        names,
        _("council.chart_opinion"),
        unclustered_label=_("council.unclustered"),
    )
    part["figures"] = [
        Figure(
            figure,
            _("council.chart_opinion"),
            [_("council.group_name"), _("council.group_size")],
            [[g, s] for g, s in zip(names, frozen["group_sizes"], strict=True)],
        )
    ]
    part["groups"] = [
        {
            "name": name,
            "undecided": g == undecided,
            "size": frozen["group_sizes"][g],
            "statements": [
                {
                    "text": labels[s["statement"]],
                    "direction": _(f"vote.{s['direction']}"),
                    "share": pct(s["probability"]),
                }
                for s in frozen["representative"].get(str(g), [])
            ],
        }
        for g, name in enumerate(names)
    ]
    entries = frozen.get("consensus", []) + frozen.get("divisive", [])
    # Results frozen before the groups' agreement was kept cannot say either: nothing shown.
    if not entries or not all("groups_agree" in e for e in entries):
        return part

    def across(entry: Mapping[str, Any]) -> dict[str, str]:
        return {
            "text": labels[entry["statement"]],
            "shares": ", ".join(
                _("council.group_agrees", group=names[g], share=pct(s))
                for g, s in enumerate(entry.get("groups_agree") or [])
                if s is not None
            ),
        }

    part["consensus"] = [
        across(c)
        for c in frozen.get("consensus", [])
        if opinion.agreed_by_every_group(c["groups_agree"])
    ]
    part["divisive"] = [
        across(d) for d in frozen.get("divisive", []) if opinion.divides_groups(d["groups_agree"])
    ]
    return part
