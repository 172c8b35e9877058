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

Each method's reading is its ``outcome`` in ``analysis.voting``; the report, the public
results and the follow-up page all call ``outcome_of`` on the stored JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from analysis.voting import METHODS
from survey.i18n import translate


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


def outcome_of(
    results: Mapping[str, Any] | None, titles: Sequence[str] | None = None
) -> Outcome | None:
    """The decision stored in a consultation's frozen ``results`` (None before closing).

    ``titles`` replaces the option titles frozen at closing (e.g. a need renamed since)."""
    if not results or results.get("method") not in METHODS:
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
    decision = METHODS[method].outcome(data, names)
    key, params, rows = decision.summary_key, decision.summary_params, decision.rows
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
