"""Consultation dates are typed and shown in the instance's time zone, labelled with it."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest

from survey.domain.consultations import get_consultation
from survey.settings import load
from tests.factories.council import make_council, member_login
from tests.factories.staff import login, staff_user
from tests.htmlform import field_value, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")
ZONE = "America/Cayenne"  # UTC-3 all year: no clock change to reason about


@pytest.fixture
async def cayenne(orm: str, tmp_path) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    from survey.app import create_app

    settings = load(
        {
            "PARLONS_DATA_DIR": str(tmp_path),
            "PARLONS_SECRET_KEY": "z" * 40,
            "PARLONS_SUBMISSIONS_PER_MINUTE": "1000000",
            "PARLONS_TIME_ZONE": ZONE,
        }
    )
    transport = httpx.ASGITransport(app=create_app(settings, orm))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_consultation_dates_are_typed_and_shown_in_the_instance_zone(
    cayenne: httpx.AsyncClient,
) -> None:
    council, (member, *_) = await make_council(1)
    await staff_user(email := "zone-council@council.example.org")
    await login(cayenne, email)
    base = f"/staff/councils/{council.id}"
    form = await cayenne.get(f"{base}/consultations/new")
    assert form.status_code == 200
    hint = " ".join(text_of(form.text).split())
    assert f"Dates en heure locale ({ZONE})." in hint
    assert "UTC" not in hint
    created = await post_form(
        cayenne,
        f"{base}/consultations",
        [
            ("csrf", field_value(form.text, "csrf")),
            ("title", "Marché du samedi"),
            ("method", "approval"),
            ("opens_at", "2026-12-01T18:00"),
            ("closes_at", "2030-12-15T20:30"),
            ("secret", "1"),
        ],
    )
    assert created.status_code == 303
    consultation_id = int(created.headers["location"].rsplit("/", 1)[1])
    stored = await get_consultation(council.id, consultation_id)
    # 18:00 in Cayenne is 21:00 UTC.
    assert stored.opens_at == dt.datetime(2026, 12, 1, 21, 0, tzinfo=dt.UTC)
    assert stored.closes_at == dt.datetime(2030, 12, 15, 23, 30, tzinfo=dt.UTC)
    page = " ".join(text_of((await cayenne.get(created.headers["location"])).text).split())
    assert f"01/12/2026 18:00, heure locale ({ZONE})" in page
    assert f"15/12/2030 20:30, heure locale ({ZONE})" in page
    assert "UTC" not in page

    # The member's ballot says when voting closes, in the same zone.
    from survey.domain.consultation_options import create_options
    from survey.domain.consultations import open_consultation

    await create_options(stored, [("Bus", "", None), ("Banc", "", None)], actor="t")
    await open_consultation(council.id, stored.id, actor="t")
    await member_login(cayenne, member)
    ballot = " ".join(text_of((await cayenne.get(f"/c/v/{stored.id}")).text).split())
    assert f"clôture le 15/12/2030 20:30, heure locale ({ZONE})" in ballot


async def test_unreadable_date_is_refused_next_to_its_field_and_kept(
    cayenne: httpx.AsyncClient,
) -> None:
    council, _ = await make_council(1)
    await staff_user(email := "zone-council-bad@council.example.org")
    await login(cayenne, email)
    base = f"/staff/councils/{council.id}"
    form = await cayenne.get(f"{base}/consultations/new")
    refused = await post_form(
        cayenne,
        f"{base}/consultations",
        [
            ("csrf", field_value(form.text, "csrf")),
            ("title", ""),
            ("method", "approval"),
            ("opens_at", "le 3 mars"),
            ("closes_at", "2026-12-15T20:30"),
        ],
    )
    assert refused.status_code == 422
    assert 'id="e-opens_at"' in refused.text
    assert "Date invalide." in text_of(refused.text)
    assert 'value="le 3 mars"' in refused.text
    # Every error at once, in the order of the form: the title first, then the date.
    summary = refused.text[refused.text.index('class="error-summary"') :]
    assert summary.index("#f-title") < summary.index("#f-opens_at")
