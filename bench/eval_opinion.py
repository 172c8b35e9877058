"""Opinion groups on real Pol.is conversations: held-out vote prediction and agreement with
Pol.is's own groups.

For each conversation, 10% of the votes are hidden (fixed seed) and groups are found from the
rest. Each hidden vote is then predicted by one rule, applied in the same way to every set of
groups compared:

* the voter's group tallies the *visible* votes of its members on that statement, agree,
  disagree and pass (``0``) each counting as one vote for its own option;
* the prediction is the option with the most votes, ties going to agree, then disagree, then
  pass (so a pass is predicted only when it strictly outnumbers both opinions);
* when the voter has no group, or nobody in the group cast a visible vote on the statement,
  the prediction is the statement's majority among every visible vote (same tie order;
  agree when nobody voted on it).

The groups compared: ours (from the visible votes), Pol.is's ``group-id`` (computed by Pol.is
from every vote, the hidden ones included) and no groups at all. ``gain_over_polis`` is our
accuracy minus Pol.is's, with ``gain_stderr`` the standard error of that paired difference over
the hidden votes, so that a gain can be read against its noise. Because Pol.is's groups saw the
hidden votes, a diagnostic run also computes our groups from every vote, as Pol.is did, and
predicts with the same rule (``accuracy_ours_all_votes``, ``gain_same_votes``): it compares the
two methods on equal information and is never used to choose anything. The adjusted Rand index
compares our groups (from the visible votes) with Pol.is's on the participants both clustered.

Prints one JSON line per conversation, then one line of medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

from analysis import polis
from analysis.opinion import OpinionParams, analyse_opinions

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "polis"
HIDDEN_SHARE = 0.10
# Order of the options: ``argmax`` keeps the first of equal counts, which sets the tie order.
VOTE_VALUES = np.array([1, -1, 0])


def _majority(votes: np.ndarray, labels: np.ndarray, n_groups: int) -> np.ndarray:
    """Majority vote per (group, statement), ``nan`` where the group cast no vote."""
    counts = np.stack(
        [
            np.stack(
                [np.sum((votes == value) & (labels == g)[:, None], axis=0) for value in VOTE_VALUES]
            )
            for g in range(n_groups)
        ]
    )  # groups x values x statements
    best = VOTE_VALUES[np.argmax(counts, axis=1)].astype(np.float64)
    best[counts.sum(axis=1) == 0] = np.nan
    return best


def _predict(
    visible: np.ndarray,
    labels: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    overall: np.ndarray,
) -> np.ndarray:
    """The module's prediction rule for the hidden votes at ``(rows, cols)``."""
    n_groups = int(labels.max()) + 1 if (labels >= 0).any() else 0
    table = _majority(visible, labels, n_groups) if n_groups else np.zeros((0, visible.shape[1]))
    group = labels[rows]
    predicted = overall[cols].copy()
    grouped = group >= 0
    from_group = np.full(rows.size, np.nan)
    from_group[grouped] = table[group[grouped], cols[grouped]]
    use = ~np.isnan(from_group)
    predicted[use] = from_group[use]
    return predicted


def _paired_stderr(right_a: np.ndarray, right_b: np.ndarray) -> float:
    """Standard error of ``mean(right_a) - mean(right_b)`` over the same hidden votes."""
    difference = right_a.astype(np.float64) - right_b.astype(np.float64)
    if difference.size < 2:
        return 0.0
    return float(difference.std(ddof=1) / np.sqrt(difference.size))


