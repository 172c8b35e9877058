"""Tallies for citizen councils: majority judgment, approval, Schulze and Borda, budgets.

Every function takes plain NumPy data and returns a frozen dataclass that carries what a
results page needs to explain the count. Options are numbered ``0..m-1`` in the order the
caller gives them; rankings are lists of tiers (each tier a list of option indices, best tier
first) so that ties are shown as ties instead of being broken silently.

Ballot encodings
----------------
* Grades (majority judgment): integer matrix ``(ballots, options)`` with grades
  ``0..n_grades-1`` (higher is better) and ``-1`` for "no grade given".
* Approvals: boolean matrix ``(ballots, options)``.
* Rankings: integer matrix ``(ballots, options)`` with rank ``1`` for the favourite, equal
  ranks for ties and ``0`` for unranked options (ranked below every ranked option).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cmp_to_key
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

# The French majority-judgment scale has seven grades, from "À rejeter" (0) to "Excellent"
# (6); the web app owns the names, this module only needs the count.
N_GRADES = 7

# Relative tolerance under which two floating-point quantities of the equal-shares count are
# treated as equal; exact arithmetic would be far slower and the tallies have integer inputs.
_REL_TOL = 1e-9

Ranking = list[list[int]]


# --------------------------------------------------------------------------- helpers


def _tiers(scores: NDArray[np.float64], *, higher_is_better: bool = True) -> Ranking:
    """Group option indices into tiers of equal score, best first."""
    order = np.argsort(-scores if higher_is_better else scores, kind="stable")
    tiers: Ranking = []
    previous: float | None = None
    for index in order.tolist():
        value = float(scores[index])
        if previous is not None and value == previous:
            tiers[-1].append(index)
        else:
            tiers.append([index])
        previous = value
    return tiers


def _as_matrix(ballots: ArrayLike, name: str) -> NDArray[Any]:
    matrix = np.asarray(ballots)
    if matrix.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (ballots x options), got {matrix.ndim}-D")
    return matrix


# --------------------------------------------------------------------- majority judgment


@dataclass(frozen=True)
class MajorityJudgmentResult:
    """Majority judgment count (Balinski & Laraki).

    ``profiles[i, g]`` is the number of grade ``g`` given to option ``i``. For each option the
    majority grade is the lower median grade (``None`` when nobody graded it); ``proponents`` and
    ``opponents`` are the shares of grades strictly above and strictly below it; ``gauges`` is
    ``+proponents`` when proponents outnumber opponents and ``-opponents`` otherwise.
    ``tie_broken`` lists pairs of options whose majority grade and gauge were equal and that
    were separated by removing median grades one at a time.
    """

    ranking: Ranking
    profiles: NDArray[np.int64]
    totals: NDArray[np.int64]
    majority_grades: list[int | None]
    proponents: list[float]
    opponents: list[float]
    gauges: list[float]
    tie_broken: list[tuple[int, int]]

    @property
    def winners(self) -> list[int]:
        """Options in the first tier."""
        return list(self.ranking[0]) if self.ranking else []


def merit_profiles(
    grades: ArrayLike, n_grades: int = N_GRADES, *, missing_as_lowest: bool = False
) -> NDArray[np.int64]:
    """Count each grade per option from a ``(ballots, options)`` grade matrix.

    ``-1`` means "not graded"; with ``missing_as_lowest`` it counts as the lowest grade, which is
    what Balinski & Laraki advise when every option must be judged by every voter.
    """
    matrix = _as_matrix(grades, "grades").astype(np.int64, copy=False)
    if matrix.size and (matrix.max() >= n_grades or matrix.min() < -1):
        raise ValueError(f"grades must lie in -1..{n_grades - 1}")
    if missing_as_lowest:
        matrix = np.where(matrix < 0, 0, matrix)
    n_options = matrix.shape[1]
    offsets = np.arange(n_options, dtype=np.int64) * n_grades
    flat = (matrix + offsets)[matrix >= 0]
    counts = np.bincount(flat, minlength=n_options * n_grades)
    return counts.reshape(n_options, n_grades)


def _lower_median(profile: NDArray[np.int64], total: int) -> int:
    # The lower middlemost grade: the highest grade that at least half the judges
    # (rounded up) award or exceed.
    cumulative = np.cumsum(profile)
    return int(np.searchsorted(cumulative, (total + 1) // 2))


def _removal_order(n: int) -> NDArray[np.int64]:
    """Positions, in the sorted grades, taken by successive removal of the lower median.

    Removing the lower median of what is left visits the sorted positions outwards from the
    middle, lower side first: ``h, h-1, h+1, ...`` for ``n = 2h+1`` and ``h-1, h, h-2, ...`` for
    ``n = 2h``.
    """
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    half = n // 2
    steps = np.arange(n)
    if n % 2:
        distance = (steps + 1) // 2
        sign = np.where(steps % 2 == 1, -1, 1)
        return np.asarray(half + sign * distance, dtype=np.int64)
    distance = steps // 2
    return np.where(steps % 2 == 0, half - 1 - distance, half + distance)


def majority_value(profile: ArrayLike) -> NDArray[np.int64]:
    """Balinski & Laraki's majority value: the medians met while removing medians one by one."""
    counts = np.asarray(profile, dtype=np.int64)
    sorted_grades = np.repeat(np.arange(counts.size), counts)
    return sorted_grades[_removal_order(sorted_grades.size)]


