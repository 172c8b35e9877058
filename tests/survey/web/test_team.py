"""The team page over HTTP: admins add, reset and deactivate staff accounts."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from survey.domain.accounts import create_user
from survey.enums import Role
from survey.models import User
from survey.models.team import TeamEvent
from tests.factories.staff import PASSWORD, login
from tests.htmlform import field_value, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")
_n = itertools.count(1)


def _email(name: str) -> str:
    return f"team-{name}-{next(_n)}@example.org"


@pytest.fixture
async def other_client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """A second browser, with its own cookies."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def _admin(client: httpx.AsyncClient) -> str:
    email = _email("admin")
    await create_user(email, PASSWORD, Role.ADMIN)
    assert (await login(client, email)).status_code == 303
    return email


async def _post(client: httpx.AsyncClient, url: str, *fields: tuple[str, str]) -> httpx.Response:
    page = (await client.get("/staff/team")).text
    return await post_form(client, url, [("csrf", field_value(page, "csrf")), *fields])


async def test_team_page_is_forbidden_to_staff(client: httpx.AsyncClient) -> None:
    email = _email("staff")
    await create_user(email, PASSWORD, Role.STAFF)
    await login(client, email)
    assert (await client.get("/staff/team")).status_code == 403
    page = (await client.get("/staff")).text
    assert "/staff/team" not in page
    added = await post_form(
        client,
        "/staff/team",
        [("csrf", field_value(page, "csrf")), ("email", _email("x")), ("password", PASSWORD)],
    )
    assert added.status_code == 403
    assert await User.filter(email__startswith="team-x-").count() == 0


async def test_team_admin_adds_staff_who_can_then_log_in(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    admin = await _admin(client)
    assert 'href="/staff/team"' in (await client.get("/staff")).text
    new = _email("new")
    done = await _post(
        client, "/staff/team", ("email", new), ("role", "staff"), ("password", "a fine password")
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/staff/team?done=create"
    user = await User.get(email=new)
    assert user.role == Role.STAFF
    event = await TeamEvent.filter(target=new).get()
    assert (event.actor, event.action) == (admin, "create_staff")
    page = text_of((await client.get("/staff/team?lang=en")).text)
    assert "Staff account created" in page
    assert (await login(other_client, new, "a fine password")).status_code == 303


async def test_team_add_without_csrf_is_forbidden(client: httpx.AsyncClient) -> None:
    await _admin(client)
    new = _email("nocsrf")
    response = await post_form(
        client, "/staff/team", [("email", new), ("role", "staff"), ("password", PASSWORD)]
    )
    assert response.status_code == 403
    assert not await User.exists(email=new)


async def test_team_add_short_password_shows_error_and_keeps_email(
    client: httpx.AsyncClient,
) -> None:
    await _admin(client)
    new = _email("short")
    response = await _post(
        client, "/staff/team", ("email", new), ("role", "admin"), ("password", "court")
    )
    assert response.status_code == 422
    assert re.search(r'id="e-password">[^<]*10 caractères', response.text)
    assert f'value="{new}"' in response.text
    assert re.search(r'value="admin" checked', response.text)
    assert 'value="court"' not in response.text
    assert not await User.exists(email=new)


async def test_team_deactivate_ends_sessions_and_logins(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    admin = await _admin(client)
    member = _email("leaving")
    await create_user(member, PASSWORD, Role.STAFF)
    assert (await login(other_client, member)).status_code == 303
    assert (await other_client.get("/staff")).status_code == 200

    done = await _post(client, "/staff/team/deactivate", ("email", member))
    assert done.status_code == 303
    follow = await other_client.get("/staff")
    assert follow.status_code == 303
    assert follow.headers["location"].startswith("/staff/login")
    assert (await login(other_client, member)).status_code == 401
    event = await TeamEvent.filter(target=member).get()
    assert (event.actor, event.action) == (admin, "deactivate")
    row = re.search(
        rf"<tr id=\"account-\d+\">\s*<th scope=\"row\">{re.escape(member)}.*?</tr>",
        (await client.get("/staff/team")).text,
        re.S,
    )
    assert row is not None
    assert "Désactivé" in row.group(0)
    assert "/staff/team/password" not in row.group(0)

    again = await _post(client, "/staff/team/deactivate", ("email", member))
    assert again.status_code == 422
    assert "Ce compte est désactivé." in text_of(again.text)


async def test_team_admin_cannot_deactivate_own_account(client: httpx.AsyncClient) -> None:
    admin = await _admin(client)
    response = await _post(client, "/staff/team/deactivate", ("email", admin))
    assert response.status_code == 422
    assert "votre propre compte" in text_of(response.text)
    assert (await client.get("/staff/team")).status_code == 200


async def test_team_reset_password_replaces_the_old_one(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await _admin(client)
    member = _email("forgot")
    await create_user(member, PASSWORD, Role.STAFF)
    assert (await login(other_client, member)).status_code == 303
    done = await _post(
        client, "/staff/team/password", ("email", member), ("password", "a brand new secret")
    )
    assert done.status_code == 303
    assert (await other_client.get("/staff")).status_code == 303
    assert (await login(other_client, member)).status_code == 401
    assert (await login(other_client, member, "a brand new secret")).status_code == 303
    assert await TeamEvent.filter(target=member, action="reset_password").count() == 1

    short = await _post(client, "/staff/team/password", ("email", member), ("password", "x"))
    assert short.status_code == 422
    assert re.search(r'class="error" id="e-account-\d+">[^<]*10 caractères', short.text)
