"""Invitation codes sent by e-mail: staff post addresses, jobs send through a real SMTP
server (aiosmtpd on 127.0.0.1), statuses and retries show on the codes page."""

from __future__ import annotations

import asyncio
import dataclasses
import email
import email.policy
import html
import re
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller

from survey.db import credentials
from survey.domain import jobs, mail
from survey.domain.access_codes import display_code, normalise_code
from survey.domain.answering import Invitation, submit_response
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.invitations import list_invitations
from survey.domain.job_kinds import job_registry
from survey.errors import SurveyError
from survey.settings import ConfigError, SmtpSettings, load
from tests.factories import PARIS, VALID_ANSWERS, make_survey
from tests.factories.resident import post_step
from tests.factories.staff import log_in, send
from tests.htmlform import field_value, text_of

pytestmark = pytest.mark.usefixtures("orm")

SENDER = "Mairie de Bissy <mairie@bissy.example>"
# A mail server for the direct calls below, refused before anything is sent.
SMTP = SmtpSettings(host="127.0.0.1", port=25, sender=SENDER, tls="none")


class Inbox:
    """An aiosmtpd handler that keeps every message; refuses recipients named "refuse"."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]  # noqa: N802
        if address.startswith("refuse"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


async def _client_with_smtp(orm: str, settings, port: int) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    from survey.app import create_app

    smtp = SmtpSettings(host="127.0.0.1", port=port, sender=SENDER, tls="none")
    app = create_app(dataclasses.replace(settings, smtp=smtp), orm)
    transport = httpx.ASGITransport(app=app)
    APP_JOBS.append(app.state.jobs)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c
    finally:
        APP_JOBS.remove(app.state.jobs)


@pytest.fixture
async def staff(orm: str, settings, smtp_server) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """A logged-in staff member on an app whose mail server is the test server."""
    async for c in _client_with_smtp(orm, settings, smtp_server[0]):
        await log_in(c)
        yield c


@pytest.fixture
async def staff_no_server(orm: str, settings) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """Mail configured, but nothing listens on its port."""
    async for c in _client_with_smtp(orm, settings, free_port()):
        await log_in(c)
        yield c


# The job registries of the apps the running test posts to (each app builds its own).
APP_JOBS: list[jobs.JobRegistry] = []


async def run_due_jobs(registry: jobs.JobRegistry | None = None) -> list[int]:
    """Run the due jobs with ``registry``, by default that of the test's app."""
    registry = registry or APP_JOBS[-1]
    ran = []
    for _ in range(200):
        job_id = await jobs.run_next(registry, time_zone=PARIS)
        if job_id is None:
            break
        ran.append(job_id)
    return ran


async def post_addresses(
    client: httpx.AsyncClient, slug: str, addresses: str, *, language: str = "fr"
) -> httpx.Response:
    return await send(
        client,
        f"/staff/surveys/{slug}/codes/mail",
        [
            ("addresses", addresses),
            ("sender", "Le service vie associative"),
            ("language", language),
        ],
    )


async def mail_rows(survey_id: int) -> list[dict]:  # type: ignore[type-arg]
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT m.*, i.code, j.id AS job_id, j.state AS job_state, j.run_after,"
            " j.run_after > now() AS later FROM invitation_mails m"
            " JOIN invitations i ON i.id = m.invitation_id"
            " JOIN LATERAL (SELECT * FROM jobs WHERE kind = 'invitation_mail'"
            " AND (payload->>'mail')::bigint = m.id ORDER BY id DESC LIMIT 1) j ON true"
            " WHERE m.survey_id = $1 ORDER BY m.id",
            survey_id,
        )
    return [dict(r) for r in rows]


