"""Brute force and floods: login throttling, sessions ended everywhere, submission limits."""

from __future__ import annotations

import asyncio
import functools
import threading
import uuid
from typing import Literal

import httpx
import pytest
from argon2 import PasswordHasher

from survey.app import create_app
from survey.domain import accounts
from survey.domain.accounts import create_user
from survey.enums import Role
from survey.settings import load
from survey.web.ratelimit import Limiter, RateLimited
from tests.factories import VALID_ANSWERS, make_survey
from tests.factories.staff import PASSWORD, login, staff_user
from tests.htmlform import field_value, hidden_fields, post_form, text_of

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


class RecordingHasher(PasswordHasher):
    """The real argon2 hasher, noting the thread of each verification (and able to hold one)."""

    def __init__(self, hold: threading.Event | None = None) -> None:
        super().__init__()
        self.threads: list[int] = []
        self.hold = hold

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.threads.append(threading.get_ident())
        if self.hold is not None:
            self.hold.wait(10)
        return super().verify(hash, password)


def from_address(app, address: str) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://t")


def _address() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


async def _login_posts(client: httpx.AsyncClient, tries: list[tuple[str, str]]) -> list[int]:
    csrf = field_value((await client.get("/staff/login")).text, "csrf")
    posts = [
        post_form(client, "/staff/login", [("csrf", csrf), ("email", e), ("password", p)])
        for e, p in tries
    ]
    return [r.status_code for r in await asyncio.gather(*posts)]


async def test_concurrent_logins_on_one_email_are_evaluated_at_most_the_limit(
    app, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    hasher = RecordingHasher()
    monkeypatch.setattr(accounts, "_hasher", hasher)
    email = f"race-{uuid.uuid4().hex[:6]}@example.org"
    await staff_user(email)
    tries = [(email, "wrong password!")] * 39
    tries.insert(20, (email, PASSWORD))
    async with from_address(app, _address()) as client:
        statuses = await _login_posts(client, tries)
        evaluated = [s for s in statuses if s != 429]
        assert len(hasher.threads) == len(evaluated) <= accounts.MAX_FAILURES_PER_EMAIL
        assert set(evaluated) <= {401, 303}
        assert statuses.count(429) == 40 - len(evaluated)
        if 303 not in statuses:  # the right password came once over the limit: refused
            assert (await login(client, email)).status_code == 429


async def test_concurrent_logins_from_one_client_are_evaluated_at_most_the_limit(
    app, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    hasher = RecordingHasher()
    monkeypatch.setattr(accounts, "_hasher", hasher)
    tries = [(f"nobody-{i}-{uuid.uuid4().hex[:6]}@example.org", "guess!") for i in range(60)]
    async with from_address(app, _address()) as client:
        statuses = await _login_posts(client, tries)
    assert statuses.count(401) == len(hasher.threads) == accounts.MAX_FAILURES_PER_CLIENT
    assert statuses.count(429) == 60 - accounts.MAX_FAILURES_PER_CLIENT


async def test_password_is_verified_off_the_event_loop(
    app, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    hold = threading.Event()
    hasher = RecordingHasher(hold)
    monkeypatch.setattr(accounts, "_hasher", hasher)
    definition = await make_survey()
    email = f"thread-{uuid.uuid4().hex[:6]}@example.org"
    await staff_user(email)
    async with from_address(app, _address()) as staff, from_address(app, _address()) as resident:
        logging_in = asyncio.create_task(login(staff, email))
        while not hasher.threads:  # the verification has started, and is held
            await asyncio.sleep(0.01)
        # Served while the password check is still running: it does not hold the event loop.
        page = await resident.get(f"/s/{definition.slug}")
        assert page.status_code == 200
        assert not logging_in.done()
        hold.set()
        assert (await logging_in).status_code == 303
    assert hasher.threads[0] != threading.get_ident()


async def test_staff_login_is_not_counted_by_the_submission_limiter(orm: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = load(
        {
            "PARLONS_DATA_DIR": str(tmp_path),
            "PARLONS_SECRET_KEY": "q" * 40,
            "PARLONS_SUBMISSIONS_PER_MINUTE": "20",
        }
    )
    app = create_app(settings, orm, run_jobs=False)
    app.state.limiter.hit = functools.partial(app.state.limiter.hit, now=600.0)
    definition = await make_survey()
    email = f"shared-{uuid.uuid4().hex[:6]}@example.org"
    await staff_user(email)
    address = _address()
    statuses = []
    for _ in range(3):  # three residents behind the town hall's Wi-Fi, posting fast
        async with from_address(app, address) as resident:
            page = (await resident.get(f"/s/{definition.slug}")).text
            data = hidden_fields(page) + [("q_quartier", "bissy"), ("action", "next")]
            for _ in range(8):
                statuses.append(
                    (await post_form(resident, f"/s/{definition.slug}", data)).status_code
                )
    assert statuses.count(429) == 4  # the address is over its 20 posts a minute
    async with from_address(app, address) as staff:
        assert (await login(staff, email)).status_code == 303
        assert (await staff.get("/staff")).status_code == 200


def replaying(client: httpx.AsyncClient, cookies: dict[str, str]) -> httpx.AsyncClient:
    """Another browser holding a copy of ``client``'s cookies."""
    return httpx.AsyncClient(transport=client._transport, base_url=client.base_url, cookies=cookies)


async def test_logout_ends_the_session_on_the_server(client: httpx.AsyncClient) -> None:
    email = f"logout-{uuid.uuid4().hex[:6]}@example.org"
    await staff_user(email)
    await login(client, email)
    copied = dict(client.cookies)
    csrf = field_value((await client.get("/staff")).text, "csrf")
    assert (await post_form(client, "/staff/logout", [("csrf", csrf)])).status_code == 303
    async with replaying(client, copied) as thief:  # the cookie from before, replayed
        replayed = await thief.get("/staff")
        assert replayed.status_code == 303
        assert replayed.headers["location"].startswith("/staff/login")
    await login(client, email)
    assert (await client.get("/staff")).status_code == 200


async def test_logout_everywhere_refuses_a_replayed_cookie(client: httpx.AsyncClient) -> None:
    email = f"replay-{uuid.uuid4().hex[:6]}@example.org"
    await staff_user(email)
    await login(client, email)
    copied = dict(client.cookies)
    csrf = field_value((await client.get("/staff")).text, "csrf")
    await post_form(client, "/staff/logout-everywhere", [("csrf", csrf)])
    async with replaying(client, copied) as thief:
        assert (await thief.get("/staff")).status_code == 303


@pytest.mark.parametrize(
    ("base_url", "flag", "secure"),
    [
        ("https://mairie.example.org", None, True),
        ("http://127.0.0.1:8000", None, False),
        ("", None, False),
        ("https://mairie.example.org", "0", False),
        ("", "1", True),
    ],
)
async def test_session_cookie_is_secure_on_an_https_site(
    orm: str, tmp_path, base_url: str, flag: str | None, secure: bool
) -> None:  # type: ignore[no-untyped-def]
    env = {"PARLONS_DATA_DIR": str(tmp_path), "PARLONS_SECRET_KEY": "s" * 40}
    env["PARLONS_BASE_URL"] = base_url
    if flag is not None:
        env["PARLONS_SECURE_COOKIES"] = flag
    app = create_app(load(env), orm, run_jobs=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        cookie = (await c.get("/staff/login")).headers["set-cookie"]
    assert cookie.startswith("parlons_session=")
    assert ("; secure" in cookie.lower()) == secure
