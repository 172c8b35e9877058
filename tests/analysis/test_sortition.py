"""Stratified sortition: quotas held, reproducible, infeasible quotas named, fair chances."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.sortition import InfeasibleQuotas, draw_panel, proportional_quotas

AREAS = ("centre", "bissy", "biollay")
AGES = ("18-29", "30-44", "60-74")


def make_pool(n: int, seed: int) -> list[tuple[int, dict[str, str]]]:
    rng = random.Random(seed)
    return [(i, {"area": rng.choice(AREAS), "age": rng.choice(AGES)}) for i in range(n)]


def counts_of(pool, categories=("area", "age")) -> dict[str, dict[str, int]]:
    return {c: dict(Counter(strata[c] for _, strata in pool)) for c in categories}


def panel_counts(pool, ids, category: str) -> Counter[str]:
    strata = dict(pool)
    return Counter(strata[i][category] for i in ids)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(20, 80), size=st.integers(3, 15), seed=st.integers(0, 10**6))
def test_draw_panel_respects_proportional_quotas(n: int, size: int, seed: int) -> None:
    pool = make_pool(n, seed)
    quotas = proportional_quotas(counts_of(pool), n, size)
    ids = draw_panel(pool, quotas, size, seed)
    assert len(ids) == size
    assert len(set(ids)) == size
    for category, values in quotas.items():
        got = panel_counts(pool, ids, category)
        for value, (low, high) in values.items():
            assert low <= got[value] <= high, (category, value, got)


def test_draw_panel_same_seed_same_panel_whatever_the_pool_order() -> None:
    pool = make_pool(60, 1)
    quotas = proportional_quotas(counts_of(pool), 60, 10)
    first = draw_panel(pool, quotas, 10, 42)
    assert draw_panel(list(reversed(pool)), quotas, 10, 42) == first
    assert draw_panel(pool, quotas, 10, 43) != first


def test_draw_panel_exact_quotas_are_met() -> None:
    pool = make_pool(50, 7)
    quotas = {"area": {"centre": (2, 2), "bissy": (2, 2), "biollay": (2, 2)}}
    ids = draw_panel(pool, quotas, 6, 3)
    assert panel_counts(pool, ids, "area") == Counter({"centre": 2, "bissy": 2, "biollay": 2})


def test_draw_panel_minimum_above_pool_count_names_the_value() -> None:
    pool = [(i, {"area": "centre"}) for i in range(5)] + [(9, {"area": "bissy"})]
    quotas = {"area": {"centre": (0, 5), "bissy": (2, 3)}}
    with pytest.raises(InfeasibleQuotas) as caught:
        draw_panel(pool, quotas, 4, 1)
    assert (caught.value.category, caught.value.value) == ("area", "bissy")
    assert caught.value.reason == "not_enough_in_pool"


def test_draw_panel_pool_smaller_than_panel_is_refused() -> None:
    with pytest.raises(InfeasibleQuotas) as caught:
        draw_panel(make_pool(3, 0), {}, 4, 1)
    assert caught.value.reason == "pool_too_small"
    assert caught.value.category is None


def test_draw_panel_maximums_below_size_name_the_category() -> None:
    pool = make_pool(30, 2)
    quotas = {"area": {"centre": (0, 1), "bissy": (0, 1), "biollay": (0, 1)}}
    with pytest.raises(InfeasibleQuotas) as caught:
        draw_panel(pool, quotas, 5, 1)
    assert caught.value.category == "area"
    assert caught.value.reason == "maximums_below_size"


def test_draw_panel_crossed_quotas_that_cannot_combine_are_reported() -> None:
    # Every "centre" volunteer is young; the quotas want two centre and no young.
    pool = [(i, {"area": "centre", "age": "18-29"}) for i in range(3)]
    pool += [(10 + i, {"area": "bissy", "age": "60-74"}) for i in range(5)]
    quotas = {
        "area": {"centre": (2, 3), "bissy": (0, 5)},
        "age": {"18-29": (0, 0), "60-74": (0, 5)},
    }
    with pytest.raises(InfeasibleQuotas) as caught:
        draw_panel(pool, quotas, 4, 1, attempts=20)
    assert (caught.value.category, caught.value.value) == ("area", "centre")


def test_draw_panel_every_member_has_a_chance() -> None:
    pool = make_pool(12, 5)
    quotas = proportional_quotas(counts_of(pool), 12, 4)
    selected: Counter[int] = Counter()
    for seed in range(400):
        selected.update(draw_panel(pool, quotas, 4, seed))
    assert set(selected) == {i for i, _ in pool}


def test_proportional_quotas_stay_within_one_of_the_share() -> None:
    quotas = proportional_quotas({"area": {"centre": 50, "bissy": 30, "biollay": 20}}, 100, 10)
    assert quotas == {"area": {"centre": (4, 6), "bissy": (2, 4), "biollay": (1, 3)}}
