"""The dashboard's numbers over HTTP: written the way the page's language writes them."""

from __future__ import annotations

import re

import httpx
import pytest

from survey.domain.demo import load_demo
from tests.factories.staff import login, staff_user

pytestmark = pytest.mark.usefixtures("orm")


async def test_dashboard_means_follow_the_page_language(client: httpx.AsyncClient) -> None:
    slug, _added = await load_demo()
    await staff_user(email := "means-language@example.org")
    await login(client, email)
    french = (await client.get(f"/staff/surveys/{slug}/dashboard")).text
    english = (await client.get(f"/staff/surveys/{slug}/dashboard?lang=en")).text
    assert re.search(r"moyenne \d,\d\d", french)
    assert not re.search(r"moyenne \d\.\d\d", french)
    assert re.search(r"mean \d\.\d\d", english)