def textarea(page: str, name: str) -> str:
    found = re.search(rf'<textarea[^>]* name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found is not None
    return html.unescape(found.group(1))


def input_value(page: str, name: str) -> str:
    found = re.search(rf'<input[^>]* name="{name}"[^>]* value="([^"]*)"', page)
    assert found is not None
    return html.unescape(found.group(1))


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def test_mailed_codes_reach_each_address_with_link_and_code(
    staff: httpx.AsyncClient, smtp_server
) -> None:  # type: ignore[no-untyped-def]
    _, inbox = smtp_server
    definition = await make_survey(
        access={"mode": "invitation", "closes_at": "2030-06-30T18:00:00+02:00"}
    )
    page = await staff.get(f"/staff/surveys/{definition.slug}/codes")
    assert f'action="/staff/surveys/{definition.slug}/codes/mail"' in page.text
    done = await post_addresses(
        staff,
        definition.slug,
        "ana@example.org\nBen Martin <ben@Example.ORG>\n ANA@example.org ; ben@example.org\n",
    )
    assert done.status_code == 303
    assert "queued=2&skipped=0" in done.headers["location"]
    assert inbox.messages == []  # nothing is sent during the staff's request
    assert [r["status"] for r in await mail_rows(definition.id)] == ["queued", "queued"]

    await run_due_jobs()

    assert sorted(to for to, _ in inbox.messages) == [["ana@example.org"], ["ben@example.org"]]
    codes = set()
    for _, message in inbox.messages:
        assert message["Subject"] == "Invitation : Vos besoins dans votre quartier"
        assert message["From"] == SENDER
        body = body_of(message)
        link = re.search(r"http://testserver/s/\S+", body)
        assert link is not None
        code = link.group(0).split("invitation=")[1]
        assert link.group(0) == f"http://testserver/s/{definition.slug}?invitation={code}"
        assert f"et taper votre code : {display_code(code)}" in body
        assert "Le service vie associative vous invite" in body
        assert "jusqu'au 30/06/2030 à 18:00" in body
        codes.add(code)
    assert len(codes) == 2
    rows = await mail_rows(definition.id)
    assert {r["code"] for r in rows} == codes
    assert [(r["status"], r["email"], r["attempts"]) for r in rows] == [("sent", None, 1)] * 2
    assert [r["masked"] for r in rows] == ["a•••@example.org", "b•••@example.org"]
    assert {r["job_state"] for r in rows} == {"done"}
    # E-mailed codes are not offered again on the printable sheet.
    assert await list_invitations(definition, unused_only=True) == []
    listing = text_of((await staff.get(f"/staff/surveys/{definition.slug}/codes")).text)
    assert "0 en attente, 2 envoyés, 0 en échec" in listing
    assert listing.count("Envoyé le") == 2
    assert "ana@example.org" not in listing

    # The link from the message opens the survey with the code filled in.
    resident = httpx.AsyncClient(transport=staff._transport, base_url="http://testserver")
    opened = await resident.get(link.group(0).removeprefix("http://testserver"))
    assert field_value(opened.text, "invite") == normalise_code(code)
    await resident.aclose()

    # The same address again gets no second code.
    again = await post_addresses(staff, definition.slug, "Ana@example.org")
    assert "queued=0&skipped=1" in again.headers["location"]
    assert "1 adresse déjà invitée" in text_of((await staff.get(again.headers["location"])).text)
    assert len(await mail_rows(definition.id)) == 2


async def test_invalid_addresses_are_listed_and_nothing_is_queued(
    staff: httpx.AsyncClient,
) -> None:
    definition = await make_survey(access={"mode": "invitation"})
    page = await post_addresses(
        staff,
        definition.slug,
        "ana@example.org\npas-une-adresse\nbob@@example.org\nana@example.org",
    )
    assert page.status_code == 422
    assert 'id="e-addresses"' in page.text
    assert 'aria-invalid="true"' in page.text
    assert (
        "2 entrées ne sont pas des adresses e-mail : pas-une-adresse, bob@@example.org."
        in text_of(page.text)
    )
    assert textarea(page.text, "addresses") == "ana@example.org"
    assert input_value(page.text, "sender") == "Le service vie associative"
    empty = await send(
        staff,
        f"/staff/surveys/{definition.slug}/codes/mail",
        [("addresses", " \n"), ("sender", ""), ("language", "fr")],
    )
    assert empty.status_code == 422
    assert "Indiquez au moins une adresse e-mail." in text_of(empty.text)
    assert "Indiquez qui envoie l'invitation." in text_of(empty.text)
    async with connection() as conn:
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM invitations WHERE survey_id = $1) AS codes,"
            " (SELECT count(*) FROM invitation_mails WHERE survey_id = $1) AS mails",
            definition.id,
        )
    assert dict(counts) == {"codes": 0, "mails": 0}


