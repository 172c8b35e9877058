"""The built wheel, installed into a fresh virtualenv, run from an empty folder.

These are the Dockerfile's steps without Docker: ``python -m build`` (the sdist, then the
wheel from it), the wheel installed into an environment of its own, the server started from
a folder holding nothing of the repository, and the image's HEALTHCHECK command run against
it. One difference, for speed: the wheel's dependencies are not downloaded again but taken
from this test run's environment, whose site-packages folder is added to the new one as a
plain path (its ``.pth`` files, among them the editable install of the sources, are not run).
The tests check that nothing of the repository is importable there.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

import survey

ROOT = Path(__file__).resolve().parents[1]
DEMO_SLUG = "besoins-quartiers"
DEMO_LOGIN = {"email": "equipe@parlons.example", "password": "parlons-demo"}


@dataclass
class Installed:
    wheel: Path
    sdist: Path
    venv: Path
    env: dict[str, str]

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def run(
        self, cwd: Path, *args: str, stdin: str = "", timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.bin("parlons"), *args],
            cwd=cwd,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def _clean_env(venv: Path) -> dict[str, str]:
    """The environment of a user who installed the wheel: no source tree, no test database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DATABASE_URL"}
        and not k.startswith("PARLONS_")
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    """A folder of this module's own: pytest's shared temporary folders are pruned by other
    sessions running at the same time, which would delete the server's data under it."""
    folder = Path(tempfile.mkdtemp(prefix="parlons-wheel-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def scratch(workdir: Path, request: pytest.FixtureRequest) -> Path:
    folder = workdir / request.node.name
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def installed(workdir: Path) -> Installed:
    """Build once (sdist, then the wheel from the sdist) and install into a new virtualenv."""
    dist = workdir / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    wheel = next(dist.glob("parlons-*.whl"))
    sdist = next(dist.glob("parlons-*.tar.gz"))
    venv = workdir / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=120)
    site = next((venv / "lib").glob("python3*/site-packages"))
    # The folders this test run imports its dependencies from, as plain paths.
    dependencies = [p for p in sys.path if Path(p).name == "site-packages"]
    (site / "zz_test_dependencies.pth").write_text("".join(f"{p}\n" for p in dependencies))
    env = _clean_env(venv)
    pip = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert pip.returncode == 0, pip.stderr
    return Installed(wheel, sdist, venv, env)


def _repository_files(folder: str, suffixes: tuple[str, ...]) -> set[str]:
    return {
        p.relative_to(ROOT / folder).as_posix()
        for p in (ROOT / folder).rglob("*")
        if p.is_file() and p.suffix in suffixes
    }


def test_wheel_holds_every_file_read_at_run_time(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    expected = {
        ("templates", "survey/templates/"): (".html",),
        ("fixtures", "survey/fixtures/"): (".json",),
        ("survey/static", "survey/static/"): (".css", ".js"),
        ("survey/locale", "survey/locale/"): (".po",),
        ("survey/migrations", "survey/migrations/"): (".py",),
        ("analysis/data", "analysis/data/"): (".json",),
    }
    for (folder, prefix), suffixes in expected.items():
        wanted = {prefix + name for name in _repository_files(folder, suffixes)}
        assert wanted, folder
        assert sorted(wanted - names) == [], folder


def test_wheel_version_is_the_package_version(installed: Installed, scratch: Path) -> None:
    version = survey.__version__
    assert installed.wheel.name == f"parlons-{version}-py3-none-any.whl"
    assert installed.sdist.name == f"parlons-{version}.tar.gz"
    done = installed.run(scratch, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"parlons {version}"


def test_installed_package_imports_nothing_from_the_repository(
    installed: Installed, scratch: Path
) -> None:
    probe = (
        "import json, sys, survey, analysis;"
        "from survey.resources import templates_dir, fixtures_dir;"
        "print(json.dumps([survey.__file__, analysis.__file__, str(templates_dir()),"
        " str(fixtures_dir()), sys.path]))"
    )
    done = subprocess.run(
        [installed.bin("python"), "-c", probe],
        cwd=scratch,
        env=installed.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    survey_file, analysis_file, templates, fixtures, path = json.loads(done.stdout)
    site = str(next((installed.venv / "lib").glob("python3*/site-packages")))
    for found in (survey_file, analysis_file, templates, fixtures):
        assert found.startswith(site + os.sep), found
    # The lent dependencies may live in a virtualenv inside the clone (``make test``'s
    # ``.venv``): only source folders of the repository are out of bounds.
    assert [
        p
        for p in path
        if p and Path(p).resolve().is_relative_to(ROOT) and "site-packages" not in Path(p).parts
    ] == []
    checked = subprocess.run(
        [installed.bin("python"), "-m", "pip", "check"],
        cwd=scratch,
        env=installed.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Every dependency the wheel declares is met in the environment it runs in.
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthcheck_command(port: int) -> list[str]:
    """The Dockerfile's HEALTHCHECK command, pointed at ``port``."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    line = next(row for row in text.splitlines() if row.startswith("HEALTHCHECK"))
    command = json.loads(line.split(" CMD ", 1)[1])
    return [part.replace(":8000/", f":{port}/") for part in command]


@pytest.fixture(scope="module")
def demo(installed: Installed, workdir: Path) -> Iterator[tuple[str, Path]]:
    """``parlons demo`` from an empty folder, on the embedded PostgreSQL it starts there."""
    folder = workdir / "empty"
    folder.mkdir()
    port = _free_port()
    log_path = workdir / "demo.log"
    log = log_path.open("wb")
    server = subprocess.Popen(
        [installed.bin("parlons"), "demo", "--port", str(port)],
        cwd=folder,
        env=installed.env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        server.kill()
        log.close()
        pytest.fail("parlons demo did not start: " + log_path.read_text()[-3000:])
    try:
        yield base, folder
    finally:
        server.terminate()
        code = server.wait(timeout=60)
        log.close()
    assert code == 0, log_path.read_text()[-3000:]
    # It stopped the PostgreSQL server it started.
    assert not (folder / ".parlons" / "pgdata" / "postmaster.pid").exists()


def test_installed_demo_serves_residents_pages(demo: tuple[str, Path]) -> None:
    base, _ = demo
    home = httpx.get(base + "/", timeout=10)
    assert home.status_code == 200
    assert f"/s/{DEMO_SLUG}" in home.text
    page = httpx.get(f"{base}/s/{DEMO_SLUG}", timeout=10)
    assert page.status_code == 200
    assert '<form method="post"' in page.text
    css = re.search(r'href="(/static/css/parlons\.css[^"]*)"', page.text)
    assert css is not None
    assert httpx.get(base + css.group(1), timeout=10).status_code == 200


def test_installed_demo_follow_up_shows_a_decision_and_an_action(
    demo: tuple[str, Path],
) -> None:
    base, _ = demo
    page = httpx.get(f"{base}/s/{DEMO_SLUG}/suivi", timeout=10)
    assert page.status_code == 200
    assert "l&#39;emporte, avec la mention majoritaire" in page.text
    assert "Service vie des quartiers" in page.text


def test_installed_demo_staff_login_and_chart(demo: tuple[str, Path]) -> None:
    base, _ = demo
    with httpx.Client(base_url=base, timeout=30) as http:
        login = http.get("/staff/login")
        assert login.status_code == 200
        csrf = re.search(r'name="csrf" value="([^"]+)"', login.text)
        assert csrf is not None
        done = http.post("/staff/login", data={**DEMO_LOGIN, "csrf": csrf.group(1)})
        assert done.status_code == 303
        board = http.get(f"/staff/surveys/{DEMO_SLUG}/dashboard")
        assert board.status_code == 200
        assert '<script type="application/json" id="chart-' in board.text
        script = re.search(r'<script src="(/vendor/plotly[^"]*\.js)"', board.text)
        assert script is not None
        plotly_js = http.get(script.group(1))
        assert plotly_js.status_code == 200
        assert len(plotly_js.content) > 1_000_000
        assert b"plotly" in plotly_js.content[:2000].lower()


def test_installed_demo_passes_the_image_healthcheck(
    installed: Installed, demo: tuple[str, Path]
) -> None:
    base, folder = demo
    port = int(base.rsplit(":", 1)[1])
    command = _healthcheck_command(port)
    assert command[0] == "python"
    env = installed.env
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    # The same command fails where nothing answers.
    refused = _healthcheck_command(_free_port())
    assert subprocess.run(refused, env=env, capture_output=True, timeout=30).returncode == 1


def test_installed_commands_manage_staff_accounts(
    installed: Installed, demo: tuple[str, Path]
) -> None:
    _, folder = demo
    added = installed.run(
        folder,
        "createuser",
        "benevole@parlons.example",
        "--role",
        "staff",
        stdin="un mot de passe assez long\n",
    )
    assert added.returncode == 0, added.stderr
    listed = installed.run(folder, "users")
    assert listed.returncode == 0, listed.stderr
    rows = {line.split("\t")[0]: line.split("\t")[1:3] for line in listed.stdout.splitlines()[1:]}
    assert rows[DEMO_LOGIN["email"]] == ["admin", "active"]
    assert rows["benevole@parlons.example"] == ["staff", "active"]


def test_installed_cluster_runs_on_a_small_file(installed: Installed, scratch: Path) -> None:
    answers = [
        "Il manque une crèche",
        "Pas de place en crèche",
        "Plus de bus le soir",
        "Le bus passe trop rarement",
        "Un médecin dans le quartier",
        "Plus de médecins",
    ]
    with (scratch / "answers.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["manque"])
        writer.writerows([a] for a in answers)
    done = installed.run(
        scratch,
        "cluster",
        "answers.csv",
        "--column",
        "manque",
        "--clusters",
        "3",
        "--language",
        "fr",
        "--output",
        "needs.csv",
    )
    assert done.returncode == 0, done.stderr
    with (scratch / "needs.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["row"] for row in rows] == [str(i) for i in range(len(answers))]
    assert len({row["cluster"] for row in rows}) == 3


def test_installed_opinion_groups_runs_on_a_small_export(
    installed: Installed, scratch: Path
) -> None:
    for name in ("votes.csv", "comments.csv"):
        shutil.copy(ROOT / "tests" / "fixtures" / "polis_small" / name, scratch / name)
    done = installed.run(
        scratch,
        "opinion-groups",
        "votes.csv",
        "--comments",
        "comments.csv",
        "--output",
        "groups.csv",
    )
    assert done.returncode == 0, done.stderr
    with (scratch / "groups.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    assert {row["group"] for row in rows if row["group"]}
