"""What a needs clustering run gives: needs, themes over them, and per-answer labels.

Plain dataclasses, no learning: the web layer and the CLI read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis.text import Language

UNCLASSIFIED = -1


@dataclass(frozen=True)
class Need:
    """One need: its cluster number, readable label, keywords, quotes and size.

    ``quote_indices`` are positions of real answers in the analysed list, most central
    first; ``share`` is ``size`` over the number of real answers (non-answers excluded).
    """

    cluster: int
    label: str
    keywords: tuple[str, ...]
    quote_indices: tuple[int, ...]
    size: int
    share: float
    theme: int = -1
    coherence: float = 0.0


@dataclass(frozen=True)
class ClusteringResult:
    """Plain output of a clustering run, one entry per input answer where per-answer.

    ``labels`` holds the cluster of each answer (``-1``: unclassified or non-answer),
    ``coords`` a 2-D position per answer for a map (NaN for non-answers), ``needs`` is
    sorted by decreasing size.
    """

    labels: np.ndarray
    needs: list[Need]
    coords: np.ndarray
    languages: list[Language]
    non_answer: np.ndarray

    def groups(self) -> list[set[int]]:
        """Answer indices of each need, in the order of ``needs`` (for ``match_needs``)."""
        return [set(np.flatnonzero(self.labels == need.cluster).tolist()) for need in self.needs]


@dataclass(frozen=True)
class ThemeGroup:
    """A theme: a family of needs ("Transports et déplacements").

    ``vocabulary_id`` is the vocabulary theme it follows (None: a theme of its own, named
    from its answers); ``needs`` are the clusters of its needs, largest first; ``size``
    counts residents (answers) with at least one of its needs.
    """

    theme: int
    label: str
    vocabulary_id: str | None
    needs: tuple[int, ...]
    size: int
    share: float


@dataclass(frozen=True)
class TwoLevelResult(ClusteringResult):
    """A clustering with themes over needs and several needs per answer.

    ``labels`` is each answer's main need; ``memberships`` all its needs, main first;
    ``themes`` sorted by decreasing size; ``unclassified_share`` the share of real answers
    with no need.
    """

    themes: list[ThemeGroup] = field(default_factory=list)
    memberships: list[tuple[int, ...]] = field(default_factory=list)
    unclassified_share: float = 0.0

    def theme_of(self, cluster: int) -> ThemeGroup | None:
        """The theme holding need ``cluster``."""
        return next((t for t in self.themes if cluster in t.needs), None)