async def test_unreachable_server_is_retried_later_then_failed(
    staff_no_server: httpx.AsyncClient,
) -> None:
    definition = await make_survey(access={"mode": "invitation"})
    done = await post_addresses(staff_no_server, definition.slug, "chloe@example.org")
    assert done.status_code == 303
    await run_due_jobs()
    (row,) = await mail_rows(definition.id)
    assert (row["status"], row["attempts"], row["job_state"]) == ("queued", 1, "queued")
    assert row["later"]  # queued again for later, the worker is free meanwhile
    assert "ConnectionRefusedError" in row["error"]
    assert row["email"] == "chloe@example.org"
    assert row["job_id"] not in await run_due_jobs()  # not taken before its time
    listing = text_of((await staff_no_server.get(f"/staff/surveys/{definition.slug}/codes")).text)
    assert "Nouvel essai prévu" in listing

    for attempt in range(2, len(mail.RETRY_DELAYS) + 2):
        async with connection() as conn:  # as if the wait were over
            await conn.execute("UPDATE jobs SET run_after = now() WHERE id = $1", row["job_id"])
        assert row["job_id"] in await run_due_jobs()
        (row,) = await mail_rows(definition.id)
        assert row["attempts"] == attempt

    assert (row["status"], row["job_state"]) == ("failed", "failed")
    # Kept after a failure so that staff see which address to correct.
    assert row["email"] == "chloe@example.org"
    listing = text_of((await staff_no_server.get(f"/staff/surveys/{definition.slug}/codes")).text)
    assert "1 en attente" not in listing
    assert "0 en attente, 0 envoyé, 1 en échec" in listing
    assert "Échec : ConnectionRefusedError" in listing


async def test_a_process_without_mail_server_leaves_mail_jobs_queued(
    staff: httpx.AsyncClient, smtp_server
) -> None:  # type: ignore[no-untyped-def]
    _, inbox = smtp_server
    definition = await make_survey(access={"mode": "invitation"})
    await post_addresses(staff, definition.slug, "eve@example.org")
    # As in another worker process started without PARLONS_SMTP_*.
    await run_due_jobs(job_registry(None))
    rows = await mail_rows(definition.id)
    assert [r["job_state"] for r in rows] == ["queued"]
    assert inbox.messages == []
    async with connection() as conn:  # not to be sent by the next test's server
        await conn.execute("DELETE FROM jobs WHERE id = $1", rows[0]["job_id"])


async def test_refused_recipient_fails_at_once(staff: httpx.AsyncClient, smtp_server) -> None:  # type: ignore[no-untyped-def]
    _, inbox = smtp_server
    definition = await make_survey(access={"mode": "invitation"})
    await post_addresses(staff, definition.slug, "refuse@example.org\nok@example.org")
    await run_due_jobs()
    rows = {r["masked"]: r for r in await mail_rows(definition.id)}
    refused, ok = rows["r•••@example.org"], rows["o•••@example.org"]
    assert (refused["status"], refused["attempts"]) == ("failed", 1)
    assert refused["error"] == "550 5.1.1 No such mailbox"
    assert ok["status"] == "sent"
    assert [to for to, _ in inbox.messages] == [["ok@example.org"]]


