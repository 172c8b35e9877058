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


async def _csrf_sessions(
    app, slug: str
) -> tuple[httpx.AsyncClient, httpx.AsyncClient, dict[str, str]]:  # type: ignore[no-untyped-def]
    """An administrator's client, a council member's client, and real ids for the paths."""
    from survey.domain.accounts import create_user
    from survey.enums import Role
    from tests.factories.council import make_consultation, make_council, member_login
    from tests.factories.staff import login

    council, members = await make_council(1)
    consultation = await make_consultation(council, "statements", ["Un", "Deux"])
    await create_user("csrf-admin@example.org", "correct horse battery", Role.ADMIN)
    staff = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    member = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    assert (
        await login(staff, "csrf-admin@example.org", "correct horse battery")
    ).status_code == 303
    assert (await member_login(member, members[0])).status_code == 303
    ids = {
        "slug": slug,
        "council": str(council.id),
        "consultation": str(consultation.id),
        "member": str(members[0].id),
    }
    return staff, member, ids


async def test_every_post_route_refuses_a_form_without_its_csrf_token(app) -> None:  # type: ignore[no-untyped-def]
    """Every POST route, called by someone it lets in, refuses a form whose CSRF token is
    missing or wrong with the CSRF refusal itself (403 and its message), not another error."""
    from survey.i18n import translate
    from tests.htmlform import field_value, post_form, text_of

    definition = await make_survey()
    staff, member, ids = await _csrf_sessions(app, definition.slug)
    refusal = translate("fr", "error.csrf")
    posts = [(path, endpoint) for method, path, endpoint in endpoints() if method == "POST"]
    assert len(posts) >= 60
    wrong: list[str] = []
    real = field_value((await staff.get("/staff")).text, "csrf")
    try:
        for path, endpoint in posts:
            url = path
            for name, value in ids.items():
                url = url.replace("{" + name + "}", value)
            url = fill(url, definition.slug)
            client = member if endpoint.access == MEMBER else staff
            for token in ([], [("csrf", "x" * len(real))], [("csrf", real[:-1])]):
                response = await post_form(client, url, [*token, ("x", "1")])
                if response.status_code != 403 or refusal not in text_of(response.text):
                    sent = token[0][1][:4] + "…" if token else "none"
                    wrong.append(f"{path} (token {sent}): {response.status_code}")
    finally:
        await staff.aclose()
        await member.aclose()
    assert wrong == []
