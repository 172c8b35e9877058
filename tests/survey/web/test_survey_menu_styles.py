"""Every staff page that shows a survey's menu loads the builder's styles, which lay the menu
out (a page without them shows a bare row of links)."""

from __future__ import annotations

import re

import httpx
import pytest

from survey.domain.accounts import add_account
from survey.enums import Role
from tests.factories import make_survey
from tests.factories.staff import PASSWORD, login

pytestmark = pytest.mark.usefixtures("orm")
MENU = 'class="subnav builder-nav"'


async def test_every_page_of_the_survey_menu_loads_the_builder_styles(
    client: httpx.AsyncClient,
) -> None:
    definition = await make_survey()
    email = f"menu-{definition.slug}@example.org"
    await add_account(email, PASSWORD, Role.ADMIN, actor="test")
    assert (await login(client, email)).status_code == 303
    edit = (await client.get(f"/staff/surveys/{definition.slug}/edit")).text
    menu = edit.split(MENU, 1)[1].split("</nav>", 1)[0]
    links = re.findall(r'href="([^"]+)"', menu)
    assert len(links) >= 8
    with_menu = []
    for link in links:
        page = (await client.get(link)).text
        if MENU in page:
            with_menu.append(link)
            assert "/static/css/builder.css" in page, link
    assert f"/staff/surveys/{definition.slug}/suivi" in with_menu
    assert len(with_menu) >= 6