async def test_english_message_and_anonymous_survey_keep_no_link_to_the_answers(
    staff: httpx.AsyncClient, smtp_server
) -> None:  # type: ignore[no-untyped-def]
    _, inbox = smtp_server
    definition = await make_survey(access={"mode": "anonymous"})
    await post_addresses(staff, definition.slug, "dana@example.org", language="en")
    await run_due_jobs()
    ((_, message),) = inbox.messages
    body = body_of(message)
    assert message["Subject"] == "Invitation: Your needs in your neighbourhood"
    assert "Your personal link to answer:" in body
    assert "your answers cannot be linked to this code" in body
    link = re.search(r"http://testserver(/s/\S+)", body)
    assert link is not None and link.group(1).endswith("&lang=en")
    code = link.group(1).split("invitation=")[1].split("&")[0]

    resident = httpx.AsyncClient(transport=staff._transport, base_url="http://testserver")
    page = (await resident.get(f"/s/{definition.slug}?invitation={code}")).text
    for step in range(len(definition.sections)):
        response = await post_step(resident, definition, page, step, VALID_ANSWERS)
        page = response.text
    assert response.status_code == 303
    await resident.aclose()
    async with connection() as conn:
        use = await conn.fetchrow(
            "SELECT u.used_at, u.receipt FROM invitation_uses u"
            " JOIN invitations i ON i.id = u.invitation_id WHERE i.code = $1",
            code,
        )
    assert dict(use) == {"used_at": None, "receipt": None}
    export = await staff.get(f"/staff/surveys/{definition.slug}/export?format=csv")
    assert export.status_code == 200
    assert "dana@example.org" not in export.text
    assert "d•••" not in export.text


async def test_csv_file_fills_the_address_field(staff: httpx.AsyncClient) -> None:
    definition = await make_survey(access={"mode": "invitation"})
    csrf = field_value((await staff.get("/staff")).text, "csrf")
    data = (
        "Nom;Courriel;Ville\nAna;ana@example.org;Bissy\nBen;pas une adresse;Bissy\n"
        "Cléo;cleo@example.org;Bissy\n"
    )
    page = await staff.post(
        f"/staff/surveys/{definition.slug}/codes/mail-file",
        data={"csrf": csrf},
        files={"file": ("adresses.csv", data.encode("cp1252"), "text/csv")},
    )
    assert page.status_code == 200
    assert textarea(page.text, "addresses") == "ana@example.org\ncleo@example.org"
    assert "1 entrée du fichier n'est pas une adresse e-mail" in text_of(page.text)
    assert await mail_rows(definition.id) == []


async def test_without_mail_server_the_form_is_not_offered(client: httpx.AsyncClient) -> None:
    await log_in(client)
    definition = await make_survey(access={"mode": "invitation"})
    page = await client.get(f"/staff/surveys/{definition.slug}/codes")
    assert "aucun serveur d'envoi (SMTP) n'est configuré" in text_of(page.text)
    assert "/codes/mail" not in page.text
    english = await client.get(f"/staff/surveys/{definition.slug}/codes?lang=en")
    assert "no mail server (SMTP) is configured" in text_of(english.text)
    refused = await post_addresses(client, definition.slug, "ana@example.org")
    assert refused.status_code == 400
    assert await mail_rows(definition.id) == []


async def test_open_survey_offers_no_mail_form(staff: httpx.AsyncClient) -> None:
    definition = await make_survey()
    page = await staff.get(f"/staff/surveys/{definition.slug}/codes")
    assert "il n'y a pas de code à envoyer" in text_of(page.text)
    assert f"/staff/surveys/{definition.slug}/codes/mail" not in page.text


def test_addresses_are_read_one_per_line_without_duplicates() -> None:
    found = mail.read_addresses('a@x.org\r\nB@X.ORG, b@x.org;"Cé <c@x.org>"\n\nnope\nd@x\n')
    assert found.valid == ("a@x.org", "B@x.org", "c@x.org")
    assert found.invalid == ("nope", "d@x")


