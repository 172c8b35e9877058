"""``/healthz`` over HTTP: 200 while the database answers, 503 while it refuses, and back."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest

from survey import db

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.usefixtures("orm")


async def test_healthz_is_ok_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _admin(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(**{**db.credentials(url), "database": "postgres"})


async def _status(http: httpx.AsyncClient, base: str) -> tuple[int, dict[str, str]]:
    response = await http.get(base + "/healthz", timeout=10)
    return response.status_code, response.json()


async def test_healthz_is_503_while_the_database_refuses_then_ok_again(
    database_url: str, tmp_path: Path
) -> None:
    name = f"parlons_health_{os.getpid()}"
    url = db.with_database(database_url, name)
    await db.drop_database(url)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "PARLONS_DATA_DIR": str(tmp_path)}
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "survey", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    admin = await _admin(database_url)
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                try:
                    if (await http.get(base + "/healthz", timeout=2)).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
            assert await _status(http, base) == (200, {"status": "ok"})

            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
            )
            assert await _status(http, base) == (503, {"status": "unavailable"})
            assert await _status(http, base) == (503, {"status": "unavailable"})

            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            assert await _status(http, base) == (200, {"status": "ok"})
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
        await db.drop_database(url)


async def test_favicon_is_no_content_rather_than_an_error(client: httpx.AsyncClient) -> None:
    response = await client.get("/favicon.ico")
    assert response.status_code == 204
    assert response.content == b""
