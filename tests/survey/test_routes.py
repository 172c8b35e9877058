"""Access rules checked from the routing table: a route without a rule fails here."""

from __future__ import annotations

import httpx
import pytest
from starlette.routing import Mount, Route

from survey.web.common import ADMIN, MEMBER, MEMBER_LOGIN, PUBLIC, STAFF
from survey.web.routes import routes
from tests.factories import make_survey

pytestmark = pytest.mark.usefixtures("orm")


def endpoints() -> list[tuple[str, str, object]]:
    found = []
    for route in routes:
        if isinstance(route, Route):
            for method in sorted(route.methods or []):
                if method != "HEAD":
                    found.append((method, route.path, route.endpoint))
    return found


PARAMETERS = (
    "receipt",
    "id",
    "token",
    "code",
    "need",
    "run",
    "council",
    "consultation",
    "member",
    "question",
)


def fill(path: str, slug: str) -> str:
    """A concrete URL for a route path: the survey's slug, "1" for every other parameter."""
    url = path.replace("{slug}", slug)
    for name in PARAMETERS:
        url = url.replace("{" + name + "}", "1")
    return url


def test_every_route_declares_who_may_call_it() -> None:
    undeclared = [f"{m} {p}" for m, p, e in endpoints() if getattr(e, "access", None) is None]
    assert undeclared == []
    assert {e.access for _, _, e in endpoints()} <= {PUBLIC, STAFF, ADMIN, MEMBER}
    assert all(isinstance(r, Route | Mount) for r in routes)


async def test_protected_routes_refuse_anonymous_visitors(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    checked = 0
    for method, path, endpoint in endpoints():
        if endpoint.access == PUBLIC:
            continue
        url = fill(path, definition.slug)
        response = await client.request(method, url)
        assert response.status_code in (303, 403), f"{method} {path}"
        if response.status_code == 303:
            login = MEMBER_LOGIN if endpoint.access == MEMBER else "/staff/login"
            assert response.headers["location"].startswith(login), f"{method} {path}"
        checked += 1
    assert checked >= 5


async def test_every_post_route_requires_csrf(client: httpx.AsyncClient) -> None:
    """Even a logged-in staff member cannot POST without the form's token."""
    from tests.survey.test_staff import login, staff_user

    definition = await make_survey()
    await staff_user("routes@example.org")
    await login(client, "routes@example.org")
    for method, path, _ in endpoints():
        if method != "POST":
            continue
        url = fill(path, definition.slug)
        response = await client.post(url, data={"x": "1"})
        assert response.status_code in (303, 400, 403), f"{method} {path}: {response.status_code}"
        if response.status_code == 303:  # Only a member route may send to its own login.
            assert response.headers["location"].startswith(MEMBER_LOGIN), f"{method} {path}"