def test_smtp_settings_are_read_and_checked() -> None:
    base = {"PARLONS_SECRET_KEY": "k" * 40, "PARLONS_DATA_DIR": "/nonexistent-parlons"}
    assert load(base).smtp is None
    smtp = load({**base, "PARLONS_SMTP_HOST": "smtp.example.org", "PARLONS_SMTP_FROM": SENDER})
    assert smtp.smtp == SmtpSettings(host="smtp.example.org", sender=SENDER, port=587)
    tls = load(
        {
            **base,
            "PARLONS_SMTP_HOST": "smtp.example.org",
            "PARLONS_SMTP_FROM": "a@example.org",
            "PARLONS_SMTP_TLS": "tls",
            "PARLONS_SMTP_USER": "a",
            "PARLONS_SMTP_PASSWORD": "secret",
        }
    ).smtp
    assert tls is not None and (tls.port, tls.tls, tls.user) == (465, "tls", "a")
    assert "secret" not in repr(tls)
    for extra, name in (
        ({}, "PARLONS_SMTP_FROM"),
        ({"PARLONS_SMTP_FROM": SENDER, "PARLONS_SMTP_TLS": "ssl3"}, "PARLONS_SMTP_TLS"),
        ({"PARLONS_SMTP_FROM": SENDER, "PARLONS_SMTP_USER": "a"}, "PARLONS_SMTP_PASSWORD"),
        ({"PARLONS_SMTP_FROM": SENDER, "PARLONS_SMTP_PORT": "x"}, "PARLONS_SMTP_PORT"),
    ):
        with pytest.raises(ConfigError, match=name):
            load({**base, "PARLONS_SMTP_HOST": "smtp.example.org", **extra})


def resend_form(page: str, mail_id: int) -> str:
    found = re.search(
        rf'<form method="post" action="[^"]*/codes/mail/{mail_id}/resend[#"].*?</form>', page, re.S
    )
    assert found is not None, "no resend form for this e-mail"
    return found.group(0)


async def test_failed_mail_is_sent_again_to_a_corrected_address_with_a_new_code(
    staff: httpx.AsyncClient, smtp_server
) -> None:  # type: ignore[no-untyped-def]
    _, inbox = smtp_server
    definition = await make_survey(access={"mode": "invitation"})
    await post_addresses(staff, definition.slug, "refuse.ana@example.org\nben@example.org")
    await run_due_jobs()
    failed = next(r for r in await mail_rows(definition.id) if r["status"] == "failed")
    codes_url = f"/staff/surveys/{definition.slug}/codes"
    page = (await staff.get(codes_url)).text
    form = resend_form(page, failed["id"])
    assert input_value(form, "address") == "refuse.ana@example.org"
    assert f"Adresse pour le code {display_code(failed['code'])}" in text_of(form)
    assert "/resend" not in page.replace(form, "")  # only the failed one offers it
    resend_url = f"{codes_url}/mail/{failed['id']}/resend"

    # A typing slip: the message is next to the field, the typed text stays, nothing changes.
    wrong = await send(staff, resend_url, [("address", "ana@example")])
    assert wrong.status_code == 422
    form = resend_form(wrong.text, failed["id"])
    assert 'aria-invalid="true"' in form
    assert "Indiquez une seule adresse e-mail valide" in text_of(form)
    assert input_value(form, "address") == "ana@example"
    # An address already invited to the survey is refused too.
    known = await send(staff, resend_url, [("address", "Ben@example.org")])
    assert known.status_code == 422
    assert "a déjà reçu une invitation" in text_of(resend_form(known.text, failed["id"]))
    assert (await mail_rows(definition.id))[0]["status"] == "failed"

    done = await send(staff, resend_url, [("address", "ana@example.org")])
    assert done.status_code == 303
    assert done.headers["location"].endswith("?resent=1#mail-status")
    again = await send(staff, resend_url, [("address", "ana@example.org")])  # double click
    assert again.status_code == 303
    assert "resent" not in again.headers["location"]  # nothing more was queued
    assert "de nouveau en file d'envoi" in text_of((await staff.get(done.headers["location"])).text)
    await run_due_jobs()

    delivered = [(to, body_of(m)) for to, m in inbox.messages if to == ["ana@example.org"]]
    assert len(delivered) == 1  # once, despite the double click
    row = next(r for r in await mail_rows(definition.id) if r["id"] == failed["id"])
    # Another address, another code: the first one may have reached someone after all.
    assert row["code"] != failed["code"]
    assert f"invitation={row['code']}" in delivered[0][1]
    async with connection() as conn:
        assert not await conn.fetchval("SELECT 1 FROM invitations WHERE code = $1", failed["code"])
    assert (row["status"], row["email"], row["masked"], row["attempts"], row["error"]) == (
        "sent",
        None,
        "a•••@example.org",
        1,
        "",
    )
    # Sent now: no form any more, and posting again changes nothing.
    assert "/resend" not in (await staff.get(codes_url)).text
    late = await send(staff, resend_url, [("address", "x@example.org")])
    assert late.status_code == 303 and "resent" not in late.headers["location"]
    assert len(inbox.messages) == 2


