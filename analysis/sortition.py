"""Stratified sortition: draw a panel from a pool of volunteers under quotas.

Parlons's own draw, used when the ``sortition-algorithms`` library is not installed (see
``analysis.sortition_lib``) and kept so that the draws made with it can still be checked.
The algorithm is deliberately simple so that anyone can check it:

1. Each attempt uses its own random generator, seeded from the staff's seed and the attempt
   number, so a draw is reproducible from its seed alone.
2. While the panel is not full, take the category value that is furthest below its minimum
   (ties broken at random) and draw uniformly among the pool members who have that value and
   fit every maximum; once every minimum is met, draw uniformly among all who fit.
3. An attempt that gets stuck (nobody fits) is abandoned and the next sub-seed is tried.

A pool member whose value for a stratified category is not listed in the quotas cannot be
selected: quotas describe the whole panel. Checks that need no drawing (pool too small, a
minimum above the pool's count, minimums above the panel size, maximums below it) fail at once.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

Quotas = Mapping[str, Mapping[str, tuple[int, int]]]
PoolRow = tuple[Hashable, Mapping[str, str]]

DEFAULT_ATTEMPTS = 200


class InfeasibleQuotas(ValueError):
    """The pool cannot give a panel within the quotas.

    ``category`` and ``value`` name the quota that could not be met (``None`` when the pool
    as a whole is too small for the panel); ``suggested`` is the bound that would make it
    feasible, when the algorithm can tell.
    """

    def __init__(
        self,
        reason: str,
        category: str | None = None,
        value: str | None = None,
        *,
        suggested: int | None = None,
    ):
        super().__init__(f"{reason}: {category}={value}" if category else reason)
        self.reason = reason
        self.category = category
        self.value = value
        self.suggested = suggested


@dataclass(frozen=True)
class _Failure:
    category: str | None
    value: str | None


def proportional_quotas(
    counts: Mapping[str, Mapping[str, int]], pool_size: int, panel_size: int
) -> dict[str, dict[str, tuple[int, int]]]:
    """Quotas of one around each value's proportional share of the panel.

    ``counts`` gives, per category, how many pool members have each value.
    """
    quotas: dict[str, dict[str, tuple[int, int]]] = {}
    for category, values in counts.items():
        quotas[category] = {}
        for value, count in values.items():
            share = round(count * panel_size / pool_size) if pool_size else 0
            quotas[category][value] = (max(0, share - 1), min(count, share + 1))
    return quotas


def check_quotas(pool: Sequence[PoolRow], quotas: Quotas, size: int) -> None:
    """Refuse at once what no draw could meet: the pool's size and counts against the quotas."""
    if size < 1 or size > len(pool):
        raise InfeasibleQuotas("pool_too_small")
    for category, values in quotas.items():
        present = Counter(strata.get(category) for _, strata in pool)
        for value, (low, high) in values.items():
            if low > high:
                raise InfeasibleQuotas("min_above_max", category, value)
            if present[value] < low:
                raise InfeasibleQuotas("not_enough_in_pool", category, value)
        if sum(low for low, _ in values.values()) > size:
            raise InfeasibleQuotas("minimums_above_size", category, None)
        reachable = sum(min(high, present[v]) for v, (_, high) in values.items())
        if reachable < size:
            raise InfeasibleQuotas("maximums_below_size", category, None)


def _attempt(
    pool: Sequence[PoolRow], quotas: Quotas, size: int, rng: random.Random
) -> list[Hashable] | _Failure:
    counts: dict[str, Counter[str]] = {c: Counter() for c in quotas}
    remaining = list(range(len(pool)))
    chosen: list[Hashable] = []

    def fits(index: int) -> bool:
        strata = pool[index][1]
        for category, values in quotas.items():
            value = strata.get(category)
            if value is None or value not in values or counts[category][value] >= values[value][1]:
                return False
        return True

    while len(chosen) < size:
        candidates = [i for i in remaining if fits(i)]
        deficits = [
            (low - counts[c][v], c, v)
            for c, values in quotas.items()
            for v, (low, _) in values.items()
            if counts[c][v] < low
        ]
        if deficits:
            worst = max(d for d, _, _ in deficits)
            _, category, value = rng.choice([d for d in deficits if d[0] == worst])
            candidates = [i for i in candidates if pool[i][1].get(category) == value]
            if not candidates:
                return _Failure(category, value)
        elif not candidates:
            return _Failure(None, None)
        pick = rng.choice(candidates)
        remaining.remove(pick)
        chosen.append(pool[pick][0])
        for category in quotas:
            counts[category][pool[pick][1][category]] += 1
        # Stop early when the seats left cannot cover what some category still lacks.
        seats = size - len(chosen)
        for category, values in quotas.items():
            lacking = [(low - counts[category][v], v) for v, (low, _) in values.items()]
            if sum(n for n, _ in lacking if n > 0) > seats:
                return _Failure(category, max(lacking)[1])
    return chosen


def draw_panel(
    pool: Sequence[PoolRow],
    quotas: Quotas,
    size: int,
    seed: int,
    *,
    attempts: int = DEFAULT_ATTEMPTS,
) -> list[Hashable]:
    """Draw ``size`` pool ids within the quotas, in draw order; same seed, same panel.

    Raises ``InfeasibleQuotas`` naming the quota most often in the way when no attempt works.
    """
    # Sort first: the panel must not depend on the order the database returned the pool in.
    ordered = sorted(pool, key=lambda row: str(row[0]))
    check_quotas(ordered, quotas, size)
    failures: Counter[_Failure] = Counter()
    for attempt in range(attempts):
        result = _attempt(ordered, quotas, size, random.Random(f"{seed}/{attempt}"))
        if isinstance(result, list):
            return result
        failures[result] += 1
    worst = failures.most_common(1)[0][0]
    raise InfeasibleQuotas("no_panel_found", worst.category, worst.value)