def majority_judgment(profiles: ArrayLike) -> MajorityJudgmentResult:
    """Rank options from their merit profiles ``(options, grades)`` by majority judgment.

    Order: majority grade, then the majority gauge; options whose grade and gauge are equal are
    compared by their majority values (iterated removal of median grades), which resolves every
    tie except identical profiles. Options nobody graded come last, tied.
    """
    counts = _as_matrix(profiles, "profiles").astype(np.int64)
    if counts.size and counts.min() < 0:
        raise ValueError("merit profiles must be non-negative counts")
    n_options, n_grades = counts.shape
    totals = counts.sum(axis=1)
    grades: list[int | None] = []
    proponents: list[float] = []
    opponents: list[float] = []
    gauges: list[float] = []
    for i in range(n_options):
        total = int(totals[i])
        if total == 0:
            grades.append(None)
            proponents.append(0.0)
            opponents.append(0.0)
            gauges.append(0.0)
            continue
        grade = _lower_median(counts[i], total)
        above = float(counts[i, grade + 1 :].sum()) / total
        below = float(counts[i, :grade].sum()) / total
        grades.append(grade)
        proponents.append(above)
        opponents.append(below)
        gauges.append(above if above > below else -below)

    tie_broken: list[tuple[int, int]] = []
    values: dict[int, NDArray[np.int64]] = {}

    def value_of(i: int) -> NDArray[np.int64]:
        if i not in values:
            values[i] = majority_value(counts[i])
        return values[i]

    def gauge_key(i: int) -> tuple[int, float]:
        grade = grades[i]
        return (-1 if grade is None else grade, gauges[i])

    def compare(i: int, j: int) -> int:
        # Negative when option i ranks above option j.
        key_i, key_j = gauge_key(i), gauge_key(j)
        if key_i != key_j:
            return -1 if key_i > key_j else 1
        if grades[i] is None:
            return 0
        vi, vj = value_of(i), value_of(j)
        length = min(vi.size, vj.size)
        differ = np.flatnonzero(vi[:length] != vj[:length])
        if differ.size == 0:
            return 0
        tie_broken.append((min(i, j), max(i, j)))
        return -1 if vi[differ[0]] > vj[differ[0]] else 1

    order = sorted(range(n_options), key=cmp_to_key(compare))
    ranking: Ranking = []
    for index in order:
        if ranking and compare(ranking[-1][0], index) == 0:
            ranking[-1].append(index)
        else:
            ranking.append([index])
    return MajorityJudgmentResult(
        ranking=ranking,
        profiles=counts,
        totals=totals,
        majority_grades=grades,
        proponents=proponents,
        opponents=opponents,
        gauges=gauges,
        tie_broken=sorted(set(tie_broken)),
    )


