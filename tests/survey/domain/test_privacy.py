"""RGPD tools: retention purge, processing register, backups that round-trip."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from pathlib import Path

import asyncpg
import pytest

from survey import db
from survey.domain.answering import load_responses
from survey.domain.db import connection
from survey.domain.privacy import erase_by_receipt, find_by_receipt
from survey.domain.responses import count_responses
from survey.errors import NotFound
from tests.factories import make_survey
from tests.factories.cli import parlons

pytestmark = pytest.mark.usefixtures("orm")


def _item(days_ago: int, text: str) -> dict:
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
    return {"key": str(uuid.uuid4()), "submitted_at": when, "answers": {"manque": text}}


async def test_purge_deletes_only_what_is_past_retention(database_url: str) -> None:
    kept_forever = await make_survey(retention_days=None)
    short = await make_survey(retention_days=30)
    await load_responses(short, [_item(60, "ancienne"), _item(1, "récente")])
    await load_responses(kept_forever, [_item(400, "sans durée")])
    result = parlons(database_url, "purge")
    assert result.returncode == 0, result.stderr
    assert {"survey": short.slug, "deleted": 1} in [
        json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")
    ]
    assert await count_responses(short.id) == 1
    assert await count_responses(kept_forever.id) == 1
    again = parlons(database_url, "purge")
    assert again.returncode == 0
    assert short.slug not in again.stdout  # idempotent: nothing more to delete


async def test_register_lists_surveys_with_personal_fields(database_url: str) -> None:
    survey = await make_survey()
    result = parlons(database_url, "register")
    assert result.returncode == 0, result.stderr
    entry = next(e for e in json.loads(result.stdout) if e["survey"] == survey.slug)
    assert entry["personal_fields"] == ["contact"]
    assert entry["retention_days"] == 730


async def test_receipt_finds_and_erases_only_its_response() -> None:
    survey = await make_survey()
    await load_responses(survey, [_item(1, "à moi"), _item(1, "à quelqu'un d'autre")])
    from survey.domain.db import connection

    async with connection() as conn:
        receipts = [
            r["receipt"]
            for r in await conn.fetch(
                "SELECT receipt FROM responses WHERE survey_id = $1 ORDER BY id", survey.id
            )
        ]
    mine = await find_by_receipt(survey, receipts[0].lower())
    assert mine["answers"]["manque"] == "à moi"
    with pytest.raises(NotFound):
        await find_by_receipt(survey, "AAAAAAAAAA")
    await erase_by_receipt(survey, receipts[0])
    assert await count_responses(survey.id) == 1
    with pytest.raises(NotFound):
        await erase_by_receipt(survey, receipts[0])


def test_backup_and_restore_round_trip(database_url: str, tmp_path: Path) -> None:
    url = db.with_database(database_url, "parlons_backup_round_trip")
    asyncio.run(db.drop_database(url))
    assert parlons(url, "migrate").returncode == 0

    async def rows(sql: str) -> list:
        conn = await asyncpg.connect(**db.credentials(url))
        try:
            if ";" in sql:  # several statements: no result wanted
                await conn.execute(sql)
                return []
            return await conn.fetch(sql)
        finally:
            await conn.close()

    asyncio.run(
        rows(
            "INSERT INTO surveys (slug, title_fr, title_en, description_fr, description_en,"
            " consent_fr, consent_en) VALUES ('sauvegarde', 'Sauvegarde', '', '', '', '', '');"
            "INSERT INTO responses (survey_id, idempotency_key, receipt, answers)"
            " SELECT s.id, gen_random_uuid(), 'R' || g, jsonb_build_object('n', g)"
            " FROM surveys s, generate_series(1, 25) g"
        )
    )
    backup = tmp_path / "parlons.dump"
    result = parlons(url, "backup", str(backup))
    assert result.returncode == 0, result.stderr
    assert backup.stat().st_size > 0
    asyncio.run(rows("DELETE FROM responses; DELETE FROM surveys"))
    result = parlons(url, "restore", str(backup))
    assert result.returncode == 0, result.stderr
    restored = asyncio.run(rows("SELECT answers FROM responses ORDER BY id"))
    assert [json.loads(r["answers"])["n"] for r in restored] == list(range(1, 26))
    asyncio.run(db.drop_database(url))


def test_restore_missing_file_fails_clearly(database_url: str, tmp_path: Path) -> None:
    result = parlons(database_url, "restore", str(tmp_path / "nope.dump"))
    assert result.returncode == 2
    assert "No such backup file" in result.stderr


async def test_resident_sees_and_erases_own_answer_over_http(client) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import VALID_ANSWERS
    from tests.factories.resident import answer_all
    from tests.htmlform import field_value, post_form, text_of

    survey = await make_survey()
    done, _ = await answer_all(client, survey, VALID_ANSWERS)
    receipt = done.headers["location"].split("/")[-1].split("?")[0]
    page = (await client.get(f"/s/{survey.slug}/ma-reponse")).text
    csrf = field_value(page, "csrf")
    wrong = await post_form(
        client, f"/s/{survey.slug}/ma-reponse", [("csrf", csrf), ("receipt", "ZZZZZZZZZZ")]
    )
    assert wrong.status_code == 404
    assert "Aucune réponse ne porte ce code" in text_of(wrong.text)
    assert 'value="ZZZZZZZZZZ"' in wrong.text
    shown = await post_form(
        client, f"/s/{survey.slug}/ma-reponse", [("csrf", csrf), ("receipt", receipt.lower())]
    )
    assert shown.status_code == 200
    assert "Une crèche, il n&#39;y a aucune place pour les petits" in shown.text
    forged = await post_form(client, f"/s/{survey.slug}/ma-reponse/effacer", [("receipt", receipt)])
    assert forged.status_code == 403
    erased = await post_form(
        client, f"/s/{survey.slug}/ma-reponse/effacer", [("csrf", csrf), ("receipt", receipt)]
    )
    assert erased.status_code == 200
    assert await count_responses(survey.id) == 0


async def test_accessibility_statement_in_both_languages(client) -> None:  # type: ignore[no-untyped-def]
    fr = await client.get("/accessibilite")
    en = await client.get("/accessibilite?lang=en")
    assert "Déclaration d&#39;accessibilité" in fr.text
    assert "Accessibility statement" in en.text


async def test_purge_erases_addresses_of_invitations_never_delivered(database_url: str) -> None:
    survey = await make_survey(slug=f"mails-{uuid.uuid4().hex[:6]}")
    async with connection() as conn:
        for age, status, code in ((40, "failed", "OLDFAIL1"), (2, "failed", "NEWFAIL1")):
            invitation = await conn.fetchval(
                "INSERT INTO invitations (code, survey_id) VALUES ($1, $2) RETURNING id",
                code + uuid.uuid4().hex[:6].upper(),
                survey.id,
            )
            await conn.execute(
                "INSERT INTO invitation_mails (invitation_id, survey_id, email, email_hash,"
                " masked, status, created_at)"
                " VALUES ($1, $2, $3, $4, 'm•••@…', $5, now() - make_interval(days => $6))",
                invitation,
                survey.id,
                f"{code.lower()}@example.org",
                uuid.uuid4().hex,
                status,
                age,
            )
    result = parlons(database_url, "purge")
    assert result.returncode == 0, result.stderr
    assert {"survey": survey.slug, "addresses_erased": 1} in [
        json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")
    ]
    async with connection() as conn:
        left = await conn.fetch(
            "SELECT email, masked FROM invitation_mails WHERE survey_id = $1 ORDER BY created_at",
            survey.id,
        )
    assert [r["email"] for r in left] == [None, "newfail1@example.org"]
    assert all(r["masked"] for r in left)
    register = json.loads(parlons(database_url, "register").stdout)
    entry = next(e for e in register if e["survey"] == survey.slug)
    assert entry["invitation_addresses_held"] == 1
    again = parlons(database_url, "purge")
    assert survey.slug not in again.stdout


async def test_receipt_given_before_finds_its_response() -> None:
    survey = await make_survey()
    await load_responses(survey, [_item(1, "avant")])
    async with connection() as conn:
        # A receipt of the former generator: 10 letters, L among them.
        await conn.execute(
            "UPDATE responses SET receipt = 'ABCLDEFGHL' WHERE survey_id = $1", survey.id
        )
    found = await find_by_receipt(survey, "abcl-defg-hl")
    assert found["answers"]["manque"] == "avant"
