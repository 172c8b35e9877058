"""Residents' offers of help as a skills network: availability of a kind of help, and which
kinds of help may answer a need.

The kinds themselves are the groups the needs analysis finds in the answers to a "what would
you be ready to do?" question; this module only reads them as plain data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from analysis.matching import OfferMatcher

# Below this score a kind of help is not said to answer a need (the matcher's scale: a
# kind that shares a theme word and a few stems with the need scores about 0.2).
MIN_SCORE = 0.15


@dataclass(frozen=True)
class Availability:
    """Hours a month offered by those who said: how many said, in all, and the median."""

    answered: int
    total: float
    median: float | None


def availability(hours: Sequence[float | int | None]) -> Availability:
    """Sum up the hours a month given by the residents of a kind of help (blanks skipped)."""
    given = [float(h) for h in hours if h is not None and float(h) > 0]
    return Availability(len(given), sum(given), median(given) if given else None)


@dataclass(frozen=True)
class KindMatch:
    """A kind of help that may answer a need: its position in the kinds given, its score."""

    kind: int
    score: float


def kinds_for_needs(
    needs: Sequence[str],
    kinds: Sequence[str],
    *,
    top: int = 2,
    min_score: float = MIN_SCORE,
    matcher: OfferMatcher | None = None,
) -> list[list[KindMatch]]:
    """For each need text, the kinds of help (one text each: a name, then one offer per
    line) that may answer it, best first, at most ``top``."""
    if not needs:
        return []
    if not kinds:
        return [[] for _ in needs]
    model = matcher if matcher is not None else OfferMatcher(place_bonus=0.0, min_score=min_score)
    ranked = model.fit(list(kinds)).rank(list(needs), top=top)
    return [[KindMatch(m.actor, m.score) for m in row if m.score >= min_score] for row in ranked]
