"""The residents' offers page in pages: a few offers of each kind of help, then each kind's
own page, fifty offers at a time."""

from __future__ import annotations

import httpx
import pytest

from survey.models.needs import Need
from tests.factories.staff import staff_client
from tests.htmlform import text_of
from tests.survey.domain.test_actors_offers import OFFERS, survey_with_offers

pytestmark = pytest.mark.usefixtures("orm")


def rows(page: str) -> int:
    return page.count('<tr id="offer-')


async def test_offers_page_shows_ten_of_a_big_kind_and_links_to_its_pages(
    client: httpx.AsyncClient,
) -> None:
    many = [(f"Cours de français n° {i}", "bissy", 2, "equipe", "") for i in range(60)]
    definition, ids, _ = await survey_with_offers([*OFFERS[:3], *many])
    await staff_client(client)
    url = f"/staff/actors/offers?survey={definition.slug}"
    overview = (await client.get(url)).text
    assert rows(overview) == 3 + 10
    assert "Voir les 60 offres de ce type d'aide" in text_of(overview)
    french = await Need.get(run__survey_id=definition.id, label="Cours de français")
    first = (await client.get(f"{url}&kind={french.id}")).text
    assert rows(first) == 50
    assert "Page 1 sur 2" in text_of(first)
    assert "Faire les courses" not in text_of(first)
    second = (await client.get(f"{url}&kind={french.id}&page=2")).text
    assert rows(second) == 10
    assert f'id="offer-{ids[-1]}"' in second


async def test_offers_page_with_an_unknown_kind_shows_every_kind(
    client: httpx.AsyncClient,
) -> None:
    definition, _, _ = await survey_with_offers()
    await staff_client(client)
    page = (await client.get(f"/staff/actors/offers?survey={definition.slug}&kind=999999")).text
    assert rows(page) == len(OFFERS)
    assert "Tous les types d'aide" not in text_of(page)
