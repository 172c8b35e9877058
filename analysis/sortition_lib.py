"""Stratified draw with the Sortition Foundation's ``sortition-algorithms`` library.

The library is an optional extra (``parlons[sortition]``): it pulls a linear-programming
solver (HiGHS) and spreadsheet clients. ``AVAILABLE`` says whether it can be imported;
``analysis.sortition`` is Parlons's own simple draw, used when it cannot.

Two of the library's algorithms are offered:

- ``maximin`` (its default): finds a probability distribution over every panel that meets
  the quotas which makes the smallest chance of any volunteer as large as possible, then
  draws one panel from it. Fairest, but it solves hundreds of small integer programs: a few
  seconds for 50 volunteers, ten or more for 200.
- ``legacy``: fills the panel one person at a time, the quota furthest from its minimum first.
  Instant, with less even chances.

``leximin`` needs the commercial Gurobi solver and ``nash`` the convex solvers of cvxpy, so
neither is offered.

Reproducibility. Same pool, quotas, panel size, seed and library version give the same panel,
in any process:

1. All the library's randomness (the starting weights of ``maximin``, the random seed it gives
   HiGHS, the lottery among panels, every choice of ``legacy``) comes from one provider,
   which it seeds from a number with ``random.seed``. It treats 0 as "no seed" and then uses
   ``secrets``, so it is given ``seed + 1``. That provider and Python's shared generator are
   process-wide: draws are serialised by a lock, and the generator's state is put back after.
2. ``maximin`` keeps the panels it finds in Python sets. With text ids their order follows
   the per-process string hashing, which changes the order the solver sees its constraints
   in, and the panel drawn with the same seed then changes from one process to the next
   (measured). Volunteers are therefore numbered 0, 1, 2, ... in the order of their ids,
   integers hashing alike in every process, and the final lottery is given the panels sorted.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from typing import Any

from analysis.sortition import InfeasibleQuotas, PoolRow, Quotas, check_quotas

LIBRARY = "sortition-algorithms"
ALGORITHMS = ("maximin", "legacy")
DEFAULT_ALGORITHM = "maximin"
LEGACY_ATTEMPTS = 100
AVAILABLE = find_spec("sortition_algorithms") is not None

_LOCK = threading.Lock()
_LIBRARY_LOGGERS = ("sortition_algorithms", "sortition_algorithms_user")


def _quiet_library() -> None:
    """The library prints its progress ("Trial number: 3", ...) to standard output: send it
    to the logging system instead, where only its warnings pass by default."""
    for name in _LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        for handler in logger.handlers[:]:
            logger.removeHandler(handler)
        logger.addHandler(logging.NullHandler())
        logger.setLevel(logging.WARNING)
        logger.propagate = True


class LibraryMissing(RuntimeError):
    """``sortition-algorithms`` is not installed: install ``parlons[sortition]``."""


@dataclass(frozen=True)
class LibraryDraw:
    """A panel drawn by the library and what it reports about the draw."""

    selected: list[Hashable]
    algorithm: str
    version: str
    # Chance each volunteer had of being drawn (maximin only; empty for legacy).
    probabilities: dict[Hashable, float] = field(default_factory=dict)
    # How many distinct panels the maximin distribution gives a chance to.
    panels: int = 0


def library_version() -> str:
    """The installed version of ``sortition-algorithms``; raises ``LibraryMissing`` if none."""
    try:
        return version(LIBRARY)
    except PackageNotFoundError as exc:
        raise LibraryMissing(LIBRARY) from exc


def _codes(quotas: Quotas) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Neutral names for categories and values: the library compares values ignoring case
    and cannot take an empty value (our "no answer")."""
    categories = {c: f"c{i}" for i, c in enumerate(quotas)}
    values = {(c, v): f"v{j}" for c in quotas for j, v in enumerate(quotas[c])}
    return categories, values


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    from sortition_algorithms.utils import set_random_provider

    with _LOCK:
        state = random.getstate()
        set_random_provider(seed + 1)
        try:
            yield
        finally:
            set_random_provider(None)
            random.setstate(state)


