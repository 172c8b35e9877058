"""The ``parlons`` command against the test database."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import httpx
import pytest

from survey.domain.demo import load_demo
from survey.domain.responses import count_responses
from survey.models import User
from tests.factories import VALID_ANSWERS, make_survey
from tests.factories.cli import parlons
from tests.factories.resident import answer_all

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.usefixtures("orm")




def test_migrate_is_idempotent(database_url: str) -> None:
    result = parlons(database_url, "migrate")
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


async def test_createadmin_reads_password_from_stdin(database_url: str) -> None:
    result = parlons(
        database_url, "createadmin", "Admin@Example.org", stdin="a long enough password\n"
    )
    assert result.returncode == 0, result.stderr
    user = await User.get(email="admin@example.org")
    assert user.role == "admin"
    assert user.password_hash.startswith("$argon2")


def test_createadmin_short_password_is_refused(database_url: str) -> None:
    result = parlons(database_url, "createadmin", "short@example.org", stdin="short\n")
    assert result.returncode == 2
    assert "at least 10 characters" in result.stderr


async def test_export_writes_csv_and_json(database_url: str, client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    await answer_all(client, definition, {**VALID_ANSWERS, "q_manque": ["=1+1"]})
    result = parlons(database_url, "export", definition.slug, "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert [r["manque"] for r in rows] == ["'=1+1"]
    result = parlons(database_url, "export", definition.slug, "--format", "json")
    assert json.loads(result.stdout)[0]["answers"]["manque"] == "=1+1"


def test_export_unknown_survey_fails_clearly(database_url: str) -> None:
    result = parlons(database_url, "export", "nope")
    assert result.returncode == 2
    assert "does not exist" in result.stderr


async def test_demo_load_is_idempotent(tmp_path: Path) -> None:
    survey = json.loads((ROOT / "fixtures" / "demo_survey.json").read_text(encoding="utf-8"))
    survey["slug"] = "demo-idempotent"
    (tmp_path / "demo_survey.json").write_text(json.dumps(survey), encoding="utf-8")
    responses = [
        {
            "submitted_at": f"2026-10-0{d}T10:00:00+00:00",
            "language": "fr",
            "channel": "web",
            "answers": {"quartier": "centre", "manque": f"Texte {d}"},
        }
        for d in range(1, 6)
    ]
    (tmp_path / "demo_responses.json").write_text(json.dumps(responses), encoding="utf-8")
    slug, added = await load_demo(tmp_path)
    assert (slug, added) == ("demo-idempotent", 5)
    slug, added = await load_demo(tmp_path)
    assert added == 0
    from survey.domain.definitions import get_definition

    assert await count_responses((await get_definition(slug)).id) == 5
