"""Pooled connections are returned without a reset query (``survey.db.keep_session``): this
holds only while no code leaves session-scoped state on a connection. These checks read the
code for the statements that would."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from survey import db

SURVEY = Path(__file__).resolve().parents[2] / "survey"
SESSION_STATE = {
    "session advisory lock": re.compile(r"pg_(try_)?advisory_(un)?lock(_shared)?\s*\(", re.I),
    "session setting": re.compile(
        r"""(execute|fetch\w*)\(\s*f?["']\s*SET\s+(?!LOCAL\b)(SESSION\s+)?\w+\s*(=|TO\b)""", re.I
    ),
    "session setting by function": re.compile(r"set_config\s*\([^)]*,\s*false\s*\)", re.I),
    "listen": re.compile(r"""["']\s*LISTEN\s""", re.I),
    "cursor kept after commit": re.compile(r"WITH\s+HOLD", re.I),
    "prepared statement by SQL": re.compile(r"""["']\s*PREPARE\s+\w+""", re.I),
    "temporary table": re.compile(
        r"CREATE\s+TEMP(ORARY)?\s+TABLE(?![^\"']*ON\s+COMMIT\s+DROP)", re.I
    ),
}


def _sources() -> list[Path]:
    return [p for p in SURVEY.rglob("*.py") if "migrations" not in p.parts]


@pytest.mark.parametrize("what", sorted(SESSION_STATE))
def test_no_session_scoped_state_in_the_code(what: str) -> None:
    pattern = SESSION_STATE[what]
    found = [
        f"{path.relative_to(SURVEY.parent)}:{number}"
        for path in _sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == [], f"{what} would outlive the request on a pooled connection: {found}"


def test_the_patterns_catch_what_they_are_for() -> None:
    assert SESSION_STATE["session advisory lock"].search("SELECT pg_advisory_lock(1)")
    assert not SESSION_STATE["session advisory lock"].search("SELECT pg_advisory_xact_lock(1)")
    assert SESSION_STATE["session setting"].search("execute(\"SET work_mem = '1GB'\")")
    assert not SESSION_STATE["session setting"].search('execute("SET LOCAL work_mem = 1")')
    assert not SESSION_STATE["session setting"].search('execute("UPDATE jobs SET state = $1")')
    assert not SESSION_STATE["session setting"].search('" ON CONFLICT DO UPDATE SET stale = $2"')


def test_the_pool_skips_the_reset_query() -> None:
    config = db.tortoise_config("postgresql://postgres@localhost/parlons")
    assert config["connections"]["default"]["credentials"]["reset"] is db.keep_session
