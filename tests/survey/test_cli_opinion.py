"""`parlons opinion-groups` run as a real command on small CSV files."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from survey.cli import main
from tests.factories.cli import offline


def _conversation(folder: Path) -> tuple[Path, Path]:
    """Two camps of 8 voters over 8 statements, one moderated-out statement, one sparse voter."""
    rng = np.random.default_rng(1)
    votes = ["timestamp,datetime,comment-id,voter-id,vote"]
    stamp = 1000
    for voter in range(16):
        sign = 1 if voter < 8 else -1
        for comment in range(8):
            stance = sign if comment < 4 else -sign
            vote = 0 if rng.random() < 0.1 else stance
            stamp += 1
            votes.append(f"{stamp},Mon,{comment},{voter},{vote}")
    votes.append(f"{stamp + 1},Mon,0,99,1")
    votes.append(f"{stamp + 2},Mon,8,3,1")
    votes_path = folder / "votes.csv"
    votes_path.write_text("\n".join(votes) + "\n", encoding="utf-8")
    comments = ["timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body"]
    for comment in range(8):
        comments.append(f"1,Mon,{comment},0,0,0,1,Statement number {comment}")
    comments.append("1,Mon,8,0,0,0,-1,Buy cheap watches")
    comments_path = folder / "comments.csv"
    comments_path.write_text("\n".join(comments) + "\n", encoding="utf-8")
    return votes_path, comments_path


def test_opinion_groups_writes_groups_and_prints_statements(tmp_path: Path) -> None:
    votes, comments = _conversation(tmp_path)
    output = tmp_path / "groups.csv"
    done = offline(
        "opinion-groups",
        str(votes),
        "--comments",
        str(comments),
        "--seed",
        "3",
        "--output",
        str(output),
    )
    assert done.returncode == 0, done.stderr
    with open(output, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    groups = {int(row["participant"]): row["group"] for row in rows}
    assert len(groups) == 17
    assert groups[99] == ""
    assert len({groups[v] for v in range(8)}) == 1
    assert len({groups[v] for v in range(8, 16)}) == 1
    assert groups[0] != groups[8]
    assert "2 group(s)" in done.stdout
    assert "Statement number" in done.stdout
    assert "Buy cheap watches" not in done.stdout


def test_opinion_groups_missing_file_exits_2(tmp_path: Path) -> None:
    done = offline(
        "opinion-groups", str(tmp_path / "absent.csv"), "--output", str(tmp_path / "out.csv")
    )
    assert done.returncode == 2
    assert "file not found" in done.stderr
    assert not (tmp_path / "out.csv").exists()


def test_opinion_groups_malformed_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "votes.csv"
    bad.write_text("comment-id,who,vote\n0,1,1\n", encoding="utf-8")
    done = offline("opinion-groups", str(bad), "--output", str(tmp_path / "out.csv"))
    assert done.returncode == 2
    assert "voter-id" in done.stderr


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("comment-id,voter-id,vote\n0,1,5\n", "vote must be"),
        ("", "empty"),
        ("comment-id,voter-id,vote\n", "no votes"),
    ],
)
def test_opinion_groups_bad_contents_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, expected: str
) -> None:
    path = tmp_path / "votes.csv"
    path.write_text(body, encoding="utf-8")
    code = main(["opinion-groups", str(path), "--output", str(tmp_path / "out.csv")])
    assert code == 2
    assert expected in capsys.readouterr().err


def test_opinion_groups_rejects_too_few_groups(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    votes, _ = _conversation(tmp_path)
    code = main(["opinion-groups", str(votes), "--max-groups", "1", "--output", "o.csv"])
    assert code == 2
    assert "--max-groups" in capsys.readouterr().err


def test_opinion_groups_imposed_number_of_groups(tmp_path: Path) -> None:
    votes, _ = _conversation(tmp_path)
    output = tmp_path / "groups.csv"
    assert main(["opinion-groups", str(votes), "--groups", "3", "--output", str(output)]) == 0
    with open(output, newline="", encoding="utf-8") as handle:
        groups = {row["group"] for row in csv.DictReader(handle)}
    assert groups == {"0", "1", "2", ""}


def test_opinion_groups_rejects_one_imposed_group(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    votes, _ = _conversation(tmp_path)
    code = main(["opinion-groups", str(votes), "--groups", "1", "--output", "o.csv"])
    assert code == 2
    assert "--groups" in capsys.readouterr().err


def test_opinion_groups_put_mostly_passing_voters_in_the_last_group(tmp_path: Path) -> None:
    votes, _ = _conversation(tmp_path)
    lines = votes.read_text(encoding="utf-8").splitlines()
    for voter in (50, 51, 52):  # pass on six statements of eight
        lines += [f"{9000 + voter * 10 + c},Mon,{c},{voter},{1 if c < 2 else 0}" for c in range(8)]
    votes.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = tmp_path / "groups.csv"
    done = offline("opinion-groups", str(votes), "--output", str(output))
    assert done.returncode == 0, done.stderr
    with open(output, newline="", encoding="utf-8") as handle:
        groups = {int(row["participant"]): row["group"] for row in csv.DictReader(handle)}
    assert groups[50] == groups[51] == groups[52] == "2"
    assert "group 2: 3 (mostly undecided: passed on most statements)" in done.stdout
    assert {groups[v] for v in range(16)} == {"0", "1"}

    plain = offline("opinion-groups", str(votes), "--undecided-share", "1", "--output", str(output))
    assert plain.returncode == 0, plain.stderr
    assert "undecided" not in plain.stdout


def test_opinion_groups_rejects_an_undecided_share_out_of_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    votes, _ = _conversation(tmp_path)
    code = main(["opinion-groups", str(votes), "--undecided-share", "1.5", "--output", "o.csv"])
    assert code == 2
    assert "--undecided-share" in capsys.readouterr().err
