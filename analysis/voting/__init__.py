"""Voting methods of citizen councils: the tallies, and one object per method.

``tallies`` holds the counts on plain NumPy data (majority judgment, approval, Schulze and
Borda, greedy and equal-shares budgets); ``base`` says what a voting method is; each other
module is one method. ``METHODS`` is the registry the app asks by name.
"""

from analysis.voting.approval import Approval
from analysis.voting.base import Registry, VotingMethod
from analysis.voting.budget import Budget
from analysis.voting.majority_judgment import MajorityJudgment
from analysis.voting.ranked import Ranked
from analysis.voting.statements import Statements
from analysis.voting.tallies import (
    N_GRADES,
    ApprovalResult,
    BordaResult,
    BudgetResult,
    BudgetRound,
    MajorityJudgmentResult,
    Ranking,
    SchulzeResult,
    approval,
    ballot_cost,
    borda,
    equal_shares,
    greedy_budget,
    majority_judgment,
    majority_judgment_ballots,
    majority_value,
    merit_profiles,
    pairwise_matrix,
    schulze,
    strongest_paths,
)

# In the order the staff form offers them.
METHODS = Registry(MajorityJudgment(), Approval(), Ranked(), Budget(), Statements())

__all__ = [
    "METHODS",
    "N_GRADES",
    "ApprovalResult",
    "BordaResult",
    "BudgetResult",
    "BudgetRound",
    "MajorityJudgmentResult",
    "Ranking",
    "Registry",
    "SchulzeResult",
    "VotingMethod",
    "approval",
    "ballot_cost",
    "borda",
    "equal_shares",
    "greedy_budget",
    "majority_judgment",
    "majority_judgment_ballots",
    "majority_value",
    "merit_profiles",
    "pairwise_matrix",
    "schulze",
    "strongest_paths",
]
