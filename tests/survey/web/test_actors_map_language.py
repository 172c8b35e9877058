"""The territory map page speaks the page's language, the chart's data table included."""

from __future__ import annotations

import httpx
import pytest

from tests.factories.staff import staff_client
from tests.htmlform import text_of

pytestmark = pytest.mark.usefixtures("orm")


async def test_map_page_in_english_offers_its_data_table_in_english(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    english = text_of((await client.get("/staff/actors/map?lang=en")).text)
    assert "Show the data as a table" in english
    assert "Voir les données en tableau" not in english
    french = text_of((await client.get("/staff/actors/map?lang=fr")).text)
    assert "Voir les données en tableau" in french