async def test_failed_mail_sent_again_to_the_same_address_keeps_its_code(
    staff: httpx.AsyncClient,
) -> None:
    definition = await make_survey(access={"mode": "invitation"})
    await post_addresses(staff, definition.slug, "refuse.cleo@example.org")
    await run_due_jobs()
    (failed,) = await mail_rows(definition.id)
    url = f"/staff/surveys/{definition.slug}/codes/mail/{failed['id']}/resend"
    done = await send(staff, url, [("address", "refuse.cleo@Example.ORG")])
    assert done.status_code == 303
    (queued,) = await mail_rows(definition.id)
    assert (queued["status"], queued["attempts"], queued["code"]) == ("queued", 0, failed["code"])
    await run_due_jobs()  # refused again by the test server
    (row,) = await mail_rows(definition.id)
    assert (row["status"], row["attempts"], row["code"]) == ("failed", 1, failed["code"])

    # A code someone has answered with did arrive: it is not sent again.
    async with connection() as conn:
        await conn.execute(
            "INSERT INTO invitation_uses (invitation_id, used_at) SELECT id, now()"
            " FROM invitations WHERE code = $1",
            failed["code"],
        )
    used = await send(staff, url, [("address", "refuse.cleo@example.org")])
    assert used.status_code == 422
    assert "Ce code a déjà servi (une réponse envoyée" in text_of(
        resend_form(used.text, failed["id"])
    )
    assert (await mail_rows(definition.id))[0]["status"] == "failed"


async def test_resend_is_refused_once_the_survey_is_open_to_all(
    staff: httpx.AsyncClient, settings
) -> None:  # type: ignore[no-untyped-def]
    definition = await make_survey(access={"mode": "invitation"})
    await post_addresses(staff, definition.slug, "refuse@example.org")
    await run_due_jobs()
    (failed,) = await mail_rows(definition.id)
    opened = dataclasses.replace(definition, access_mode="open")
    with pytest.raises(SurveyError) as refused:
        await mail.resend_failed_mail(
            opened,
            failed["id"],
            "ana@example.org",
            link="http://x",
            secret=settings.secret_key,
            smtp=SMTP,
        )
    assert refused.value.key == "builder.mail_open_mode"
    assert (await mail_rows(definition.id))[0]["status"] == "failed"


async def test_resend_of_an_unknown_or_foreign_mail_is_not_found(
    staff: httpx.AsyncClient,
) -> None:
    mine = await make_survey(access={"mode": "invitation"})
    other = await make_survey(access={"mode": "invitation"})
    await post_addresses(staff, other.slug, "refuse@example.org")
    await run_due_jobs()
    (foreign,) = await mail_rows(other.id)
    for mail_id in (foreign["id"], 999_999_999):
        url = f"/staff/surveys/{mine.slug}/codes/mail/{mail_id}/resend"
        response = await send(staff, url, [("address", "ana@example.org")])
        assert response.status_code == 404
    assert (await mail_rows(other.id))[0]["status"] == "failed"