def evaluate(folder: Path, params: OpinionParams, seed: int) -> dict[str, object]:
    comments = polis.read_comments(folder / "comments.csv")
    matrix = polis.read_votes(
        folder / "votes.csv", comment_ids=polis.analysable_comment_ids(comments)
    )
    reference = polis.read_participants_votes(folder / "participants-votes.csv")
    votes = matrix.votes
    rng = np.random.default_rng(seed)
    rows, cols = np.nonzero(~np.isnan(votes))
    hidden = rng.random(rows.size) < HIDDEN_SHARE
    rows, cols = rows[hidden], cols[hidden]
    truth = votes[rows, cols]
    visible = votes.copy()
    visible[rows, cols] = np.nan

    started = time.perf_counter()
    analysis = analyse_opinions(visible, params)
    seconds = time.perf_counter() - started
    all_votes = analyse_opinions(votes, params)

    polis_group = dict(zip(reference.participant_ids, reference.group_ids, strict=True))
    theirs = np.array(
        [-1 if polis_group.get(p) is None else polis_group[p] for p in matrix.participant_ids]
    )
    overall = _majority(visible, np.zeros(votes.shape[0], dtype=np.int64), 1)[0]
    overall = np.where(np.isnan(overall), 1.0, overall)
    none = np.full(votes.shape[0], -1)

    def right(labels: np.ndarray) -> np.ndarray:
        return _predict(visible, labels, rows, cols, overall) == truth

    ours, polis_right = right(analysis.labels), right(theirs)
    same_votes = right(all_votes.labels)
    both = (analysis.labels >= 0) & (theirs >= 0)
    return {
        "conversation": folder.name,
        "participants": int(votes.shape[0]),
        "statements": int(votes.shape[1]),
        "hidden_votes": int(rows.size),
        "accuracy_ours": round(float(ours.mean()), 4),
        "accuracy_polis_groups": round(float(polis_right.mean()), 4),
        "accuracy_no_groups": round(float(right(none).mean()), 4),
        "gain_over_polis": round(float(ours.mean() - polis_right.mean()), 4),
        "gain_stderr": round(_paired_stderr(ours, polis_right), 4),
        "ari_vs_polis": round(float(adjusted_rand_score(theirs[both], analysis.labels[both])), 4),
        "groups_ours": analysis.n_groups,
        "groups_polis": len({g for g in reference.group_ids if g is not None}),
        "clustered_ours": int((analysis.labels >= 0).sum()),
        "clustered_polis": int((theirs >= 0).sum()),
        "accuracy_ours_all_votes": round(float(same_votes.mean()), 4),
        "gain_same_votes": round(float(same_votes.mean() - polis_right.mean()), 4),
        "seconds": round(seconds, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of conversations")
    parser.add_argument("--seed", type=int, default=0, help="seed for hiding votes")
    parser.add_argument(
        "--groups",
        type=int,
        metavar="K",
        help="impose K groups (diagnostic: the targets are for the number chosen automatically)",
    )
    parser.add_argument(
        "--undecided-share",
        type=float,
        default=OpinionParams().undecided_share,
        metavar="S",
        help="passes above this share of a participant's votes put them in the undecided group"
        " (1 = no undecided group, as in Pol.is)",
    )
    args = parser.parse_args(argv)
    folders = sorted(p for p in args.data.iterdir() if (p / "votes.csv").is_file())
    if not folders:
        print(f"no Pol.is conversations under {args.data}", file=sys.stderr)
        return 2
    params = OpinionParams(n_groups=args.groups, undecided_share=args.undecided_share)
    results = []
    for folder in folders:
        result = evaluate(folder, params, args.seed)
        results.append(result)
        print(json.dumps(result), flush=True)
    summary = {
        "conversations": len(results),
        **{
            f"median_{key}": round(statistics.median(float(r[key]) for r in results), 4)
            for key in (
                "accuracy_ours",
                "accuracy_polis_groups",
                "accuracy_no_groups",
                "gain_over_polis",
                "ari_vs_polis",
                "gain_same_votes",
            )
        },
        "seconds": round(sum(float(r["seconds"]) for r in results), 3),
        "params": {
            "min_votes": params.min_votes,
            "max_groups": params.max_groups,
            "n_groups": params.n_groups,
            "undecided_share": params.undecided_share,
            "base_clusters": params.base_clusters,
            "random_state": params.random_state,
        },
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
