"""Draws with the sortition-algorithms library: quotas held, reproducible, infeasibility named."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from analysis import sortition_lib
from analysis.sortition import InfeasibleQuotas, proportional_quotas
from analysis.sortition_lib import LibraryMissing, draw_with_library

ROOT = Path(__file__).resolve().parents[2]
CATEGORIES = {
    "area": ("centre", "bissy", "biollay", "joppet"),
    "age": ("18-29", "30-44", "45-59", "60-74"),
    "gender": ("f", "m", "x"),
}


def make_pool(n: int, seed: int) -> list[tuple[str, dict[str, str]]]:
    rng = random.Random(seed)
    return [
        (f"r{i}", {c: rng.choice(values) for c, values in CATEGORIES.items()}) for i in range(n)
    ]


def quotas_for(pool, size: int) -> dict[str, dict[str, tuple[int, int]]]:
    counts = {c: dict(Counter(strata[c] for _, strata in pool)) for c in CATEGORIES}
    return proportional_quotas(counts, len(pool), size)


def assert_within(pool, ids, quotas) -> None:
    strata = dict(pool)
    for category, values in quotas.items():
        got = Counter(strata[i][category] for i in ids)
        for value, (low, high) in values.items():
            assert low <= got[value] <= high, (category, value, got)


@pytest.mark.parametrize("algorithm", ["maximin", "legacy"])
def test_draw_with_library_respects_the_quotas(algorithm: str) -> None:
    pool = make_pool(24, 3)
    quotas = quotas_for(pool, 8)
    draw = draw_with_library(pool, quotas, 8, 11, algorithm=algorithm)
    assert len(draw.selected) == len(set(draw.selected)) == 8
    assert set(draw.selected) <= {i for i, _ in pool}
    assert_within(pool, draw.selected, quotas)
    assert draw.algorithm == algorithm
    assert draw.version.startswith("0.12.")


@pytest.mark.parametrize("algorithm", ["maximin", "legacy"])
def test_draw_with_library_same_seed_same_panel_whatever_the_pool_order(algorithm: str) -> None:
    pool = make_pool(16, 4)
    quotas = quotas_for(pool, 6)
    first = draw_with_library(pool, quotas, 6, 42, algorithm=algorithm).selected
    again = draw_with_library(list(reversed(pool)), quotas, 6, 42, algorithm=algorithm)
    assert again.selected == first
    others = {
        tuple(draw_with_library(pool, quotas, 6, s, algorithm=algorithm).selected)
        for s in (1, 2, 3)
    }
    assert others != {tuple(first)}


def test_draw_with_library_same_panel_in_processes_with_other_string_hashing() -> None:
    # The library keeps panels in sets: with text ids their order, hence the panel, would
    # follow each process's string hashing (this pool and these two hash seeds showed it).
    script = (
        "import json, sys\n"
        "from analysis.sortition_lib import draw_with_library\n"
        "pool, quotas = json.load(sys.stdin)\n"
        "quotas = {c: {v: tuple(b) for v, b in q.items()} for c, q in quotas.items()}\n"
        "print(json.dumps(draw_with_library([tuple(r) for r in pool], quotas, 12, 42).selected))\n"
    )
    rng = random.Random(5)
    values = {"area": "abcd", "age": "ABCDE", "gender": "fm"}
    pool = [(f"r{i}", {c: rng.choice(v) for c, v in values.items()}) for i in range(40)]
    counts = {c: dict(Counter(strata[c] for _, strata in pool)) for c in values}
    quotas = proportional_quotas(counts, len(pool), 12)
    panels = []
    for hash_seed in ("1", "3"):
        done = subprocess.run(
            [sys.executable, "-c", script],
            input=json.dumps([pool, quotas]),
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            check=True,
        )
        panels.append(json.loads(done.stdout.strip().splitlines()[-1]))
    assert panels[0] == panels[1]


def test_draw_with_library_maximin_reports_each_volunteers_chance() -> None:
    pool = make_pool(24, 5)
    quotas = quotas_for(pool, 6)
    draw = draw_with_library(pool, quotas, 6, 9)
    assert draw.probabilities.keys() == {i for i, _ in pool}
    assert sum(draw.probabilities.values()) == pytest.approx(6, abs=1e-3)
    assert min(draw.probabilities.values()) > 0
    assert draw.panels >= 2


def test_draw_with_library_seed_zero_is_a_seed_like_any_other() -> None:
    pool = make_pool(30, 6)
    quotas = quotas_for(pool, 6)
    first = draw_with_library(pool, quotas, 6, 0, algorithm="legacy").selected
    assert draw_with_library(pool, quotas, 6, 0, algorithm="legacy").selected == first


def test_draw_with_library_values_differing_in_case_or_empty_stay_apart() -> None:
    pool = [(f"a{i}", {"area": "Centre"}) for i in range(4)]
    pool += [(f"b{i}", {"area": "centre"}) for i in range(4)]
    pool += [(f"c{i}", {"area": ""}) for i in range(4)]
    quotas = {"area": {"Centre": (2, 2), "centre": (1, 1), "": (1, 1)}}
    draw = draw_with_library(pool, quotas, 4, 5)
    strata = dict(pool)
    assert Counter(strata[i]["area"] for i in draw.selected) == {"Centre": 2, "centre": 1, "": 1}


def test_draw_with_library_crossed_quotas_name_a_quota_and_its_feasible_bound() -> None:
    # Every "centre" volunteer is young; the quotas want two from the centre and no young.
    pool = [(f"c{i}", {"area": "centre", "age": "18-29"}) for i in range(3)]
    pool += [(f"b{i}", {"area": "bissy", "age": "60-74"}) for i in range(5)]
    quotas = {
        "area": {"centre": (2, 3), "bissy": (0, 5)},
        "age": {"18-29": (0, 0), "60-74": (0, 5)},
    }
    for algorithm in ("maximin", "legacy"):
        with pytest.raises(InfeasibleQuotas) as caught:
            draw_with_library(pool, quotas, 4, 1, algorithm=algorithm)
        found = caught.value
        # Raising one maximum by two costs less than lowering a minimum of two.
        assert (found.reason, found.category, found.value) == ("raise_maximum", "age", "18-29")
        assert found.suggested == 2


def test_draw_with_library_pool_checks_fail_before_any_solving() -> None:
    with pytest.raises(InfeasibleQuotas) as caught:
        draw_with_library(make_pool(3, 0), {}, 4, 1)
    assert caught.value.reason == "pool_too_small"
    pool = [(i, {"area": "centre"}) for i in range(5)] + [(9, {"area": "bissy"})]
    with pytest.raises(InfeasibleQuotas) as caught:
        draw_with_library(pool, {"area": {"centre": (0, 5), "bissy": (2, 3)}}, 4, 1)
    assert (caught.value.reason, caught.value.value) == ("not_enough_in_pool", "bissy")


def test_draw_with_library_leaves_pythons_shared_generator_as_it_was() -> None:
    pool = make_pool(12, 1)
    random.seed(77)
    expected = random.random()
    random.seed(77)
    draw_with_library(pool, quotas_for(pool, 5), 5, 3)
    assert random.random() == expected


def test_draw_with_library_refuses_when_missing_or_unknown(monkeypatch) -> None:
    pool = make_pool(10, 2)
    with pytest.raises(ValueError):
        draw_with_library(pool, {}, 3, 1, algorithm="leximin")
    monkeypatch.setattr(sortition_lib, "AVAILABLE", False)
    with pytest.raises(LibraryMissing):
        draw_with_library(pool, {}, 3, 1)


@pytest.mark.parametrize("algorithm", ["maximin", "legacy"])
def test_draw_with_library_without_quotas_draws_among_everyone(algorithm: str) -> None:
    pool = make_pool(10, 7)
    draw = draw_with_library(pool, {}, 4, 3, algorithm=algorithm)
    assert len(set(draw.selected)) == 4
    assert draw_with_library(pool, {}, 4, 3, algorithm=algorithm).selected == draw.selected


def test_draw_with_library_prints_no_progress_lines(capfd: pytest.CaptureFixture[str]) -> None:
    pool = make_pool(24, 5)
    draw_with_library(pool, quotas_for(pool, 8), 8, 3, algorithm="maximin")
    printed = capfd.readouterr().out
    assert "Trial number" not in printed
    assert "Using maximin" not in printed
    assert "committees" not in printed
