"""What a closed consultation decided, in words that fit its method.

The frozen results of a consultation (``council_results.tally``) hold every count; this module
reads them back into one ranking (tied options share a place) and one sentence naming the
winner, the way each method decides:

- majority judgment: the best majority grade wins ("« Bus le soir » l'emporte avec la mention
  majoritaire « Bien »");
- approval: the most approved option wins, with its share of the ballots;
- ranked ballots: Schulze's ranking, saying whether the winner beats every other option head
  to head (a Condorcet winner) or only leads by the strongest paths;
- budget: the projects funded by the method of equal shares, within the budget;
- statements: the statements a majority of those who voted on them agreed with.

Pure functions over plain data: the report, the public results and the follow-up page all
call ``outcome_of`` on the stored JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from survey.i18n import translate

_METHODS = ("majority_judgment", "approval", "ranked", "budget", "statements")

# One line of a method's ranking: place, option, won, detail key and its parameters.
_Row = tuple[int, int, bool, str, dict[str, Any]]
# What a method reads from the results: the summary key, its parameters, the ranking.
_Reading = tuple[str, dict[str, Any], list[_Row]]


@dataclass(frozen=True)
class Placed:
    """One option in the final ranking; ``detail`` says why it stands there."""

    rank: int
    option: int
    title: str
    need_id: int | None
    won: bool
    detail_key: str
    detail_params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """The decision of one consultation: a sentence and the ranking behind it."""

    method: str
    ballots: int
    quorum_reached: bool
    summary_key: str
    summary_params: dict[str, Any]
    placed: tuple[Placed, ...]

    @property
    def winners(self) -> tuple[Placed, ...]:
        return tuple(p for p in self.placed if p.won)


def _quoted(titles: Sequence[str]) -> str:
    return ", ".join(f"« {t} »" for t in titles)


def _places(ranking: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
    """(place, option) in ranking order; tied options share the place of the first."""
    rows: list[tuple[int, int]] = []
    place = 1
    for tier in ranking:
        rows.extend((place, option) for option in tier)
        place += len(tier)
    return rows


def _percent(share: float) -> str:
    return f"{round(100 * share)} %"


def _majority_judgment(results: dict[str, Any], titles: list[str]) -> _Reading:
    data = results["majority_judgment"]
    grades = data["majority_grades"]
    ranking = [tier for tier in data["ranking"] if tier]
    rows: list[_Row] = []
    for place, option in _places(ranking):
        grade = grades[option]
        rows.append(
            (
                place,
                option,
                place == 1 and grade is not None,
                "council.outcome_detail_grade" if grade is not None else "council.outcome_no_grade",
                {"grade_key": f"vote.grade_{grade}"} if grade is not None else {},
            )
        )
    top = [option for place, option, won, *_ in rows if won]
    if not top:
        return "council.outcome_none", {}, rows
    grade_key = f"vote.grade_{grades[top[0]]}"
    if len(top) > 1:
        return (
            "council.outcome_mj_tie",
            {"winners": _quoted([titles[i] for i in top]), "grade_key": grade_key},
            rows,
        )
    return "council.outcome_mj", {"winner": titles[top[0]], "grade_key": grade_key}, rows


def _approval(results: dict[str, Any], titles: list[str]) -> _Reading:
    data = results["approval"]
    totals, shares = data["totals"], data["shares"]
    rows: list[_Row] = []
    for place, option in _places(data["ranking"]):
        won = place == 1 and totals[option] > 0
        rows.append(
            (
                place,
                option,
                won,
                "council.outcome_detail_approval",
                {"n": totals[option], "share": _percent(shares[option])},
            )
        )
    top = [option for _, option, won, *_ in rows if won]
    if not top:
        return "council.outcome_none", {}, rows
    share = _percent(shares[top[0]])
    if len(top) > 1:
        return (
            "council.outcome_approval_tie",
            {"winners": _quoted([titles[i] for i in top]), "share": share},
            rows,
        )
    return "council.outcome_approval", {"winner": titles[top[0]], "share": share}, rows


def _beats_all(pairwise: Sequence[Sequence[int]], option: int) -> bool:
    return all(
        pairwise[option][other] > pairwise[other][option]
        for other in range(len(pairwise))
        if other != option
    )


def _ranked(results: dict[str, Any], titles: list[str]) -> _Reading:
    data = results["ranked"]
    schulze, borda = data["schulze"], data["borda"]
    pairwise = schulze["pairwise"]
    rows = [
        (
            place,
            option,
            place == 1 and results["ballots"] > 0,
            "council.outcome_detail_borda",
            {"points": round(borda["scores"][option], 1)},
        )
        for place, option in _places(schulze["ranking"])
    ]
    top = [option for _, option, won, *_ in rows if won]
    if not top:
        return "council.outcome_none", {}, rows
    if len(top) > 1:
        return "council.outcome_ranked_tie", {"winners": _quoted([titles[i] for i in top])}, rows
    key = "council.outcome_condorcet" if _beats_all(pairwise, top[0]) else "council.outcome_schulze"
    return key, {"winner": titles[top[0]]}, rows


def _money(amount: float) -> str:
    return f"{amount:,.0f}".replace(",", "\u202f")


def _budget(results: dict[str, Any], titles: list[str]) -> _Reading:
    data = results["budget"]
    shares = data["equal_shares"]
    funded = list(shares["funded"])
    approvals = data["approvals"]
    costs = [o.get("cost") or 0 for o in results["options"]]
    others = sorted(
        (i for i in range(len(titles)) if i not in funded), key=lambda i: (-approvals[i], i)
    )
    rows: list[_Row] = []
    for place, option in enumerate(funded + others, start=1):
        rows.append(
            (
                place,
                option,
                option in funded,
                "council.outcome_detail_budget",
                {"n": approvals[option], "cost": _money(costs[option])},
            )
        )
    if not funded:
        return "council.outcome_none", {}, rows
    return (
        "council.outcome_budget",
        {
            "n": len(funded),
            "funded": _quoted([titles[i] for i in funded]),
            "total": _money(shares["total_cost"]),
            "budget": _money(data["budget"]),
        },
        rows,
    )


def _statements(results: dict[str, Any], titles: list[str]) -> _Reading:
    data = results["statements"]
    agree, disagree, passed = data["agree"], data["disagree"], data["pass"]

    def share(i: int) -> float:
        seen = agree[i] + disagree[i] + passed[i]
        return agree[i] / seen if seen else 0.0

    order = sorted(range(len(titles)), key=lambda i: (-share(i), -agree[i], i))
    rows: list[_Row] = []
    for place, option in enumerate(order, start=1):
        rows.append(
            (
                place,
                option,
                share(option) > 0.5,
                "council.outcome_detail_statement",
                {
                    "agree": agree[option],
                    "disagree": disagree[option],
                    "pass": passed[option],
                    "share": _percent(share(option)),
                },
            )
        )
    adopted = [titles[option] for _, option, won, *_ in rows if won]
    if not adopted:
        return "council.outcome_statements_none", {}, rows
    return "council.outcome_statements", {"n": len(adopted), "adopted": _quoted(adopted)}, rows


_READERS = {
    "majority_judgment": _majority_judgment,
    "approval": _approval,
    "ranked": _ranked,
    "budget": _budget,
    "statements": _statements,
}


def outcome_of(
    results: Mapping[str, Any] | None, titles: Sequence[str] | None = None
) -> Outcome | None:
    """The decision stored in a consultation's frozen ``results`` (None before closing).

    ``titles`` replaces the option titles frozen at closing (e.g. a need renamed since)."""
    if not results or results.get("method") not in _METHODS:
        return None
    data = dict(results)
    method = str(data["method"])
    if method not in data:
        return None
    names = list(titles) if titles is not None else [o["title"] for o in data["options"]]
    if not data["ballots"] or not names:
        return Outcome(
            method,
            int(data["ballots"]),
            bool(data.get("quorum_reached")),
            "council.outcome_no_ballots",
            {},
            (),
        )
    key, params, rows = _READERS[method](data, names)
    placed = tuple(
        Placed(
            place,
            option,
            names[option],
            data["options"][option].get("need_id"),
            won,
            detail_key,
            detail_params,
        )
        for place, option, won, detail_key, detail_params in rows
    )
    return Outcome(
        method, int(data["ballots"]), bool(data.get("quorum_reached")), key, params, placed
    )


def _words(language: str, key: str, params: Mapping[str, Any]) -> str:
    # A parameter named ``…_key`` is itself a message (a grade's name): translated first.
    ready = {
        (name[:-4] if name.endswith("_key") else name): (
            translate(language, value) if name.endswith("_key") else value
        )
        for name, value in params.items()
    }
    return translate(language, key, **ready)


def summary_text(outcome: Outcome, language: str) -> str:
    """The outcome's sentence in ``language``."""
    return _words(language, outcome.summary_key, outcome.summary_params)


def detail_text(placed: Placed, language: str) -> str:
    """Why an option stands at its place, in ``language``."""
    return _words(language, placed.detail_key, placed.detail_params)


@dataclass(frozen=True)
class OutcomeText:
    """An outcome put into words: the sentence, then (place, title, won, why) per option."""

    summary: str
    rows: tuple[tuple[int, str, bool, str], ...]


def outcome_text(
    results: Mapping[str, Any] | None, language: str, titles: Sequence[str] | None = None
) -> OutcomeText | None:
    """``outcome_of`` in ``language``, ready for a page (None before closing)."""
    outcome = outcome_of(results, titles)
    if outcome is None:
        return None
    return OutcomeText(
        summary_text(outcome, language),
        tuple((p.rank, p.title, p.won, detail_text(p, language)) for p in outcome.placed),
    )
