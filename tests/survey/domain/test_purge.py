"""Nothing personal outlives the purge or an erasure, and the purge runs once a day by itself."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from survey.domain import jobs
from survey.domain.answering import load_responses
from survey.domain.consultation_options import create_options
from survey.domain.consultations import ConsultationDraft, create_consultation
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.job_kinds import job_registry
from survey.domain.privacy import FORGET_KIND, PURGE_KIND, erase_by_receipt
from survey.models.councils import ConsultationOption
from survey.models.needs import Need, NeedAnswer
from tests.factories import PARIS, finish_jobs, make_survey
from tests.factories.cli import parlons
from tests.factories.council import make_council
from tests.factories.needs import finished_run

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.usefixtures("orm")
CSV = "Horodateur;Votre quartier;Contact\n2026-10-01;centre;jean@example.org 06 12 34 56 78\n"


async def plant_old_data(survey: SurveyDef) -> dict[str, int]:
    """An upload of two days ago and one of now; a draft expired 100 days ago and one valid."""
    async with connection() as conn:
        ids = {}
        for name, age in (("old_upload", 48), ("new_upload", 0)):
            ids[name] = await conn.fetchval(
                "INSERT INTO uploads (survey_id, filename, data, created_at)"
                " VALUES ($1, 'export.csv', $2, now() - make_interval(hours => $3)) RETURNING id",
                survey.id,
                CSV.encode(),
                age,
            )
        for name, days in (("old_draft", -100), ("new_draft", 10)):
            ids[name] = await conn.fetchval(
                "INSERT INTO resume_drafts (survey_id, code, form_values, step, language,"
                " invitation, created_at, expires_at) VALUES ($1, $2, $3::jsonb, 0, 'fr', '',"
                " now(), now() + make_interval(days => $4)) RETURNING id",
                survey.id,
                uuid.uuid4().hex[:12].upper(),
                json.dumps({"contact": ["jean@example.org"]}),
                days,
            )
    return ids


async def left_over(ids: dict[str, int]) -> set[str]:
    async with connection() as conn:
        uploads = await conn.fetch(
            "SELECT id FROM uploads WHERE id = ANY($1::bigint[])", list(ids.values())
        )
        drafts = await conn.fetch(
            "SELECT id FROM resume_drafts WHERE id = ANY($1::bigint[])", list(ids.values())
        )
    found = {("upload", r["id"]) for r in uploads} | {("draft", r["id"]) for r in drafts}
    return {name for name, i in ids.items() if (name.split("_")[1], i) in found}


async def test_purge_command_deletes_stale_uploads_and_expired_drafts(database_url: str) -> None:
    survey = await make_survey()
    ids = await plant_old_data(survey)
    result = parlons(database_url, "purge")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {"survey": survey.slug, "uploads_deleted": 1} in lines
    assert {"survey": survey.slug, "drafts_deleted": 1} in lines
    assert await left_over(ids) == {"new_upload", "new_draft"}
    again = parlons(database_url, "purge")
    assert again.returncode == 0
    assert survey.slug not in again.stdout


async def daily_rows() -> list[dict]:
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT id, state, run_after, unique_key, payload FROM jobs WHERE kind = $1"
            " ORDER BY unique_key",
            PURGE_KIND,
        )
    return [dict(r) for r in rows]


async def make_due(job_id: int) -> None:
    async with connection() as conn:
        await conn.execute("UPDATE jobs SET run_after = now() WHERE id = $1", job_id)


SCHEDULER = textwrap.dedent(
    """
    import asyncio, sys
    from zoneinfo import ZoneInfo
    from survey.domain import jobs
    from survey.domain.job_kinds import job_registry
    from survey.runtime import orm

    async def main():
        zone = ZoneInfo("Europe/Paris")
        async with orm(sys.argv[1]):
            registry = job_registry(None)
            await asyncio.gather(
                *(jobs.schedule_daily(registry, time_zone=zone) for _ in range(5))
            )

    asyncio.run(main())
    """
)


async def test_daily_purge_is_queued_once_per_day_by_many_processes(database_url: str) -> None:
    async with connection() as conn:
        await conn.execute("DELETE FROM jobs WHERE kind = $1", PURGE_KIND)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [
        subprocess.Popen([sys.executable, "-c", SCHEDULER, database_url], env=env, cwd=ROOT)
        for _ in range(3)
    ]
    await asyncio.gather(
        *(jobs.schedule_daily(job_registry(None), time_zone=PARIS) for _ in range(5))
    )
    for process in processes:
        assert process.wait(timeout=120) == 0
    rows = await daily_rows()
    assert len(rows) == 1
    now = dt.datetime.now(PARIS)
    first = now.date() if now.hour < 3 else now.date() + dt.timedelta(days=1)
    assert rows[0]["unique_key"] == f"{PURGE_KIND}@{first.isoformat()}"
    assert rows[0]["run_after"] == dt.datetime.combine(first, dt.time(3), PARIS)
    assert rows[0]["state"] == "queued"

    survey = await make_survey()
    ids = await plant_old_data(survey)
    await make_due(rows[0]["id"])  # the clock reaches 3 a.m.
    await finish_jobs(PURGE_KIND)
    assert await left_over(ids) == {"new_upload", "new_draft"}
    rows = await daily_rows()
    second = first + dt.timedelta(days=1)
    assert [(r["unique_key"], r["state"]) for r in rows] == [
        (f"{PURGE_KIND}@{first.isoformat()}", "done"),
        (f"{PURGE_KIND}@{second.isoformat()}", "queued"),
    ]
    assert rows[1]["run_after"] == dt.datetime.combine(second, dt.time(3), PARIS)
    # Scheduling again, from any process, adds nothing: the next day is already there.
    await asyncio.gather(
        *(jobs.schedule_daily(job_registry(None), time_zone=PARIS) for _ in range(5))
    )
    assert len(await daily_rows()) == 2


async def analysed(texts: list[str]) -> tuple[SurveyDef, list[int], list[str]]:
    definition = await make_survey()
    await load_responses(
        definition,
        [
            {
                "key": str(uuid.uuid4()),
                "submitted_at": f"2026-10-{10 + i:02d}T10:00:00+00:00",
                "answers": {"manque": text},
            }
            for i, text in enumerate(texts)
        ],
    )
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT id, receipt FROM responses WHERE survey_id = $1 ORDER BY submitted_at",
            definition.id,
        )
    return definition, [int(r["id"]) for r in rows], [r["receipt"] for r in rows]


BUSES = [
    "Des bus le soir après 20h",
    "Le bus ne passe plus le dimanche",
    "Plus de bus pour aller en ville le soir",
    "Un bus toutes les heures c'est trop peu",
    "Le dernier bus part à 19h",
]
CABLE = "Un téléphérique jusqu'au fort, demandez Jean Valjean"
POOL = "Une piscine olympique, signé Cosette Fauchelevent"


async def test_erased_answer_leaves_no_trace_in_needs_or_ballot_options() -> None:
    definition, ids, receipts = await analysed([*BUSES, CABLE, POOL])
    run = await finished_run(definition.id, "manque", n_answers=7)
    bus = await Need.create(
        run=run,
        label="Téléphérique Jean Valjean",
        keywords=["telepherique", "valjean"],
        quote_response_ids=[ids[5], ids[0]],
        size=6,
    )
    pool = await Need.create(
        run=run, label="Piscine Cosette", keywords=["piscine"], quote_response_ids=[ids[6]]
    )
    for rid in ids[:6]:
        await NeedAnswer.create(run=run, response_id=rid, need=bus)
    await NeedAnswer.create(run=run, response_id=ids[6], need=pool)
    council, _ = await make_council(1)
    consultation = await create_consultation(
        council.id, ConsultationDraft("Priorités", "approval", secret=True), actor="test"
    )
    await create_options(
        consultation,
        [("Transports", "", bus.id), ("Piscine", "", pool.id)],
        quotes=[[CABLE, BUSES[0]], [POOL]],
        actor="test",
    )

    await erase_by_receipt(definition, receipts[5])
    await erase_by_receipt(definition, receipts[6])
    options = await ConsultationOption.filter(consultation_id=consultation.id).order_by("position")
    assert [o.quotes for o in options] == [[BUSES[0]], []]
    await finish_jobs(FORGET_KIND)

    await bus.refresh_from_db()
    assert bus.size == 5
    assert "valjean" not in (bus.label + " ".join(bus.keywords)).lower()
    assert "phérique" not in bus.label
    assert "bus" in bus.label.lower()
    assert ids[5] not in bus.quote_response_ids
    assert set(bus.quote_response_ids) <= set(ids[:5])
    await pool.refresh_from_db()
    assert (pool.label, pool.keywords, pool.quote_response_ids, pool.size, pool.is_need) == (
        "",
        [],
        [],
        0,
        False,
    )


async def test_retention_purge_forgets_purged_answers_in_needs(database_url: str) -> None:
    definition, ids, _ = await analysed([*BUSES, CABLE])
    async with connection() as conn:
        await conn.execute("UPDATE surveys SET retention_days = 30 WHERE id = $1", definition.id)
        await conn.execute(
            "UPDATE responses SET submitted_at = now() - CASE WHEN id = $2"
            " THEN interval '60 days' ELSE interval '1 day' END WHERE survey_id = $1",
            definition.id,
            ids[5],
        )
    run = await finished_run(definition.id, "manque", n_answers=6)
    need = await Need.create(run=run, label="Téléphérique", quote_response_ids=[ids[5]], size=6)
    for rid in ids:
        await NeedAnswer.create(run=run, response_id=rid, need=need)
    result = parlons(database_url, "purge")
    assert result.returncode == 0, result.stderr
    assert {"survey": definition.slug, "deleted": 1} in [
        json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")
    ]
    await finish_jobs(FORGET_KIND)
    await need.refresh_from_db()
    assert need.size == 5
    assert "phérique" not in need.label
    assert ids[5] not in need.quote_response_ids
