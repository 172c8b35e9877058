"""Tally speed on 100,000 random ballots x 20 options, and a check of equal shares against
pabutools.

The last line printed is one JSON object with the seconds per method (best of a few runs).
Equal shares (cost utilities, greedy completion) is compared with pabutools on the same
100,000-ballot instance (pabutools needs about half a minute there; ``--no-full-check`` skips
it) and on a few smaller random instances.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable

import numpy as np

from analysis import voting


def _timed(function: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return round(best, 4)


def _matches_pabutools(costs: np.ndarray, budget: int, ballots: np.ndarray) -> bool | None:
    """Same funded set as pabutools' MES (Cost_Sat) completed by its utilitarian greedy?"""
    try:
        from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance, Project
        from pabutools.rules import (
            completion_by_rule_combination,
            greedy_utilitarian_welfare,
            method_of_equal_shares,
        )
    except ImportError:
        return None
    projects = [Project(f"p{i:03d}", int(c)) for i, c in enumerate(costs)]
    profile = ApprovalProfile(
        [ApprovalBallot([projects[j] for j in np.flatnonzero(row)]) for row in ballots]
    )
    reference = completion_by_rule_combination(
        Instance(projects, budget_limit=int(budget)),
        profile,
        [method_of_equal_shares, greedy_utilitarian_welfare],
        [{"sat_class": Cost_Sat}, {"sat_class": Cost_Sat}],
    )
    # pabutools' greedy also funds options nobody approved; ours never does.
    expected = sorted(i for i in (int(p.name[1:]) for p in reference) if ballots[:, i].any())
    return sorted(voting.equal_shares(costs, budget, ballots).funded) == expected


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--options", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    parser.add_argument(
        "--small-checks", type=int, default=5, help="extra 1,000-voter instances for pabutools"
    )
    parser.add_argument(
        "--no-full-check", action="store_true", help="skip pabutools on the full instance (~30 s)"
    )
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    n, m = args.ballots, args.options
    grades = rng.integers(0, voting.N_GRADES, (n, m))
    approvals = rng.random((n, m)) < rng.uniform(0.05, 0.5, m)
    # Partial rankings: each ballot ranks a random number of options, the rest unranked.
    order = np.argsort(rng.random((n, m)), axis=1)
    rankings = np.argsort(order, axis=1) + 1
    rankings[rankings > rng.integers(1, m + 1, n)[:, None]] = 0
    costs = rng.integers(10, 100, m) * 1_000
    budget = int(costs.sum() // 3)

    seconds = {
        "majority_judgment": _timed(lambda: voting.majority_judgment_ballots(grades), args.repeats),
        "approval": _timed(lambda: voting.approval(approvals), args.repeats),
        "schulze": _timed(lambda: voting.schulze(rankings), args.repeats),
        "borda": _timed(lambda: voting.borda(rankings), args.repeats),
        "equal_shares": _timed(lambda: voting.equal_shares(costs, budget, approvals), args.repeats),
        "greedy": _timed(lambda: voting.greedy_budget(costs, budget, approvals), args.repeats),
    }
    checks: list[bool | None] = []
    if not args.no_full_check:
        checks.append(_matches_pabutools(costs, budget, approvals))
    for _ in range(args.small_checks):
        small_costs = rng.integers(10, 100, m) * 100
        small = rng.random((1_000, m)) < rng.uniform(0.05, 0.4, m)
        checks.append(_matches_pabutools(small_costs, int(small_costs.sum() // 3), small))
    agrees = None if None in checks or not checks else all(checks)
    result = {
        "ballots": n,
        "options": m,
        "seconds": seconds,
        "all_within_1s": all(value <= 1.0 for value in seconds.values()),
        "equal_shares_variant": "cost utilities + greedy completion (pabutools Cost_Sat)",
        "equal_shares_matches_pabutools": agrees,
        "pabutools_check": {
            "full_instance": not args.no_full_check,
            "small_instances": args.small_checks,
            "small_instance_size": [1_000, m],
        },
        "timing": f"best of {args.repeats} runs",
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
