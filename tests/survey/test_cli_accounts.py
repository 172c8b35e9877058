"""Staff accounts from the ``parlons`` command: createuser, users, passwd, deactivate."""

from __future__ import annotations

import asyncio
import os

import pytest

from survey import db
from survey.domain.accounts import authenticate
from survey.models import User
from survey.models.team import TeamEvent
from tests.factories.cli import parlons

pytestmark = pytest.mark.usefixtures("orm")
PASSWORD = "a long enough password"


def _rows(listing: str) -> dict[str, list[str]]:
    lines = listing.splitlines()
    assert lines[0] == "email\trole\tstatus\tcreated"
    return {line.split("\t")[0]: line.split("\t")[1:3] for line in lines[1:]}


async def test_createuser_makes_a_staff_account_and_records_it(database_url: str) -> None:
    done = parlons(
        database_url, "createuser", "Benevole@Example.org", "--role", "staff", stdin=PASSWORD
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Staff member benevole@example.org created."
    user = await User.get(email="benevole@example.org")
    assert user.role == "staff"
    event = await TeamEvent.filter(target="benevole@example.org").get()
    assert event.action == "create_staff"
    assert event.actor.startswith("command line (")
    listed = parlons(database_url, "users")
    assert listed.returncode == 0, listed.stderr
    assert _rows(listed.stdout)["benevole@example.org"] == ["staff", "active"]


def test_createuser_unknown_role_is_refused(database_url: str) -> None:
    done = parlons(database_url, "createuser", "x@example.org", "--role", "boss", stdin=PASSWORD)
    assert done.returncode == 2
    assert "invalid choice: 'boss'" in done.stderr


def test_createuser_twice_is_refused(database_url: str) -> None:
    first = parlons(database_url, "createuser", "twice@example.org", stdin=PASSWORD)
    assert first.returncode == 0, first.stderr
    second = parlons(database_url, "createuser", "twice@example.org", stdin=PASSWORD)
    assert second.returncode == 2
    assert "already" in second.stderr


async def test_passwd_sets_a_new_password_and_ends_sessions(database_url: str) -> None:
    assert parlons(database_url, "createuser", "pw@example.org", stdin=PASSWORD).returncode == 0
    before = (await User.get(email="pw@example.org")).session_version
    done = parlons(database_url, "passwd", "pw@example.org", stdin="another long password\n")
    assert done.returncode == 0, done.stderr
    user = await User.get(email="pw@example.org")
    assert user.session_version == before + 1
    assert await authenticate("pw@example.org", "another long password", "cli-test") is not None
    assert parlons(database_url, "passwd", "pw@example.org", stdin="short").returncode == 2
    unknown = parlons(database_url, "passwd", "nobody@example.org", stdin=PASSWORD)
    assert unknown.returncode == 2
    assert unknown.stderr.strip() != ""


async def test_deactivate_stops_logins_and_sessions(database_url: str) -> None:
    assert parlons(database_url, "createuser", "gone@example.org", stdin=PASSWORD).returncode == 0
    before = (await User.get(email="gone@example.org")).session_version
    done = parlons(database_url, "deactivate", "gone@example.org")
    assert done.returncode == 0, done.stderr
    user = await User.get(email="gone@example.org")
    assert user.session_version == before + 1
    assert await authenticate("gone@example.org", PASSWORD, "cli-test") is None
    assert _rows(parlons(database_url, "users").stdout)["gone@example.org"] == [
        "staff",
        "deactivated",
    ]
    again = parlons(database_url, "deactivate", "gone@example.org")
    assert again.returncode == 2
    assert "deactivated" in again.stderr
    refused = parlons(database_url, "passwd", "gone@example.org", stdin=PASSWORD)
    assert refused.returncode == 2
    actions = await TeamEvent.filter(target="gone@example.org").values_list("action", flat=True)
    assert sorted(actions) == ["create_staff", "deactivate"]


def test_the_last_active_administrator_cannot_be_deactivated(database_url: str) -> None:
    # A database of its own, so that the administrators of other tests do not count.
    url = db.with_database(database_url, f"parlons_accounts_{os.getpid()}")
    asyncio.run(db.drop_database(url))
    try:
        assert parlons(url, "createadmin", "first@example.org", stdin=PASSWORD).returncode == 0
        assert parlons(url, "createadmin", "second@example.org", stdin=PASSWORD).returncode == 0
        assert parlons(url, "deactivate", "first@example.org").returncode == 0
        last = parlons(url, "deactivate", "second@example.org")
        assert last.returncode == 2
        assert "last active administrator" in last.stderr
        assert _rows(parlons(url, "users").stdout) == {
            "first@example.org": ["admin", "deactivated"],
            "second@example.org": ["admin", "active"],
        }
    finally:
        asyncio.run(db.drop_database(url))
