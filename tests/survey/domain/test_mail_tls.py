"""Invitation mail over TLS: STARTTLS with a login and implicit TLS reach a real SMTP server
(aiosmtpd on 127.0.0.1, certificate from a test authority); an untrusted certificate or a
server without STARTTLS gets nothing, not even the login."""

from __future__ import annotations

import contextlib
import dataclasses
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from survey.domain import mail
from survey.settings import SmtpSettings
from tests.factories import make_survey
from tests.factories.staff import log_in
from tests.survey.domain.test_mail import (
    APP_JOBS,
    SENDER,
    Inbox,
    free_port,
    mail_rows,
    post_addresses,
    run_due_jobs,
)

pytestmark = pytest.mark.usefixtures("orm")

USER, PASSWORD = "mairie", "mot-de-passe-du-relais"


class Logins:
    """aiosmtpd authenticator: accepts one user, records every attempt."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        assert isinstance(auth_data, LoginPassword)
        self.attempts.append(auth_data.login.decode())
        ok = (auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode())
        return AuthResult(success=ok)


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    ca = trustme.CA()
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, path


def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def trusted(authority, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """The sending side trusts the test authority, as a system would trust a public one."""
    monkeypatch.setenv("SSL_CERT_FILE", str(authority[1]))
    mail._tls_context.cache_clear()
    yield
    mail._tls_context.cache_clear()


@pytest.fixture
def untrusted() -> Iterator[None]:
    mail._tls_context.cache_clear()
    yield
    mail._tls_context.cache_clear()


@contextlib.contextmanager
def serving(controller: Controller) -> Iterator[Controller]:
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def starttls_server(inbox: Inbox, logins: Logins, ca: trustme.CA, port: int) -> Controller:
    """A submission server: STARTTLS before anything else, and a login only over TLS."""
    return Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context(ca),
        require_starttls=True,
        authenticator=logins,
        auth_require_tls=True,
    )


async def staff_client(orm: str, settings, smtp: SmtpSettings) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    from survey.app import create_app

    app = create_app(dataclasses.replace(settings, smtp=smtp), orm)
    APP_JOBS.append(app.state.jobs)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            await log_in(client)
            yield client
    finally:
        APP_JOBS.remove(app.state.jobs)


async def send_one(orm: str, settings, smtp: SmtpSettings, address: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    """Post one address to an invitation survey's mail form, run the job, return its row."""
    async for client in staff_client(orm, settings, smtp):
        definition = await make_survey(access={"mode": "invitation"})
        done = await post_addresses(client, definition.slug, address)
        assert done.status_code == 303
        await run_due_jobs()
    (row,) = await mail_rows(definition.id)
    return row


def settings_for(port: int, tls: str, *, login: bool = True) -> SmtpSettings:
    credentials = {"user": USER, "password": PASSWORD} if login else {}
    return SmtpSettings(host="127.0.0.1", port=port, sender=SENDER, tls=tls, **credentials)


async def test_starttls_with_login_delivers(orm: str, settings, authority, trusted) -> None:  # type: ignore[no-untyped-def]
    inbox, logins, port = Inbox(), Logins(), free_port()
    with serving(starttls_server(inbox, logins, authority[0], port)):
        row = await send_one(orm, settings, settings_for(port, "starttls"), "ana@example.org")
    assert (row["status"], row["error"]) == ("sent", "")
    assert [to for to, _ in inbox.messages] == [["ana@example.org"]]
    assert logins.attempts == [USER]


async def test_implicit_tls_delivers(orm: str, settings, authority, trusted) -> None:  # type: ignore[no-untyped-def]
    inbox, port = Inbox(), free_port()
    server = Controller(
        inbox, hostname="127.0.0.1", port=port, ssl_context=server_context(authority[0])
    )
    with serving(server):
        smtp = settings_for(port, "tls", login=False)
        row = await send_one(orm, settings, smtp, "ben@example.org")
    assert row["status"] == "sent"
    assert [to for to, _ in inbox.messages] == [["ben@example.org"]]


async def test_untrusted_certificate_sends_nothing(
    orm: str, settings, authority, untrusted
) -> None:  # type: ignore[no-untyped-def]
    inbox, logins, port = Inbox(), Logins(), free_port()
    with serving(starttls_server(inbox, logins, authority[0], port)):
        row = await send_one(orm, settings, settings_for(port, "starttls"), "chloe@example.org")
    assert row["status"] == "queued" and row["attempts"] == 1  # tried again later
    assert "CERTIFICATE_VERIFY_FAILED" in row["error"]
    assert inbox.messages == [] and logins.attempts == []


async def test_server_without_starttls_gets_no_plain_text_fallback(
    orm: str, settings, trusted
) -> None:  # type: ignore[no-untyped-def]
    inbox, port = Inbox(), free_port()
    with serving(Controller(inbox, hostname="127.0.0.1", port=port)):
        row = await send_one(orm, settings, settings_for(port, "starttls"), "dan@example.org")
    assert row["status"] == "queued"
    assert "STARTTLS" in row["error"]
    assert inbox.messages == []