def majority_judgment_ballots(
    grades: ArrayLike, n_grades: int = N_GRADES, *, missing_as_lowest: bool = False
) -> MajorityJudgmentResult:
    """Majority judgment straight from a ``(ballots, options)`` grade matrix."""
    return majority_judgment(merit_profiles(grades, n_grades, missing_as_lowest=missing_as_lowest))


# ------------------------------------------------------------------------------ approval


@dataclass(frozen=True)
class ApprovalResult:
    """Approval count: per-option totals, shares of ballots cast, ranking with ties."""

    ranking: Ranking
    totals: NDArray[np.int64]
    shares: NDArray[np.float64]
    n_ballots: int

    @property
    def winners(self) -> list[int]:
        """Options in the first tier."""
        return list(self.ranking[0]) if self.ranking else []


def approval(approvals: ArrayLike) -> ApprovalResult:
    """Count approvals from a boolean ``(ballots, options)`` matrix."""
    matrix = _as_matrix(approvals, "approvals").astype(bool, copy=False)
    n_ballots = matrix.shape[0]
    totals = np.count_nonzero(matrix, axis=0).astype(np.int64)
    shares = totals / n_ballots if n_ballots else np.zeros(matrix.shape[1])
    return ApprovalResult(
        ranking=_tiers(totals.astype(np.float64)),
        totals=totals,
        shares=shares,
        n_ballots=n_ballots,
    )


# ------------------------------------------------------------------------ ranked ballots


def _unbeaten_layers(beats: NDArray[np.bool_]) -> Ranking:
    """Peel off, tier after tier, the options that no remaining option beats."""
    remaining = np.ones(beats.shape[0], dtype=bool)
    tiers: Ranking = []
    while remaining.any():
        beaten = (beats & remaining[:, None]).any(axis=0)
        layer = np.flatnonzero(remaining & ~beaten)
        if layer.size == 0:
            # Only reachable with a cyclic relation, which strongest paths never produce.
            layer = np.flatnonzero(remaining)
        tiers.append(layer.tolist())
        remaining[layer] = False
    return tiers


def _rank_keys(rankings: ArrayLike) -> NDArray[np.int64]:
    matrix = _as_matrix(rankings, "rankings").astype(np.int64)
    if matrix.size and matrix.min() < 0:
        raise ValueError("ranks must be >= 1, or 0 for an unranked option")
    # Unranked options sit below every ranked one and tie among themselves.
    return np.where(matrix == 0, matrix.shape[1] + 1, matrix)


def pairwise_matrix(rankings: ArrayLike) -> NDArray[np.int64]:
    """``d[i, j]``: number of ballots ranking option ``i`` strictly above option ``j``."""
    keys = _rank_keys(rankings)
    n_options = keys.shape[1]
    d = np.zeros((n_options, n_options), dtype=np.int64)
    for i in range(n_options):
        d[i] = np.count_nonzero(keys[:, i : i + 1] < keys, axis=0)
    return d


@dataclass(frozen=True)
class SchulzeResult:
    """Schulze count: ``pairwise[i, j]`` (d) and ``strongest_paths[i, j]`` (p).

    Option ``i`` beats ``j`` when ``p[i, j] > p[j, i]``. That relation is transitive but may
    leave pairs unordered, so the ranking is built in layers: the first tier holds the options
    nobody beats (the winners), the next those nobody else left beats, and so on.
    """

    ranking: Ranking
    pairwise: NDArray[np.int64]
    strongest_paths: NDArray[np.int64]
    strength: str
    n_ballots: int

    @property
    def winners(self) -> list[int]:
        """Options beaten by no other option."""
        return list(self.ranking[0]) if self.ranking else []


