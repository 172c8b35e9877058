"""Brute force and floods: login throttling, sessions ended everywhere, submission limits."""

from __future__ import annotations

import functools
import uuid

import httpx
import pytest

from survey.app import create_app
from survey.domain.accounts import create_user
from survey.enums import Role
from survey.settings import load
from survey.web.ratelimit import Limiter, RateLimited
from tests.factories import VALID_ANSWERS, make_survey
from tests.htmlform import field_value, hidden_fields, post_form, text_of
from tests.survey.test_staff import PASSWORD, login, staff_user

pytestmark = pytest.mark.usefixtures("orm")


def test_limiter_counts_per_client_and_per_session() -> None:
    limiter = Limiter(per_client=5, per_session=3)
    for _ in range(3):
        limiter.hit("10.0.0.1", "a", now=0)
    with pytest.raises(RateLimited):
        limiter.hit("10.0.0.1", "a", now=1)
    limiter.hit("10.0.0.1", "b", now=2)  # another resident on the same Wi-Fi
    with pytest.raises(RateLimited):
        limiter.hit("10.0.0.1", "c", now=3)  # the address as a whole is now over 5
    limiter.hit("10.0.0.1", "a", now=61)  # a new minute starts afresh


async def test_submission_flood_gets_a_clear_429(orm: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = load(
        {
            "PARLONS_DATA_DIR": str(tmp_path),
            "PARLONS_SECRET_KEY": "q" * 40,
            "PARLONS_SUBMISSIONS_PER_MINUTE": "100",
        }
    )
    app = create_app(settings, orm, run_jobs=False)
    # One fixed moment: on a slow machine the posts could straddle two one-minute windows.
    app.state.limiter.hit = functools.partial(app.state.limiter.hit, now=600.0)
    definition = await make_survey()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        page = (await client.get(f"/s/{definition.slug}")).text
        data = hidden_fields(page) + [
            ("q_quartier", "bissy"),
            ("q_age", "30-44"),
            ("action", "next"),
        ]
        statuses = [
            (await post_form(client, f"/s/{definition.slug}", data)).status_code for _ in range(12)
        ]
        assert statuses[:10] == [200] * 10
        assert statuses[10:] == [429, 429]
        limited = await post_form(client, f"/s/{definition.slug}", data)
        assert "Patientez une minute" in text_of(limited.text)


async def test_login_is_throttled_after_repeated_failures(client: httpx.AsyncClient) -> None:
    email = f"brute-{uuid.uuid4().hex[:6]}@example.org"
    await staff_user(email)
    for _ in range(5):
        assert (await login(client, email, "wrong password!")).status_code == 401
    blocked = await login(client, email)  # even the right password is refused for now
    assert blocked.status_code == 429
    assert "Trop d'essais de connexion" in text_of(blocked.text)
    assert (await client.get("/staff")).status_code == 303


async def test_logout_everywhere_ends_other_sessions(app) -> None:  # type: ignore[no-untyped-def]
    email = f"everywhere-{uuid.uuid4().hex[:6]}@example.org"
    await staff_user(email)
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://t") as laptop,
        httpx.AsyncClient(transport=transport, base_url="http://t") as phone,
    ):
        await login(laptop, email)
        await login(phone, email)
        assert (await phone.get("/staff")).status_code == 200
        csrf = field_value((await laptop.get("/staff")).text, "csrf")
        out = await post_form(laptop, "/staff/logout-everywhere", [("csrf", csrf)])
        assert out.status_code == 303
        assert (await phone.get("/staff")).status_code == 303
        await login(phone, email)
        assert (await phone.get("/staff")).status_code == 200


async def test_admin_routes_refuse_plain_staff(client: httpx.AsyncClient) -> None:
    staff_email = f"plain-{uuid.uuid4().hex[:6]}@example.org"
    await staff_user(staff_email)
    await login(client, staff_email)
    assert (await client.get("/staff/register")).status_code == 403
    admin_email = f"admin-{uuid.uuid4().hex[:6]}@example.org"
    await create_user(admin_email, PASSWORD, Role.ADMIN)
    client.cookies.clear()
    await login(client, admin_email)
    response = await client.get("/staff/register")
    assert response.status_code == 200
    assert response.json()[0]["survey"]


async def test_security_headers_on_every_page(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    for path in ("/", f"/s/{definition.slug}", "/staff/login", "/accessibilite", "/nope"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
    assert VALID_ANSWERS