async def _failed_mail(staff: httpx.AsyncClient) -> tuple[SurveyDef, dict]:  # type: ignore[type-arg]
    definition = await make_survey(access={"mode": "invitation"})
    await post_addresses(staff, definition.slug, "refuse@example.org")
    await run_due_jobs()
    (failed,) = await mail_rows(definition.id)
    assert failed["status"] == "failed"
    return definition, failed


async def test_resend_waits_for_an_answer_in_progress_and_then_sees_it(
    staff: httpx.AsyncClient, settings, orm: str
) -> None:  # type: ignore[no-untyped-def]
    definition, failed = await _failed_mail(staff)
    answering = await asyncpg.connect(**credentials(orm))
    try:
        # A resident's answer with the code, not yet committed.
        transaction = answering.transaction()
        await transaction.start()
        invitation_id = await answering.fetchval(
            "SELECT id FROM invitations WHERE code = $1 FOR KEY SHARE", failed["code"]
        )
        await answering.execute(
            "INSERT INTO invitation_uses (invitation_id, used_at) VALUES ($1, now())",
            invitation_id,
        )
        resend = asyncio.create_task(
            mail.resend_failed_mail(
                definition,
                failed["id"],
                "ana@example.org",
                link="http://x",
                secret=settings.secret_key,
                smtp=SMTP,
            )
        )
        await asyncio.sleep(0.3)
        assert not resend.done()  # held until the answer is committed or not
        await transaction.commit()
        with pytest.raises(mail.MailInvalid) as refused:
            await resend
    finally:
        await answering.close()
    assert refused.value.errors["address"].key == "builder.mail_resend_used"
    async with connection() as conn:
        assert await conn.fetchval(
            "SELECT count(*) FROM invitation_uses WHERE invitation_id = $1", invitation_id
        )
    assert (await mail_rows(definition.id))[0]["code"] == failed["code"]


async def test_an_answer_with_a_code_being_replaced_waits_and_is_told_it_is_unknown(
    staff: httpx.AsyncClient, orm: str
) -> None:
    definition, failed = await _failed_mail(staff)
    replacing = await asyncpg.connect(**credentials(orm))
    try:
        # What a resend to a corrected address does to the old code, not yet committed.
        transaction = replacing.transaction()
        await transaction.start()
        await replacing.execute(
            "SELECT 1 FROM invitations WHERE code = $1 FOR UPDATE", failed["code"]
        )
        answer = asyncio.create_task(
            submit_response(
                definition, {}, key=uuid.uuid4(), language="fr", via=Invitation(failed["code"])
            )
        )
        await asyncio.sleep(0.3)
        assert not answer.done()
        new_invitation = await replacing.fetchval(
            "INSERT INTO invitations (survey_id, code, label, created_at)"
            " VALUES ($1, 'ZZZZ2345', '', now()) RETURNING id",
            definition.id,
        )
        await replacing.execute(
            "UPDATE invitation_mails SET invitation_id = $2 WHERE id = $1",
            failed["id"],
            new_invitation,
        )
        await replacing.execute("DELETE FROM invitations WHERE code = $1", failed["code"])
        await transaction.commit()
        with pytest.raises(SurveyError) as refused:
            await answer
    finally:
        await replacing.close()
    assert refused.value.key == "builder.invitation_unknown"


async def test_a_draft_saved_with_the_code_proves_the_mail_arrived(
    staff: httpx.AsyncClient,
) -> None:
    definition, failed = await _failed_mail(staff)
    async with connection() as conn:
        await conn.execute(
            "INSERT INTO resume_drafts (code, form_values, step, language, invitation,"
            " created_at, expires_at, survey_id)"
            " VALUES ('DRAFT0001', '{}', 1, 'fr', $1, now(), now() + interval '1 day', $2)",
            failed["code"],
            definition.id,
        )
    url = f"/staff/surveys/{definition.slug}/codes/mail/{failed['id']}/resend"
    refused = await send(staff, url, [("address", "ana@example.org")])
    assert refused.status_code == 422
    assert "Ce code a déjà servi" in text_of(resend_form(refused.text, failed["id"]))
    assert (await mail_rows(definition.id))[0]["code"] == failed["code"]
