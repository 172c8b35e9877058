"""Shared pieces of the benchmarks: a PostgreSQL to measure on, servers, a loopback load.

Everything here talks to 127.0.0.1 (or a Unix socket) only, and every loop is bounded.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from survey import db  # noqa: E402
from survey.pgserver import EmbeddedPostgres  # noqa: E402


@contextmanager
def database(name: str) -> Iterator[tuple[str, EmbeddedPostgres | None]]:
    """A fresh, migrated database ``name`` on DATABASE_URL's server or an embedded one."""
    server_url = os.environ.get("DATABASE_URL")
    embedded = None
    if not server_url:
        embedded = EmbeddedPostgres(ROOT / ".parlons" / "bench")
        server_url = embedded.start()
    url = db.with_database(server_url, name)
    asyncio.run(db.drop_database(url))
    asyncio.run(db.migrate(url))
    try:
        yield url, embedded
    finally:
        if embedded is not None:
            embedded.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(port: int, path: str = "/", timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                if s.recv(12).startswith(b"HTTP/1.1"):
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no server on port {port}")


@contextmanager
def server(args: list[str], env: dict[str, str], port: int) -> Iterator[subprocess.Popen]:
    # The server's log goes to a file: an unread pipe fills up and blocks the server.
    log = tempfile.NamedTemporaryFile(prefix="parlons-bench-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        args, env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log
    )
    try:
        wait_http(port)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def parlons_server(url: str, port: int, workers: int = 1) -> Iterator[subprocess.Popen]:
    env = {
        "DATABASE_URL": url,
        "PARLONS_SECRET_KEY": "b" * 40,
        # A load test is a flood from one address by design.
        "PARLONS_SUBMISSIONS_PER_MINUTE": "100000000",
        "PARLONS_DATA_DIR": str(ROOT / ".parlons" / "bench-app"),
    }
    return server(
        [sys.executable, "-m", "survey", "serve", "--port", str(port), "--workers", str(workers)],
        env,
        port,
    )


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "transfer-encoding" and "chunked" in value:
            chunked = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
        return status, body
    return status, await reader.readexactly(length)


async def run_load(
    port: int,
    make_request: Callable[[int], bytes],
    *,
    connections: int,
    seconds: float,
    warmup: float = 1.0,
    ok: Callable[[int, bytes], bool] | None = None,
) -> LoadResult:
    """Keep-alive HTTP/1.1 load on 127.0.0.1 for a bounded time; requests built per call."""
    result = LoadResult()
    counter = iter(range(10**9))
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + seconds

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while True:
                now = time.perf_counter()
                if now >= stop_at:
                    return
                request = make_request(next(counter))
                t0 = time.perf_counter()
                writer.write(request)
                status, body = await _read_response(reader)
                t1 = time.perf_counter()
                good = ok(status, body) if ok else status < 400
                if t0 >= measure_from:
                    result.requests += 1
                    result.latencies.append(t1 - t0)
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                    if not good:
                        result.errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    result.seconds = seconds
    return result


def bare_server(url: str, survey_id: int, port: int) -> Iterator[subprocess.Popen]:
    """The baseline app of ``bench/bare_app.py`` (bare Starlette + asyncpg) on ``port``."""
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.bare_app:app",
        "--factory",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    return server(args, {"DATABASE_URL": url, "BARE_SURVEY_ID": str(survey_id)}, port)