def _named(exc: Any, features: dict[str, Any], quotas: Quotas) -> InfeasibleQuotas:
    """The first quota the library's suggested relaxation changes, with its new bound."""
    categories, values = _codes(quotas)
    relaxed = exc.features
    for category, bounds in quotas.items():
        for value in bounds:
            code, value_code = categories[category], values[(category, value)]
            before, after = features[code][value_code], relaxed[code][value_code]
            if after.min < before.min:
                return InfeasibleQuotas("lower_minimum", category, value, suggested=after.min)
            if after.max > before.max:
                return InfeasibleQuotas("raise_maximum", category, value, suggested=after.max)
    return InfeasibleQuotas("no_panel_found", next(iter(quotas), None), None)


def draw_with_library(
    pool: Sequence[PoolRow],
    quotas: Quotas,
    size: int,
    seed: int,
    *,
    algorithm: str = DEFAULT_ALGORITHM,
) -> LibraryDraw:
    """Draw ``size`` pool ids within the quotas with the library; same seed, same panel.

    ``selected`` is in the order of the ids. Raises ``InfeasibleQuotas`` naming a quota (and
    the bound that would make it feasible, as the library suggests) when no panel fits,
    ``LibraryMissing`` when the library is not installed.
    """
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}")
    if not AVAILABLE:
        raise LibraryMissing(LIBRARY)
    try:
        from sortition_algorithms import errors
        from sortition_algorithms.committee_generation import (
            find_distribution_maximin,
            standardize_distribution,
        )
        from sortition_algorithms.core import find_random_sample, lottery_rounding
        from sortition_algorithms.features import FeatureValueMinMax
        from sortition_algorithms.people import People
    except ImportError as exc:
        raise LibraryMissing(LIBRARY) from exc
    _quiet_library()
    # Quotas describe the whole panel: a value they do not list cannot be drawn.
    ordered = [
        row
        for row in sorted(pool, key=lambda row: str(row[0]))
        if all(row[1].get(c) in values for c, values in quotas.items())
    ]
    check_quotas(ordered, quotas, size)
    # The legacy algorithm needs a category to draw from: without quotas, everyone shares one.
    used: Quotas = quotas or {"": {"": (size, size)}}
    categories, values = _codes(used)
    features: dict[str, Any] = {
        categories[c]: {
            values[(c, v)]: FeatureValueMinMax(min=low, max=high, max_flex=len(ordered))
            for v, (low, high) in bounds.items()
        }
        for c, bounds in used.items()
    }
    people = People([])
    for index, (_, strata) in enumerate(ordered):
        data = {categories[c]: values[(c, strata.get(c, ""))] for c in used}
        people.add(index, data, features, index)  # type: ignore[arg-type]  # see docstring
    probabilities: dict[Hashable, float] = {}
    panels = 0
    if algorithm == "maximin":
        probabilities = {key: 0.0 for key, _ in ordered}
    try:
        with _seeded(seed):
            if algorithm == "maximin":
                found, chances, _ = find_distribution_maximin(features, people, size, [])
                found, chances = standardize_distribution(found, chances)
                pairs = sorted(zip(found, chances, strict=True), key=lambda p: sorted(p[0]))
                panels = len(pairs)
                chosen = lottery_rounding([p for p, _ in pairs], [c for _, c in pairs], 1)[0]
                for panel, chance in pairs:
                    for person in panel:
                        key = ordered[int(person)][0]
                        probabilities[key] = probabilities.get(key, 0.0) + chance
            else:
                # The legacy algorithm does not prove infeasibility: ask the solver first.
                find_random_sample(features, people, size, [], test_selection=True)
                found, _ = find_random_sample(
                    features,
                    people,
                    size,
                    [],
                    selection_algorithm="legacy",
                    max_attempts=LEGACY_ATTEMPTS,
                )
                chosen = found[0]
    except errors.InfeasibleQuotasError as exc:
        raise _named(exc, features, quotas) from exc
    except (errors.SelectionError, errors.InfeasibleQuotasCantRelaxError) as exc:
        raise InfeasibleQuotas("no_panel_found", next(iter(quotas), None), None) from exc
    return LibraryDraw(
        selected=[ordered[int(index)][0] for index in sorted(chosen)],
        algorithm=algorithm,
        version=library_version(),
        probabilities={k: round(p, 6) for k, p in probabilities.items()},
        panels=panels,
    )
