"""Pol.is export readers: column names, latest vote, moderation, malformed files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from analysis import polis

DATA = Path(__file__).parents[2].parent / "shared" / "data" / "polis"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_read_votes_latest_vote_wins_by_timestamp(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "votes.csv",
        "timestamp,datetime,comment-id,voter-id,vote\n"
        "200,Tue,0,7,-1\n"
        "100,Mon,0,7,1\n"
        "150,Mon,1,3,0\n",
    )
    matrix = polis.read_votes(path)
    assert matrix.participant_ids == [3, 7]
    assert matrix.comment_ids == [0, 1]
    assert matrix.votes[1, 0] == -1
    assert matrix.votes[0, 1] == 0
    assert math.isnan(matrix.votes[0, 0])


def test_read_votes_without_datetime_and_reordered_columns(tmp_path: Path) -> None:
    path = _write(tmp_path / "votes.csv", "vote,voter-id,comment-id,timestamp\n1,2,5,10\n")
    matrix = polis.read_votes(path)
    assert matrix.votes.tolist() == [[1.0]]
    assert matrix.comment_ids == [5]


def test_read_votes_without_timestamp_keeps_last_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "votes.csv", "comment-id,voter-id,vote\n0,1,1\n0,1,-1\n")
    assert polis.read_votes(path).votes.tolist() == [[-1.0]]


def test_read_votes_restricted_to_kept_comments(tmp_path: Path) -> None:
    path = _write(tmp_path / "votes.csv", "comment-id,voter-id,vote\n0,1,1\n1,1,-1\n2,2,0\n")
    matrix = polis.read_votes(path, comment_ids=[2, 0])
    assert matrix.comment_ids == [2, 0]
    assert matrix.votes[0].tolist()[1] == 1.0


def test_read_comments_excludes_moderated_out(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "comments.csv",
        "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n"
        '1,x,2,9,3,1,1,"Plus de bancs, svp"\n'
        "1,x,0,9,0,0,-1,spam\n"
        "1,x,1,8,1,0,0,Des arbres\n",
    )
    comments = polis.read_comments(path)
    assert [c.comment_id for c in comments] == [0, 1, 2]
    assert comments[2].body == "Plus de bancs, svp"
    assert polis.analysable_comment_ids(comments) == [1, 2]


def test_read_participants_votes_by_column_name(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "participants-votes.csv",
        "participant,xid,group-id,n-comments,n-votes,n-agree,n-disagree,0,3\n"
        "5,abc,1,0,2,1,1,1,-1\n"
        "6,,,0,1,0,0,,0\n",
    )
    groups = polis.read_participants_votes(path)
    assert groups.participant_ids == [5, 6]
    assert groups.group_ids == [1, None]
    assert groups.matrix.comment_ids == [0, 3]
    assert np.isnan(groups.matrix.votes[1, 0])
    assert groups.matrix.votes[0].tolist() == [1.0, -1.0]


def test_missing_column_raises_with_key(tmp_path: Path) -> None:
    path = _write(tmp_path / "votes.csv", "timestamp,comment-id,vote\n1,0,1\n")
    with pytest.raises(polis.PolisFormatError, match="voter-id") as caught:
        polis.read_votes(path)
    assert caught.value.key == "polis.missing_columns"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "body",
    [
        "comment-id,voter-id,vote\n0,1,2\n",
        "comment-id,voter-id,vote\n0,x,1\n",
        "timestamp,comment-id,voter-id,vote\nsoon,0,1,1\n",
    ],
)
def test_bad_values_raise_with_key(tmp_path: Path, body: str) -> None:
    path = _write(tmp_path / "votes.csv", body)
    with pytest.raises(polis.PolisFormatError) as caught:
        polis.read_votes(path)
    assert caught.value.key == "polis.bad_value"
    assert "line 2" in str(caught.value)


def test_empty_file_raises_with_key(tmp_path: Path) -> None:
    with pytest.raises(polis.PolisFormatError) as caught:
        polis.read_comments(_write(tmp_path / "comments.csv", ""))
    assert caught.value.key == "polis.file_empty"


def test_real_export_shapes() -> None:
    folder = DATA / "brexit-consensus"
    if not (folder / "votes.csv").is_file():
        pytest.skip(f"Pol.is evaluation data not found at {folder}")
    comments = polis.read_comments(folder / "comments.csv")
    matrix = polis.read_votes(folder / "votes.csv")
    groups = polis.read_participants_votes(folder / "participants-votes.csv")
    assert matrix.votes.shape == (204, 50)
    assert len(comments) == 50
    assert len(groups.participant_ids) == 204
    assert {g for g in groups.group_ids if g is not None} == {0, 1}
    # The export's matrix and the raw votes agree once the latest vote is kept.
    row = {p: i for i, p in enumerate(matrix.participant_ids)}
    aligned = matrix.votes[[row[p] for p in groups.participant_ids]]
    assert np.array_equal(aligned, groups.matrix.votes, equal_nan=True)
