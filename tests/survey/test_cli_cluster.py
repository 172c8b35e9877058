import csv
from pathlib import Path

import pytest

from tests.factories.cli import offline

ANSWERS = [
    "Il manque des places en crèche",
    "Pas assez de places en crèche",
    "Une crèche, c'est urgent",
    "Plus de bus le soir",
    "Les bus sont trop rares",
    "Un bus vers la gare",
    "rien",
    "Un médecin dans le quartier",
    "Il n'y a plus de médecin",
    "Trouver un médecin, écrivez-moi à a.b@example.fr",
]


def _write_csv(path: Path, delimiter: str = ",", encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(["Horodateur", "Que manque-t-il ?", "Quartier"])
        for i, answer in enumerate(ANSWERS):
            writer.writerow([f"2024-01-{i + 1:02d}", answer, "Nord"])
    return path


def _read_output(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def clustered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    source = _write_csv(folder / "answers.csv")
    output = folder / "out.csv"
    completed = offline(
        "cluster",
        str(source),
        "--column",
        "Que manque-t-il ?",
        "--clusters",
        "3",
        "--language",
        "fr",
        "--output",
        str(output),
    )
    return completed, _read_output(output) if output.exists() else []


def test_cluster_writes_row_cluster_label(clustered):
    completed, rows = clustered
    assert completed.returncode == 0, completed.stderr
    assert list(rows[0])[:3] == ["row", "cluster", "label"]
    assert [row["row"] for row in rows] == [str(i) for i in range(len(ANSWERS))]
    clusters = [int(row["cluster"]) for row in rows]
    assert clusters[6] == -1
    assert rows[6]["label"] == ""
    assert len(set(clusters[0:3])) == 1
    assert len(set(clusters[3:6])) == 1
    assert len(set(clusters[7:10])) == 1
    assert len({clusters[0], clusters[3], clusters[7]}) == 3
    assert all(row["label"] for row in rows if row["cluster"] != "-1")


def test_cluster_prints_summary_and_progress(clustered):
    completed, _ = clustered
    assert "3 needs" in completed.stdout
    assert "crèche" in completed.stdout
    assert "clustering 10 answers" in completed.stderr


def test_cluster_summary_masks_e_mail(clustered):
    completed, _ = clustered
    assert "a.b@example.fr" not in completed.stdout


def test_cluster_semicolon_cp1252_bom_file(tmp_path):
    source = tmp_path / "excel.csv"
    _write_csv(source, delimiter=";", encoding="cp1252")
    # Some exporters put a UTF-8 byte-order mark before cp1252 text.
    source.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
    output = tmp_path / "out.csv"
    completed = offline(
        "cluster",
        str(source),
        "--column",
        "Que manque-t-il ?",
        "--language",
        "fr",
        "--output",
        str(output),
    )
    assert completed.returncode == 0, completed.stderr
    assert len(_read_output(output)) == len(ANSWERS)


def test_cluster_missing_column_lists_available(tmp_path):
    source = _write_csv(tmp_path / "answers.csv")
    completed = offline(
        "cluster", str(source), "--column", "Réponse", "--output", str(tmp_path / "o.csv")
    )
    assert completed.returncode == 2
    assert "no column 'Réponse'" in completed.stderr
    assert "'Horodateur', 'Que manque-t-il ?', 'Quartier'" in completed.stderr
    assert not (tmp_path / "o.csv").exists()


def test_cluster_empty_file_exit_2(tmp_path):
    source = tmp_path / "empty.csv"
    source.write_bytes(b"")
    completed = offline(
        "cluster", str(source), "--column", "x", "--output", str(tmp_path / "o.csv")
    )
    assert completed.returncode == 2
    assert "empty" in completed.stderr


def test_cluster_header_only_file_exit_2(tmp_path):
    source = tmp_path / "header.csv"
    source.write_text("id,answer\n", encoding="utf-8")
    completed = offline(
        "cluster", str(source), "--column", "answer", "--output", str(tmp_path / "o.csv")
    )
    assert completed.returncode == 2
    assert "no data rows" in completed.stderr


def test_cluster_unreadable_file_exit_2(tmp_path):
    completed = offline(
        "cluster",
        str(tmp_path / "absent.csv"),
        "--column",
        "x",
        "--output",
        str(tmp_path / "o.csv"),
    )
    assert completed.returncode == 2
    assert "cannot read" in completed.stderr
