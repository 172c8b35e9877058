"""The embedded PostgreSQL: start, reuse, crash leftovers, clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from survey.pgserver import EmbeddedPostgres

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="DATABASE_URL set: the embedded server is not used"
)


def _select_one(server: EmbeddedPostgres) -> int:
    async def run() -> int:
        conn = await asyncpg.connect(
            host=str(server.socket_dir), user="postgres", database="postgres"
        )
        try:
            return int(await conn.fetchval("SELECT 1"))
        finally:
            await conn.close()

    return asyncio.run(run())


def test_second_process_attaches_and_only_owner_stops(tmp_path: Path) -> None:
    owner = EmbeddedPostgres(tmp_path)
    owner.start()
    try:
        assert owner.owned
        guest = EmbeddedPostgres(tmp_path)
        guest.start()
        assert not guest.owned
        guest.stop()
        assert _select_one(owner) == 1
    finally:
        owner.stop()
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()


def test_owner_hands_over_to_the_last_process_still_connected(tmp_path: Path) -> None:
    owner = EmbeddedPostgres(tmp_path)
    owner.start()
    guest = EmbeddedPostgres(tmp_path)
    guest.start()
    holder = subprocess.Popen(
        [str(owner.tool("psql")), "-h", str(owner.socket_dir), "-U", "postgres"]
        + ["-d", "postgres"],
        stdin=subprocess.PIPE,  # an idle session, open until psql reads the end of its input
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while owner.other_sessions() == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        owner.stop()
        # A session is still connected: the server stays up and nobody owns it.
        assert not owner.owned
        assert not (tmp_path / "postgres.owner").exists()
        assert _select_one(guest) == 1
    finally:
        holder.communicate(b"", timeout=30)
    deadline = time.monotonic() + 30
    while guest.other_sessions() and time.monotonic() < deadline:
        time.sleep(0.1)
    guest.stop()
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()


def test_stale_pid_file_from_a_crash_is_handled(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path)
    server.start()
    server.stop()
    # A crash leaves postmaster.pid behind with a process that no longer exists.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "pgdata" / "postmaster.pid").write_text(f"{dead.pid}\n{tmp_path}\n")
    again = EmbeddedPostgres(tmp_path)
    again.start()
    try:
        assert again.owned
        assert _select_one(again) == 1
    finally:
        again.stop()


def test_server_left_by_a_crashed_owner_is_adopted(tmp_path: Path) -> None:
    first = EmbeddedPostgres(tmp_path)
    first.start()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "postgres.owner").write_text(str(dead.pid))
    heir = EmbeddedPostgres(tmp_path)
    heir.start()
    assert heir.owned
    heir.stop()
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_postgres_on_signal(tmp_path: Path, signum: int) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PARLONS_DATA_DIR"] = str(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "survey", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("the app did not start")
        pid_file = tmp_path / "pgdata" / "postmaster.pid"
        postmaster = int(pid_file.read_text().split()[0])
        proc.send_signal(signum)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not pid_file.exists()
    assert _gone(postmaster)


def _gone(pid: int, timeout: float = 10) -> bool:
    """True once ``pid`` has exited (a zombie not yet reaped by init counts as exited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.1)
    return False
