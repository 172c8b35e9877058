"""Signed-cookie sessions: verified once per process, never trusted when forged or expired."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from survey.web import sessions
from survey.web.sessions import SignedCookieSessions
from tests.factories import make_survey

pytestmark = pytest.mark.usefixtures("orm")


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


async def test_an_unchanged_session_is_not_written_back(client: httpx.AsyncClient) -> None:
    definition = await make_survey(slug="sessions-unchanged")
    first = await client.get(f"/s/{definition.slug}")
    assert "parlons_session=" in first.headers["set-cookie"]
    assert "httponly" in first.headers["set-cookie"].lower()
    assert "samesite=lax" in first.headers["set-cookie"].lower()
    second = await client.get(f"/s/{definition.slug}")
    assert "set-cookie" not in second.headers
    assert _csrf(second) == _csrf(first)
    assert "Cookie" in second.headers["vary"]


async def test_a_forged_cookie_gives_a_new_session(client: httpx.AsyncClient) -> None:
    definition = await make_survey(slug="sessions-forged")
    first = await client.get(f"/s/{definition.slug}")
    cookie = client.cookies["parlons_session"]
    body, _, signature = cookie.rpartition(".")
    forged = body + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    client.cookies.clear()
    page = await client.get(f"/s/{definition.slug}", cookies={"parlons_session": forged})
    assert "parlons_session=" in page.headers["set-cookie"]
    assert _csrf(page) != _csrf(first)


def _app(max_age: int) -> Starlette:
    async def put(request: Request) -> PlainTextResponse:
        request.session["who"] = request.query_params["who"]
        return PlainTextResponse("ok")

    async def get(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.session.get("who", "-"))

    async def clear(request: Request) -> PlainTextResponse:
        request.session.clear()
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/put", put), Route("/get", get), Route("/clear", clear)])
    return SignedCookieSessions(app, "k" * 40, "s", max_age=max_age)  # type: ignore[return-value]


async def test_a_verified_cookie_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    transport = httpx.ASGITransport(app=_app(max_age=60))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        await c.get("/put", params={"who": "ana"})
        assert (await c.get("/get")).text == "ana"  # verified, and remembered
        now = sessions.time.time()
        monkeypatch.setattr(sessions.time, "time", lambda: now + 61)
        assert (await c.get("/get")).text == "-"


async def test_clearing_the_session_expires_the_cookie() -> None:
    transport = httpx.ASGITransport(app=_app(max_age=60))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        await c.get("/put", params={"who": "ana"})
        cleared = await c.get("/clear")
        assert "expires=Thu, 01 Jan 1970" in cleared.headers["set-cookie"]
        assert (await c.get("/get")).text == "-"


async def test_the_cookie_is_found_among_others_with_similar_names() -> None:
    transport = httpx.ASGITransport(app=_app(max_age=60))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        await c.get("/put", params={"who": "ana"})
        value = c.cookies["s"]
        c.cookies.clear()
        for header in (f"xs=forged; s={value}", f"s={value}; xs=1", f"a=1;s={value} ; b=2"):
            page = await c.get("/get", headers={"cookie": header})
            assert page.text == "ana", header
        assert (await c.get("/get", headers={"cookie": f"xs={value}"})).text == "-"