def strongest_paths(
    d: ArrayLike, strength: Literal["winning", "margin"] = "winning"
) -> NDArray[np.int64]:
    """Widest paths over the defeats of ``d`` (Floyd-Warshall, Schulze 2011).

    A link ``i -> j`` exists when ``d[i, j] > d[j, i]``; its strength is ``d[i, j]`` ("winning
    votes", Schulze's recommendation) or ``d[i, j] - d[j, i]`` ("margin").
    """
    d = np.asarray(d, dtype=np.int64)
    wins = d > d.T
    link = d if strength == "winning" else d - d.T
    p = np.where(wins, link, 0)
    np.fill_diagonal(p, 0)
    for k in range(p.shape[0]):
        through = np.minimum(p[:, k : k + 1], p[k : k + 1, :])
        p = np.maximum(p, through)
        np.fill_diagonal(p, 0)
    return p


def schulze(
    rankings: ArrayLike, strength: Literal["winning", "margin"] = "winning"
) -> SchulzeResult:
    """Schulze method on ranked ballots (partial rankings and ties allowed)."""
    if strength not in ("winning", "margin"):
        raise ValueError("strength must be 'winning' or 'margin'")
    matrix = _as_matrix(rankings, "rankings")
    d = pairwise_matrix(matrix)
    p = strongest_paths(d, strength)
    return SchulzeResult(
        ranking=_unbeaten_layers(p > p.T),
        pairwise=d,
        strongest_paths=p,
        strength=strength,
        n_ballots=matrix.shape[0],
    )


@dataclass(frozen=True)
class BordaResult:
    """Borda count. Each ballot gives an option one point per option it ranks below it and half
    a point per option tied with it (unranked options tie at the bottom), so a ballot always
    hands out ``m(m-1)/2`` points and full rankings get the classic ``m - rank`` points."""

    ranking: Ranking
    scores: NDArray[np.float64]
    n_ballots: int

    @property
    def winners(self) -> list[int]:
        """Options with the highest score."""
        return list(self.ranking[0]) if self.ranking else []


def borda(rankings: ArrayLike) -> BordaResult:
    """Borda scores from ranked ballots; ties and unranked options share points equally."""
    keys = _rank_keys(rankings)
    n_ballots, n_options = keys.shape
    scores = np.zeros(n_options, dtype=np.float64)
    for i in range(n_options):
        column = keys[:, i : i + 1]
        below = np.count_nonzero(column < keys)
        tied = np.count_nonzero(column == keys) - n_ballots
        scores[i] = below + 0.5 * tied
    return BordaResult(ranking=_tiers(scores), scores=scores, n_ballots=n_ballots)


# ------------------------------------------------------------------ participatory budget


@dataclass(frozen=True)
class BudgetRound:
    """One funded option: ``phase`` is ``"equal_shares"`` or ``"greedy"``.

    For equal shares, ``max_payment`` is the most any supporter paid (supporters with less
    money left paid all of it) and ``price_per_utility`` is the ratio the method minimises.
    """

    option: int
    cost: float
    supporters: int
    phase: str
    max_payment: float
    price_per_utility: float
    remaining_budget: float


@dataclass(frozen=True)
class BudgetResult:
    """Funded options, in the order they were funded, with the rounds that explain why."""

    method: str
    funded: list[int]
    total_cost: float
    budget: float
    approvals: NDArray[np.int64]
    rounds: list[BudgetRound]
    voter_budget: float
    utility: str
    completion: str

    @property
    def unfunded(self) -> list[int]:
        """Options not funded, in index order."""
        chosen = set(self.funded)
        return [i for i in range(self.approvals.size) if i not in chosen]


def ballot_cost(approved: ArrayLike, costs: ArrayLike) -> float:
    """Total cost of the options on one approval ballot (a boolean mask or index list)."""
    cost_array = np.asarray(costs, dtype=np.float64)
    selection = np.asarray(approved)
    if selection.dtype == bool:
        if selection.shape != cost_array.shape:
            raise ValueError("approval mask and costs must have the same length")
        return float(cost_array[selection].sum())
    return float(cost_array[np.unique(selection.astype(np.int64))].sum())


