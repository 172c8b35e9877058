"""Body limits counted while the body streams in: chunked forms and uploads, hang-ups."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from survey.domain.definitions import get_definition
from survey.web.limits import MAX_FORM_BYTES
from tests.factories import make_survey
from tests.factories.staff import csrf, log_in
from tests.htmlform import field_value, text_of
from tests.survey.web.test_polis_import import draft_consultation, import_url, staff_client

pytestmark = pytest.mark.usefixtures("orm")
BOUNDARY = "parlons-fuzz-boundary"
CHUNK = 64 * 1024
UPLOAD_LIMIT = 5 * 1024 * 1024  # the settings' default, which the test app keeps


class Multipart:
    """A multipart body sent chunk by chunk (no Content-Length), counting what was taken."""

    def __init__(self, fields: list[tuple[str, str]], *, files: int = 0, size: int = 0) -> None:
        self.fields, self.files, self.size = fields, files, size
        self.sent = 0

    @property
    def headers(self) -> dict[str, str]:
        return {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}

    def _part(self, name: str, filename: str | None = None) -> bytes:
        disposition = f'form-data; name="{name}"'
        if filename:
            disposition += f'; filename="{filename}"\r\nContent-Type: text/csv'
        return f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()

    async def body(self) -> AsyncIterator[bytes]:
        for name, value in self.fields:
            yield self._count(self._part(name) + value.encode() + b"\r\n")
        for index in range(max(self.files, 1 if self.size else 0)):
            name = ("comments", "votes")[index] if self.files == 2 else "file"
            yield self._count(self._part(name, f"{name}.csv"))
            left = self.size
            while left > 0:
                yield self._count(b"x" * min(CHUNK, left))
                left -= CHUNK
            yield self._count(b"\r\n")
        yield self._count(f"--{BOUNDARY}--\r\n".encode())

    def _count(self, data: bytes) -> bytes:
        self.sent += len(data)
        return data


def many_fields(csrf_token: str) -> list[tuple[str, str]]:
    """The reported attack: 999 fields of 256 KB each (about 250 MB if all were read)."""
    return [("csrf", csrf_token)] + [(f"q_{i}", "a" * MAX_FORM_BYTES) for i in range(999)]


async def test_chunked_forms_are_refused_at_the_limit_unread(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    token = field_value((await client.get("/c/login")).text, "csrf")
    paths = ["/c/login", f"/s/{definition.slug}", "/staff/login"] * 2
    bodies = [Multipart(many_fields(token)) for _ in paths]
    # Six at once, as in the report; each is refused after reading about the limit.
    responses = await asyncio.gather(
        *(
            client.post(p, content=b.body(), headers=b.headers)
            for p, b in zip(paths, bodies, strict=True)
        )
    )
    for path, body, response in zip(paths, bodies, responses, strict=True):
        assert response.status_code == 413, path
        assert body.sent <= MAX_FORM_BYTES * 2 + CHUNK, path
    posted = responses
    assert "Le formulaire envoyé est trop volumineux." in text_of(posted[0].text)


async def test_chunked_urlencoded_staff_form_is_refused(client: httpx.AsyncClient) -> None:
    await log_in(client)
    definition = await make_survey(status="draft")
    token = await csrf(client)
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield f"csrf={token}&status=open&x=".encode()
        for _ in range(1000):  # 64 MB offered
            sent += CHUNK
            yield b"a" * CHUNK

    response = await client.post(
        f"/staff/surveys/{definition.slug}/status",
        content=body(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert sent <= MAX_FORM_BYTES + CHUNK
    assert (await get_definition(definition.slug)).status == "draft"


async def test_chunked_upload_is_refused_before_it_is_all_written(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    definition = await make_survey()
    token = await csrf(client)
    for path in ("/staff/surveys/import", f"/staff/surveys/{definition.slug}/responses-import"):
        body = Multipart([("csrf", token)], size=60 * 1024 * 1024)
        response = await client.post(path, content=body.body(), headers=body.headers)
        assert response.status_code == 413, path
        assert "Le fichier est trop gros (5 Mo au plus)." in text_of(response.text)
        assert body.sent <= UPLOAD_LIMIT + MAX_FORM_BYTES + 2 * CHUNK, path
    # A file just under the limit still goes through the same route.
    small = Multipart([("csrf", token)], size=10_000)
    fine = await client.post(
        f"/staff/surveys/{definition.slug}/responses-import",
        content=small.body(),
        headers=small.headers,
    )
    assert fine.status_code != 413


async def test_chunked_polis_upload_is_refused_with_its_own_message(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    consultation = await draft_consultation()
    token = field_value((await client.get(import_url(consultation))).text, "csrf")
    body = Multipart([("csrf", token)], files=2, size=30 * 1024 * 1024)
    response = await client.post(
        import_url(consultation), content=body.body(), headers=body.headers
    )
    assert response.status_code == 413
    assert "Les fichiers envoyés dépassent 5 Mo chacun" in text_of(response.text)
    assert body.sent <= 2 * UPLOAD_LIMIT + MAX_FORM_BYTES + 2 * CHUNK


async def test_declared_length_over_the_limit_is_refused_at_once(
    client: httpx.AsyncClient,
) -> None:
    taken = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal taken
        taken += 1
        yield b"csrf=x"

    response = await client.post(
        "/c/login",
        content=body(),
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "content-length": str(MAX_FORM_BYTES + 1),
        },
    )
    assert response.status_code == 413
    assert taken == 0


async def test_client_leaving_mid_body_is_one_log_line(app, caplog) -> None:  # type: ignore[no-untyped-def]
    definition = await make_survey()
    messages = [
        {"type": "http.request", "body": b"csrf=abc&q_manque=" + b"a" * 1000, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict] = []

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/s/{definition.slug}",
        "raw_path": f"/s/{definition.slug}".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"transfer-encoding", b"chunked"),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": {},
    }
    caplog.set_level(logging.INFO)
    await app(scope, receive, send)  # nothing escapes to the server, which would log it again
    assert [r.exc_info for r in caplog.records if r.exc_info] == []
    assert [r.levelno for r in caplog.records if r.name == "parlons"] == [logging.INFO]
    assert sent == []


def _chunked_flood(base: str, path: str, offered: int) -> tuple[bytes, int]:
    """POST ``offered`` bytes of one multipart field in chunks; the reply and what was sent."""
    host, port = base.removeprefix("http://").split(":")
    sent = 0
    reply = b""
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\r\n"
        )
        part = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="code"\r\n\r\n'.encode()
        sock.sendall(head.encode() + b"%x\r\n" % len(part) + part + b"\r\n")
        sock.settimeout(0.05)
        deadline = time.monotonic() + 60
        while sent < offered and time.monotonic() < deadline:
            data = b"a" * CHUNK
            if sent % (3 * CHUNK) == 2 * CHUNK:  # a new field of 192 KB, under the part limit
                field = f'\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="q{sent}"'
                data += field.encode() + b"\r\n\r\n"
            chunk = b"%x\r\n" % len(data) + data + b"\r\n"
            try:
                reply += sock.recv(65536)
                if reply:
                    break
            except TimeoutError:
                pass
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += CHUNK
        sock.settimeout(10)
        try:
            while b"\r\n\r\n" not in reply:
                data = sock.recv(65536)
                if not data:
                    break
                reply += data
        except (ConnectionResetError, TimeoutError):
            pass
    return reply, sent


def _server_rss(base: str) -> int:
    """Resident memory of the served app (found by its command line), in bytes."""
    port = base.rsplit(":", 1)[1]
    for proc in Path("/proc").iterdir():
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in args and port.encode() in args:
            status = (proc / "status").read_text()
            return int(status.split("VmRSS:")[1].split()[0]) * 1024
    raise AssertionError("the served app was not found")


def test_live_server_refuses_chunked_floods_with_bounded_memory(
    live_server: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Against the real server: six floods at once, as in the report (999 fields of 256 KB
    each, chunked); each is refused after about the limit and memory stays put."""
    assert httpx.get(live_server + "/c/login", timeout=10).status_code == 200
    before = _server_rss(live_server)
    offered = 999 * MAX_FORM_BYTES
    with ThreadPoolExecutor(6) as pool:
        paths = ["/c/login", "/staff/login"] * 3
        results = list(pool.map(lambda p: _chunked_flood(live_server, p, offered), paths))
    for reply, sent in results:
        assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
        # The server stopped reading long before the end (what is in flight sits in buffers).
        assert sent < offered / 10
    assert _server_rss(live_server) - before < 40 * 2**20
    # A client that hangs up mid-body: the server goes on, and logs no traceback for it.
    host, port = live_server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /c/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\ncsrf=abc&code="
        )
        time.sleep(0.3)
    time.sleep(0.5)
    assert httpx.get(live_server + "/c/login", timeout=10).status_code == 200
    logs = list(tmp_path_factory.getbasetemp().glob("live-log*/server.log"))
    assert logs and all("Traceback" not in log.read_text() for log in logs)
