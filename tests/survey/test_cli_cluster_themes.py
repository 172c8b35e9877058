import csv
import json
from pathlib import Path

import pytest

from tests.factories.cli import offline

ANSWERS = [
    "Des places en crèche",
    "Une crèche qui ouvre plus tôt",
    "Garde d'enfants le mercredi",
    "Des bus le soir",
    "Le bus ne passe pas le dimanche",
    "Une navette pour la gare",
    "Un médecin traitant",
    "Il n'y a plus de médecin",
    "Un dentiste dans le quartier",
    "1) une place en crèche 2) un médecin traitant",
    "rien",
]


def _source(folder: Path) -> Path:
    path = folder / "answers.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Que manque-t-il ?"])
        writer.writerows([answer] for answer in ANSWERS)
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def clustered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("themes")
    output = folder / "out.csv"
    completed = offline(
        "cluster",
        str(_source(folder)),
        "--column",
        "Que manque-t-il ?",
        "--language",
        "fr",
        "--output",
        str(output),
    )
    return completed, _rows(output) if output.exists() else []


def test_cluster_writes_theme_columns(clustered):
    completed, rows = clustered
    assert completed.returncode == 0, completed.stderr
    assert list(rows[0]) == ["row", "cluster", "label", "theme", "theme_label"]
    by_row = {}
    for row in rows:
        by_row.setdefault(int(row["row"]), []).append(row)
    assert sorted(by_row) == list(range(len(ANSWERS)))
    assert by_row[3][0]["theme_label"] == "Transports et déplacements"
    assert by_row[6][0]["theme_label"] == "Santé et accès aux soins"
    assert by_row[10] == [
        {"row": "10", "cluster": "-1", "label": "", "theme": "-1", "theme_label": ""}
    ]


def test_cluster_answer_with_two_needs_gets_a_line_per_need(clustered):
    _, rows = clustered
    lines = [row for row in rows if row["row"] == "9"]
    childcare = next(row["cluster"] for row in rows if row["row"] == "0")
    doctors = next(row["cluster"] for row in rows if row["row"] == "6")
    clusters = [line["cluster"] for line in lines]
    assert len(clusters) >= 2
    assert len(set(clusters)) == len(clusters)
    assert {childcare, doctors} <= set(clusters)


def test_cluster_summary_lists_themes(clustered):
    completed, _ = clustered
    assert "themes" in completed.stdout
    assert "theme " in completed.stdout


def test_cluster_themes_file_names_the_themes(tmp_path):
    vocabulary = tmp_path / "themes.json"
    vocabulary.write_text(
        json.dumps(
            {
                "themes": [
                    {
                        "id": "petits",
                        "label": {"fr": "Les tout-petits"},
                        "terms": [["crèche", "nursery"], ["garde d'enfants", "childcare"]],
                    },
                    {
                        "id": "car",
                        "label": {"fr": "Se déplacer"},
                        "terms": [["bus", "bus"], ["navette", "shuttle"], ["gare", "station"]],
                    },
                    {
                        "id": "soins",
                        "label": {"fr": "Se soigner"},
                        "terms": [["médecin", "doctor"], ["dentiste", "dentist"]],
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    output = tmp_path / "out.csv"
    completed = offline(
        "cluster",
        str(_source(tmp_path)),
        "--column",
        "Que manque-t-il ?",
        "--language",
        "fr",
        "--themes",
        str(vocabulary),
        "--output",
        str(output),
    )
    assert completed.returncode == 0, completed.stderr
    first = {row["row"]: row["theme_label"] for row in reversed(_rows(output))}
    assert first["0"] == "Les tout-petits"
    assert first["3"] == "Se déplacer"
    assert first["6"] == "Se soigner"


def test_cluster_bad_themes_file_exit_2(tmp_path):
    vocabulary = tmp_path / "themes.json"
    vocabulary.write_text('{"themes": [{"id": "x"}]}', encoding="utf-8")
    completed = offline(
        "cluster",
        str(_source(tmp_path)),
        "--column",
        "Que manque-t-il ?",
        "--themes",
        str(vocabulary),
        "--output",
        str(tmp_path / "o.csv"),
    )
    assert completed.returncode == 2
    assert "has no label" in completed.stderr
    assert not (tmp_path / "o.csv").exists()
