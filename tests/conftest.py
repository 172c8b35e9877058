"""Shared fixtures: a real PostgreSQL (embedded unless DATABASE_URL is set), migrated once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from tortoise import Tortoise

from survey import db
from survey.pgserver import EmbeddedPostgres
from survey.settings import load

ROOT = Path(__file__).resolve().parents[1]
# One database per test session, so two sessions on one server never drop each other's.
TEST_DB = f"parlons_test_{os.getpid()}"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh, migrated test database on the configured or the embedded server."""
    import asyncio

    server_url = os.environ.get("DATABASE_URL")
    embedded = None
    if not server_url:
        embedded = EmbeddedPostgres(ROOT / ".parlons" / "test")
        server_url = embedded.start()
    url = db.with_database(server_url, TEST_DB)
    asyncio.run(db.drop_database(url))
    asyncio.run(db.migrate(url))
    yield url
    asyncio.run(db.drop_database(url))
    if embedded is not None:
        embedded.stop()


@pytest.fixture(scope="session")
async def orm(database_url: str) -> AsyncIterator[str]:
    await Tortoise.init(config=db.tortoise_config(database_url))
    yield database_url
    await Tortoise.close_connections()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    data_dir = tmp_path_factory.mktemp("data")
    return load(
        {
            "PARLONS_DATA_DIR": str(data_dir),
            "PARLONS_SECRET_KEY": "x" * 40,
            # The whole suite posts from one address; the limiter has tests of its own.
            "PARLONS_SUBMISSIONS_PER_MINUTE": "1000000",
        }
    )


@pytest.fixture(scope="session")
async def app(orm: str, settings):  # type: ignore[no-untyped-def]
    from survey.app import create_app

    return create_app(settings, orm)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    # The ORM is opened by the ``orm`` fixture, so the app's lifespan is not run here.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app served by uvicorn in a subprocess (for browser and fault tests)."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PARLONS_DATA_DIR": str(tmp_path_factory.mktemp("live")),
        "PARLONS_SECRET_KEY": "y" * 40,
        "PARLONS_SUBMISSIONS_PER_MINUTE": "1000000",
        # Its worker runs the analyses and draws the browser tests start, and leaves every
        # other job (webhooks, e-mails) to the tests that queue them in this process.
        "PARLONS_JOB_KINDS": "needs.analyse,sortition.draw",
    }
    # The server's log goes to a file: an unread pipe would fill up and block the server.
    log_path = tmp_path_factory.mktemp("live-log") / "server.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "survey", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("the app did not start: " + log_path.read_text()[-2000:])
    yield base
    proc.terminate()
    proc.wait(timeout=20)
    log.close()
