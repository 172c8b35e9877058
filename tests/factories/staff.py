"""Staff accounts and logged-in HTTP clients."""

from __future__ import annotations

import uuid

import httpx

from survey.domain.accounts import create_user
from survey.enums import Role
from survey.models import User
from tests.htmlform import field_value, post_form

PASSWORD = "correct horse battery"


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD):
    page = (await client.get("/staff/login")).text
    return await post_form(
        client,
        "/staff/login",
        [
            ("csrf", field_value(page, "csrf")),
            ("next", "/staff"),
            ("email", email),
            ("password", password),
        ],
    )


async def staff_user(email: str) -> User:
    return await create_user(email, PASSWORD, Role.STAFF)


async def log_in(client: httpx.AsyncClient) -> None:
    email = f"builder-{uuid.uuid4().hex[:8]}@example.org"
    await staff_user(email)
    response = await login(client, email)
    assert response.status_code == 303


async def csrf(client: httpx.AsyncClient) -> str:
    return field_value((await client.get("/staff")).text, "csrf")


async def send(client: httpx.AsyncClient, url: str, fields: list[tuple[str, str]]):
    return await post_form(client, url, [("csrf", await csrf(client)), *fields])


def new_slug() -> str:
    return f"b-{uuid.uuid4().hex[:10]}"


async def staff_client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """``client``, logged in as a new staff member."""
    await log_in(client)
    return client
