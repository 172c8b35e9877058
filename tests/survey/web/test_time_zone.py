"""One time zone for the whole instance: an app built with ``PARLONS_TIME_ZONE`` shows,
exports, counts and schedules in it, and the default Paris zone follows its clock changes."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from survey.domain import dashboard_filters, jobs, tallies
from survey.domain.accounts import add_account
from survey.domain.answering import load_responses
from survey.domain.api import api_responses
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.job_kinds import job_registry
from survey.domain.mail import compose
from survey.domain.privacy import PURGE_KIND
from survey.enums import Role
from survey.settings import SmtpSettings, load
from tests.factories import PARIS, make_survey
from tests.factories.staff import PASSWORD, login, staff_user
from tests.htmlform import text_of

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.usefixtures("orm")
CAYENNE = ZoneInfo("America/Cayenne")  # UTC-3 all year
# Just before and just after midnight in Cayenne, both on 2 December in UTC (and in Paris).
LATE = dt.datetime(2026, 12, 2, 2, 30, tzinfo=dt.UTC)  # 01/12 23:30 in Cayenne
EARLY = dt.datetime(2026, 12, 2, 3, 30, tzinfo=dt.UTC)  # 02/12 00:30 in Cayenne
_n = iter(range(1, 10_000))


@pytest.fixture
async def cayenne(orm: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose settings say ``PARLONS_TIME_ZONE=America/Cayenne``."""
    from survey.app import create_app

    settings = load(
        {
            "PARLONS_DATA_DIR": str(tmp_path),
            "PARLONS_SECRET_KEY": "z" * 40,
            "PARLONS_SUBMISSIONS_PER_MINUTE": "1000000",
            "PARLONS_TIME_ZONE": "America/Cayenne",
        }
    )
    app = create_app(settings, orm, run_jobs=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def survey_answered_at(*moments: dt.datetime) -> SurveyDef:
    definition = await make_survey()
    await load_responses(
        definition,
        [
            {"key": str(uuid.uuid4()), "submitted_at": m.isoformat(), "answers": {"manque": "x"}}
            for m in moments
        ],
    )
    return definition


async def as_staff(client: httpx.AsyncClient) -> None:
    email = f"zone-{next(_n)}-{uuid.uuid4().hex[:6]}@example.org"
    await staff_user(email)
    assert (await login(client, email)).status_code == 303


def words(page: str) -> str:
    """The page's visible text on one line, single spaces."""
    return " ".join(text_of(page).split())


def csv_rows(response: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"), newline="")))


async def test_responses_page_shows_the_cayenne_wall_clock_and_says_the_zone(
    cayenne: httpx.AsyncClient,
) -> None:
    definition = await survey_answered_at(LATE)
    await as_staff(cayenne)
    page = text_of((await cayenne.get(f"/staff/surveys/{definition.slug}")).text)
    assert "01/12/2026 23:30" in page
    assert "02/12/2026" not in page
    assert "heure locale (America/Cayenne)" in page
    english = text_of((await cayenne.get(f"/staff/surveys/{definition.slug}?lang=en")).text)
    assert "2026-12-01 23:30" in english
    assert "local time (America/Cayenne)" in english


async def test_csv_and_json_exports_carry_the_cayenne_offset_and_the_header_says_so(
    cayenne: httpx.AsyncClient,
) -> None:
    definition = await survey_answered_at(LATE)
    await as_staff(cayenne)
    url = f"/staff/surveys/{definition.slug}/export"
    rows = csv_rows(await cayenne.get(url, params={"format": "csv"}))
    assert rows[0][1] == "submitted_at (heure locale America/Cayenne, avec son décalage)"
    assert [r[1] for r in rows[1:]] == ["2026-12-01T23:30:00-03:00"]
    english = csv_rows(await cayenne.get(url, params={"format": "csv", "lang": "en"}))
    assert english[0][1] == "submitted_at (local time America/Cayenne, with its offset)"
    items = json.loads((await cayenne.get(url, params={"format": "json"})).text)
    assert [i["submitted_at"] for i in items] == ["2026-12-01T23:30:00-03:00"]
    # The same instant, whatever the zone it is written in.
    assert dt.datetime.fromisoformat(items[0]["submitted_at"]) == LATE


async def test_xlsx_export_writes_the_cayenne_wall_clock_and_names_the_zone(
    cayenne: httpx.AsyncClient,
) -> None:
    from openpyxl import load_workbook

    definition = await survey_answered_at(LATE)
    await as_staff(cayenne)
    answer = await cayenne.get(f"/staff/surveys/{definition.slug}/export-xlsx")
    assert answer.status_code == 200
    rows = list(load_workbook(io.BytesIO(answer.content)).active.iter_rows(values_only=True))
    assert rows[0][1] == "submitted_at (heure locale (America/Cayenne))"
    assert rows[1][1] == dt.datetime(2026, 12, 1, 23, 30)


async def test_api_over_http_gives_the_instance_zone_offset(cayenne: httpx.AsyncClient) -> None:
    from tests.survey.web.test_builder_api import new_token

    definition = await survey_answered_at(LATE)
    await as_staff(cayenne)
    auth = {"Authorization": f"Bearer {await new_token(cayenne)}"}
    page = await cayenne.get(f"/api/surveys/{definition.slug}/responses", headers=auth)
    assert page.status_code == 200
    assert [i["submitted_at"] for i in page.json()["items"]] == ["2026-12-01T23:30:00-03:00"]


async def test_api_items_keep_an_explicit_offset_in_the_instance_zone() -> None:
    definition = await survey_answered_at(LATE)
    page = await api_responses(definition, zone=CAYENNE)
    assert [i["submitted_at"] for i in page["items"]] == ["2026-12-01T23:30:00-03:00"]
    utc = await api_responses(definition)
    assert [i["submitted_at"] for i in utc["items"]] == ["2026-12-02T02:30:00+00:00"]


async def test_dashboard_counts_a_moment_near_midnight_on_its_cayenne_day(
    cayenne: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    definition = await survey_answered_at(*([LATE] * 5 + [EARLY] * 6))
    first, second = dt.date(2026, 12, 1), dt.date(2026, 12, 2)
    # The tallies (counted in Cayenne), the same counts read from the responses, then Paris:
    # the tallies are rebuilt for the other zone, where every answer falls on 2 December.
    counted = await tallies.count_answers(definition, dashboard_filters.Filters(), CAYENNE)
    assert counted.days == [(first, "web", 5), (second, "web", 6)]
    direct = await tallies._count_from_responses(definition, dashboard_filters.Filters(), CAYENNE)
    assert direct.days == counted.days
    paris = await tallies.count_answers(definition, dashboard_filters.Filters(), PARIS)
    assert paris.days == [(second, "web", 11)]

    await as_staff(cayenne)
    url = f"/staff/surveys/{definition.slug}/dashboard"
    page = (await cayenne.get(url)).text
    assert "<tr><td>2026-12-01</td><td>5</td></tr>" in page
    assert "<tr><td>2026-12-02</td><td>6</td></tr>" in page
    assert "Les jours sont ceux du territoire : heure locale (America/Cayenne)." in text_of(page)
    # A day typed in the filters is a Cayenne day too.
    only_first = (await cayenne.get(url, params={"from": "2026-12-01", "to": "2026-12-01"})).text
    assert "<tr><td>2026-12-01</td><td>5</td></tr>" in only_first
    assert "2026-12-02</td>" not in only_first

    await as_staff(client)  # the session's app, in Paris
    paris_page = (await client.get(url)).text
    assert "<tr><td>2026-12-02</td><td>11</td></tr>" in paris_page
    assert "heure locale (Europe/Paris)" in text_of(paris_page)


# Paris changes from summer time (+02:00) to winter time (+01:00) on 25 October 2026 at
# 03:00: the same UTC hour is 00:30 before and 23:30 after, both on the 25th.
BEFORE_CHANGE = dt.datetime(2026, 10, 24, 22, 30, tzinfo=dt.UTC)
AFTER_CHANGE = dt.datetime(2026, 10, 25, 22, 30, tzinfo=dt.UTC)


async def test_paris_by_default_across_the_autumn_clock_change(client: httpx.AsyncClient) -> None:
    definition = await survey_answered_at(*([BEFORE_CHANGE] * 3 + [AFTER_CHANGE] * 3))
    await as_staff(client)
    page = text_of((await client.get(f"/staff/surveys/{definition.slug}")).text)
    assert "25/10/2026 00:30" in page
    assert "25/10/2026 23:30" in page
    assert "heure locale (Europe/Paris)" in page
    rows = csv_rows(await client.get(f"/staff/surveys/{definition.slug}/export?format=csv"))
    assert rows[0][1] == "submitted_at (heure locale Europe/Paris, avec son décalage)"
    assert (
        sorted(r[1] for r in rows[1:])
        == ["2026-10-25T00:30:00+02:00"] * 3 + ["2026-10-25T23:30:00+01:00"] * 3
    )
    counted = await tallies.count_answers(definition, dashboard_filters.Filters(), PARIS)
    assert counted.days == [(dt.date(2026, 10, 25), "web", 6)]


async def test_team_audit_log_shows_local_times_with_the_zone(
    cayenne: httpx.AsyncClient,
) -> None:
    admin = f"zone-admin-{uuid.uuid4().hex[:8]}@example.org"
    await add_account(admin, PASSWORD, Role.ADMIN, actor="test")
    assert (await login(cayenne, admin)).status_code == 303
    async with connection() as conn:
        at = await conn.fetchval(
            "SELECT at FROM team_audit WHERE target = $1 ORDER BY id DESC LIMIT 1", admin
        )
    page = words((await cayenne.get("/staff/team")).text)
    assert "UTC" not in page
    assert "Quand heure locale (America/Cayenne)" in page
    assert at.astimezone(CAYENNE).strftime("%d/%m/%Y %H:%M") in page


def test_invitation_mail_gives_the_closing_time_on_the_territory_clock() -> None:
    smtp = SmtpSettings(host="mail.example.org", sender="Mairie <mairie@example.org>")
    message = compose(
        smtp,
        to="ana@example.org",
        language="fr",
        title="Quartiers",
        sender="La mairie",
        link="https://parlons.example.org/s/quartiers",
        code="ABCDEFGH",
        closes_at=dt.datetime(2030, 6, 30, 21, 0, tzinfo=dt.UTC),
        anonymous=False,
        time_zone=CAYENNE,
    )
    assert "jusqu'au 30/06/2030 à 18:00" in message.get_content()


async def test_daily_purge_is_queued_at_three_in_the_instance_zone() -> None:
    async with connection() as conn:
        await conn.execute("DELETE FROM jobs WHERE kind = $1", PURGE_KIND)
    await jobs.schedule_daily(job_registry(None), time_zone=CAYENNE, kinds=[PURGE_KIND])
    now = dt.datetime.now(CAYENNE)
    first = now.date() if now.hour < 3 else now.date() + dt.timedelta(days=1)
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT id, run_after, unique_key FROM jobs WHERE kind = $1", PURGE_KIND
        )
    assert row["unique_key"] == f"{PURGE_KIND}@{first.isoformat()}"
    assert row["run_after"] == dt.datetime.combine(first, dt.time(3), CAYENNE)
    assert row["run_after"].astimezone(dt.UTC).hour == 6
    # Without the zone, the worker leaves a daily job where it is.
    async with connection() as conn:
        await conn.execute("UPDATE jobs SET run_after = now() WHERE id = $1", row["id"])
    assert await jobs.run_next(job_registry(None), [PURGE_KIND]) is None
    assert await jobs.run_next(job_registry(None), [PURGE_KIND], time_zone=CAYENNE) == row["id"]
    async with connection() as conn:
        after = await conn.fetch(
            "SELECT state, run_after FROM jobs WHERE kind = $1 ORDER BY run_after", PURGE_KIND
        )
    assert [r["state"] for r in after] == ["done", "queued"]
    next_day = first + dt.timedelta(days=1)
    assert after[1]["run_after"] == dt.datetime.combine(next_day, dt.time(3), CAYENNE)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_served_app_schedules_its_daily_jobs_in_the_configured_zone(
    database_url: str, tmp_path: Path
) -> None:
    async with connection() as conn:
        await conn.execute("DELETE FROM jobs WHERE kind = $1", PURGE_KIND)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PARLONS_DATA_DIR": str(tmp_path),
        "PARLONS_SECRET_KEY": "w" * 40,
        "PARLONS_TIME_ZONE": "America/Cayenne",
        "PARLONS_JOB_KINDS": PURGE_KIND,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "survey", "serve", "--port", str(_free_port())],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        row = None
        while row is None and time.monotonic() < deadline:
            await asyncio.sleep(0.3)
            async with connection() as conn:
                row = await conn.fetchrow(
                    "SELECT run_after FROM jobs WHERE kind = $1 AND state = 'queued'", PURGE_KIND
                )
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert row is not None, "the served app queued no daily purge"
    local = row["run_after"].astimezone(CAYENNE)
    assert (local.hour, local.minute) == (3, 0)


async def test_sortition_draw_is_dated_on_the_territory_clock(cayenne: httpx.AsyncClient) -> None:
    from survey.models.sortition import SortitionDraw
    from tests.factories.council import make_council
    from tests.survey.web.test_sortition import (
        draw_fields,
        plan_page,
        send_draw,
        url,
        volunteers,
    )

    definition = await volunteers(bissy=6, centre=6)
    council, _ = await make_council(0)
    await as_staff(cayenne)
    page = await plan_page(cayenne, council, definition)
    response = await send_draw(cayenne, url(council), draw_fields(page, definition))
    assert response.status_code == 303
    draw = await SortitionDraw.get(council_id=council.id)
    report = words((await cayenne.get(response.headers["location"])).text)
    shown = draw.created_at.astimezone(CAYENNE).strftime("%d/%m/%Y %H:%M")
    assert f"Date {shown} · heure locale (America/Cayenne)" in report
    assert "UTC" not in report
    listing = words((await cayenne.get(url(council))).text)
    assert f"Tirage du {shown}" in listing
