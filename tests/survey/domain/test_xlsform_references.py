"""XLSForm texts that point at an earlier answer (``${name}``) and groups without labels:
residents never read a placeholder nor an author's internal name."""

from __future__ import annotations

import io

import httpx
import pytest
from openpyxl import Workbook

from survey.domain.definitions import get_definition
from tests.factories.staff import csrf, log_in, new_slug
from tests.htmlform import field_value, text_of

pytestmark = pytest.mark.usefixtures("orm")


def workbook() -> bytes:
    book = Workbook()
    survey = book.active
    survey.title = "survey"
    for row in (
        ("type", "name", "label::English (en)", "label::Français (fr)", "hint::Français (fr)"),
        ("begin_group", "grp_identity", "", "", ""),
        ("text", "my_name", "What is your name?", "Quel est votre nom ?", ""),
        ("end_group", "", "", "", ""),
        ("begin_group", "grp_more", "", "", ""),
        ("note", "hello", "Your name is ${my_name}", "Vous vous appelez ${my_name}", ""),
        ("integer", "age", "How old is ${ my_name }?", "Quel âge a ${my_name} ?", "Voir ${nope}"),
        ("end_group", "", "", "", ""),
    ):
        survey.append(row)
    settings = book.create_sheet("settings")
    settings.append(("form_title", "form_id", "default_language"))
    settings.append(("Références", "refs", "French (fr)"))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_references_become_neutral_text_and_are_reported(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    slug = new_slug()
    response = await client.post(
        "/staff/surveys/import",
        data={"csrf": await csrf(client), "slug": slug},
        files={"file": ("refs.xlsx", workbook(), "application/vnd.ms-excel")},
    )
    assert response.status_code == 200, text_of(response.text)
    report = " ".join(text_of(response.text).split())
    assert report.count("le texte faisait référence à ${my_name}") == 2
    assert "le texte faisait référence à ${nope}" in report
    definition = await get_definition(slug)
    # Group names are not page titles: unlabelled groups are numbered pages.
    assert [s.title["fr"] for s in definition.sections] == ["Page 1", "Page 2"]
    age = definition.question("age")
    assert age.text == {
        "fr": "Quel âge a (votre réponse à « Quel est votre nom ? ») ?",
        "en": "How old is (your answer to “What is your name?”)?",
    }
    # What residents see (the staff preview is their page exactly): no placeholder left.
    first = (await client.get(f"/staff/surveys/{slug}/preview")).text
    fields = {name: field_value(first, name) for name in ("csrf", "key", "step", "lang")}
    second = await client.post(
        f"/staff/surveys/{slug}/preview",
        data={**fields, "q_my_name": "Awa", "action": "next"},
    )
    seen = " ".join((text_of(first) + " " + text_of(second.text)).split())
    assert "Vous vous appelez (votre réponse à « Quel est votre nom ? »)" in seen
    assert "${" not in seen
    assert "grp_identity" not in seen and "grp_more" not in seen
