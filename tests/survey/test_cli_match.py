"""`parlons match` on its own: two CSV files in, ranked pairs out, no database."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.factories.cli import offline


def test_match_writes_ranked_pairs_with_same_neighbourhood_first(tmp_path: Path) -> None:
    needs = tmp_path / "needs.csv"
    needs.write_text(
        "besoin,quartier\n"
        "Plus de bus le soir pour rentrer,hauts\n"
        "Un médecin qui prend de nouveaux patients,biollay\n"
        "Aide aux devoirs pour les enfants,biollay\n",
        encoding="utf-8",
    )
    actors = tmp_path / "actors.csv"
    actors.write_text(
        "nom;offre;lieu\n"
        "Soutien scolaire Bissy;Aide aux devoirs;bissy\n"
        "Navette solidaire;Minibus vers la gare et le marché, covoiturage;hauts\n"
        "Maison de santé;Consultations de médecine générale;biollay\n"
        "Soutien scolaire Biollay;Aide aux devoirs;biollay\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    result = offline(
        "match",
        "--needs", str(needs), "--column", "besoin", "--place-column", "quartier",
        "--actors", str(actors), "--actor-columns", "nom,offre,lieu", "--top", "2",
        "--output", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "3 needs, 4 actors" in result.stdout
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["need_row", "rank", "actor_row", "score"]
    first = {r["need_row"]: r["actor_row"] for r in rows if r["rank"] == "1"}
    assert first == {"0": "1", "1": "2", "2": "3"}
    assert [r["rank"] for r in rows if r["need_row"] == "2"] == ["1", "2"]
    assert [r["actor_row"] for r in rows if r["need_row"] == "2"] == ["3", "0"]


def test_match_names_a_missing_column(tmp_path: Path) -> None:
    needs = tmp_path / "needs.csv"
    needs.write_text("texte\nun bus\n", encoding="utf-8")
    actors = tmp_path / "actors.csv"
    actors.write_text("nom,offre\nNavette,minibus\n", encoding="utf-8")
    result = offline(
        "match",
        "--needs", str(needs), "--column", "besoin", "--actors", str(actors),
        "--actor-columns", "nom,offre", "--output", str(tmp_path / "out.csv"),
    )  # fmt: skip
    assert result.returncode == 2
    assert "no column 'besoin'; available columns: 'texte'" in result.stderr
    assert not (tmp_path / "out.csv").exists()