def _check_budget_inputs(
    costs: ArrayLike, budget: float, approvals: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    cost_array = np.asarray(costs, dtype=np.float64)
    matrix = _as_matrix(approvals, "approvals").astype(bool, copy=False)
    if cost_array.ndim != 1 or cost_array.size != matrix.shape[1]:
        raise ValueError("costs must have one entry per option")
    if cost_array.size and cost_array.min() <= 0:
        raise ValueError("costs must be positive")
    if budget < 0:
        raise ValueError("budget must be non-negative")
    return cost_array, matrix


def _greedy_fill(
    costs: NDArray[np.float64],
    totals: NDArray[np.int64],
    budget: float,
    funded: list[int],
    rounds: list[BudgetRound],
    utilities: NDArray[np.float64],
) -> None:
    """Add every option that still fits, by decreasing total utility per unit of cost.

    With cost utilities that is decreasing approval count; ties go to the lower index.
    """
    spent = float(costs[funded].sum()) if funded else 0.0
    chosen = set(funded)
    density = totals * utilities / costs
    for option in np.lexsort((np.arange(costs.size), -density)).tolist():
        if option in chosen or totals[option] == 0:
            continue
        if spent + costs[option] <= budget * (1 + _REL_TOL):
            spent += float(costs[option])
            funded.append(option)
            chosen.add(option)
            rounds.append(
                BudgetRound(
                    option=option,
                    cost=float(costs[option]),
                    supporters=int(totals[option]),
                    phase="greedy",
                    max_payment=0.0,
                    price_per_utility=0.0,
                    remaining_budget=budget - spent,
                )
            )


def greedy_budget(costs: ArrayLike, budget: float, approvals: ArrayLike) -> BudgetResult:
    """Fund options by decreasing approval count, skipping those that no longer fit.

    Options nobody approved are never funded. Ties go to the lower option index.
    """
    cost_array, matrix = _check_budget_inputs(costs, budget, approvals)
    totals = np.count_nonzero(matrix, axis=0).astype(np.int64)
    funded: list[int] = []
    rounds: list[BudgetRound] = []
    _greedy_fill(cost_array, totals, budget, funded, rounds, cost_array)
    return BudgetResult(
        method="greedy",
        funded=funded,
        total_cost=float(cost_array[funded].sum()) if funded else 0.0,
        budget=float(budget),
        approvals=totals,
        rounds=rounds,
        voter_budget=0.0,
        utility="approval",
        completion="none",
    )


def _equal_shares_pass(
    costs: NDArray[np.float64],
    matrix: NDArray[np.bool_],
    per_voter: float,
    utilities: NDArray[np.float64],
    budget: float,
) -> tuple[list[int], list[BudgetRound]]:
    """One run of the Method of Equal Shares with every voter starting at ``per_voter``."""
    n_voters, n_options = matrix.shape
    money = np.full(n_voters, per_voter, dtype=np.float64)
    supporters = np.count_nonzero(matrix, axis=0)
    available = supporters > 0
    funded: list[int] = []
    rounds: list[BudgetRound] = []
    approvals_int = matrix.astype(np.int32)
    spent = 0.0
    while available.any():
        # Voters holding the same amount behave alike, so the water-filling for every option
        # runs over the (few) distinct amounts rather than over all voters.
        order = np.argsort(money, kind="stable")
        sorted_money = money[order]
        starts = np.flatnonzero(np.r_[True, np.diff(sorted_money) > 0])
        levels = sorted_money[starts]
        counts = np.add.reduceat(approvals_int[order], starts, axis=0).astype(np.float64)
        held = np.cumsum(counts * levels[:, None], axis=0)
        held_below = held - counts * levels[:, None]
        at_or_above = counts[::-1].cumsum(axis=0)[::-1]
        affordable_at = held_below + levels[:, None] * at_or_above
        total_money = held[-1]
        tolerance = costs * _REL_TOL
        available &= total_money >= costs - tolerance
        if not available.any():
            break
        reaches = affordable_at >= (costs - tolerance)[None, :]
        level = np.argmax(reaches, axis=0)
        columns = np.arange(n_options)
        payers = at_or_above[level, columns]
        with np.errstate(divide="ignore", invalid="ignore"):
            cap = (costs - held_below[level, columns]) / payers
        cap = np.minimum(np.where(payers > 0, cap, levels[level]), levels[level])
        rho = np.where(available, cap / utilities, np.inf)
        best = float(rho.min())
        option = int(np.flatnonzero(rho <= best * (1 + _REL_TOL))[0])
        payment = float(cap[option])
        voters = matrix[:, option]
        money[voters] -= np.minimum(money[voters], payment)
        spent += float(costs[option])
        available[option] = False
        funded.append(option)
        rounds.append(
            BudgetRound(
                option=option,
                cost=float(costs[option]),
                supporters=int(supporters[option]),
                phase="equal_shares",
                max_payment=payment,
                price_per_utility=best,
                remaining_budget=budget - spent,
            )
        )
    return funded, rounds


def equal_shares(
    costs: ArrayLike,
    budget: float,
    approvals: ArrayLike,
    *,
    utility: Literal["cost", "approval"] = "cost",
    completion: Literal["greedy", "none"] = "greedy",
    voter_budget_increment: float | None = None,
) -> BudgetResult:
    """Method of Equal Shares on approval ballots (Peters & Skowron; equalshares.net).

    Each voter starts with ``budget / n_voters``. In each round the option that its supporters
    can pay for at the lowest price per unit of utility is funded, supporters splitting the cost
    equally (those with too little left pay all they have). With ``utility="cost"`` (default, as
    recommended by equalshares.net and pabutools' ``Cost_Sat``) a voter's utility for an
    approved option is its cost; with ``"approval"`` it is 1 (pabutools' ``Cardinality_Sat``).

    MES alone may leave money unspent. ``voter_budget_increment`` enables the "Add1" completion
    (pabutools' ``voter_budget_increment``): rerun with each voter's money raised by that amount
    until the outcome uses the budget exhaustively, keeping the last outcome within budget. Then
    ``completion="greedy"`` adds options by total utility per unit of cost (approval count for
    cost utilities) as long as they fit, as pabutools' ``completion_by_rule_combination`` with
    ``greedy_utilitarian_welfare`` and the same satisfaction class.
    Ties are broken towards the lower option index.
    """
    if utility not in ("cost", "approval"):
        raise ValueError("utility must be 'cost' or 'approval'")
    if completion not in ("greedy", "none"):
        raise ValueError("completion must be 'greedy' or 'none'")
    cost_array, matrix = _check_budget_inputs(costs, budget, approvals)
    totals = np.count_nonzero(matrix, axis=0).astype(np.int64)
    n_voters = matrix.shape[0]
    utilities = cost_array if utility == "cost" else np.ones_like(cost_array)
    per_voter = budget / n_voters if n_voters else 0.0
    funded: list[int] = []
    rounds: list[BudgetRound] = []
    if n_voters:
        funded, rounds = _equal_shares_pass(cost_array, matrix, per_voter, utilities, budget)
        if voter_budget_increment is not None:
            if voter_budget_increment <= 0:
                raise ValueError("voter_budget_increment must be positive")
            supported = np.flatnonzero(totals > 0)
            while not _is_exhaustive(cost_array, budget, funded, supported):
                trial = per_voter + voter_budget_increment
                outcome = _equal_shares_pass(cost_array, matrix, trial, utilities, budget)
                if cost_array[outcome[0]].sum() > budget * (1 + _REL_TOL):
                    break
                per_voter = trial
                funded, rounds = outcome
    if completion == "greedy":
        _greedy_fill(cost_array, totals, budget, funded, rounds, utilities)
    return BudgetResult(
        method="equal_shares",
        funded=funded,
        total_cost=float(cost_array[funded].sum()) if funded else 0.0,
        budget=float(budget),
        approvals=totals,
        rounds=rounds,
        voter_budget=per_voter,
        utility=utility,
        completion=completion
        if voter_budget_increment is None
        else f"add_{voter_budget_increment:g}+{completion}",
    )


def _is_exhaustive(
    costs: NDArray[np.float64], budget: float, funded: list[int], candidates: NDArray[np.int64]
) -> bool:
    spent = float(costs[funded].sum()) if funded else 0.0
    chosen = set(funded)
    return not any(
        spent + costs[c] <= budget * (1 + _REL_TOL) for c in candidates.tolist() if c not in chosen
    )
