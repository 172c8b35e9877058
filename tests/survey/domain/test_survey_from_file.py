"""A new survey started from a responses file: questions proposed from the columns, reviewed
by staff, then the file imported through the usual checks."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import httpx
import pytest

from survey.domain.definitions import get_definition
from survey.domain.responses import count_responses, list_responses
from survey.domain.survey_from_file import propose_column
from tests.factories.staff import csrf, log_in, new_slug
from tests.htmlform import post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")
EXPORT = (
    "Horodateur,Quartier,Âge,Services utilisés,Arrivée,Remarque\n"
    "15/03/2024 10:22:33,Bissy,34,Médiathèque; Épicerie,01/09/2019,Plus de bus le soir svp\n"
    "15/03/2024 11:05:10,Mérande,61,Médiathèque,,Rien à dire\n"
    "16/03/2024 09:00:00,Bissy,45,Épicerie; Centre social,13/02/2020,Des bancs\n"
    "16/03/2024 18:30:00,Bissy,29,,,\n"
).encode()


def words(page: str) -> str:
    return " ".join(text_of(page).split())


class _Values(HTMLParser):
    """What a browser would send: text and hidden inputs, ticked boxes, chosen options."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.select = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("name"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self.select = a.get("name", "")
            self.values.setdefault(self.select, "")
        elif tag == "option" and self.select and "selected" in a:
            self.values[self.select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = ""


def form_value(page: str, name: str) -> str:
    parser = _Values()
    parser.feed(page)
    return parser.values[name]


def test_column_types_are_read_from_values() -> None:
    assert propose_column(0, "Horodateur", ["15/03/2024 10:22"], dated=False).kind == "__date__"
    assert propose_column(0, "Né le", ["15/03/1990", "1/2/1980"], dated=False).kind == "date"
    assert propose_column(0, "Âge", ["34", "61,5", ""], dated=False).kind == "number"
    single = propose_column(0, "Q", ["Oui", "Non", "oui ", "Non"], dated=False)
    assert (single.kind, single.choices) == ("single", ["Oui", "Non"])
    multiple = propose_column(0, "S", ["A; B", "B", "C; A", "D"], dated=False)
    assert (multiple.kind, sorted(multiple.choices)) == ("multiple", ["A", "B", "C", "D"])
    free = [f"réponse {n}" for n in range(20)]
    assert propose_column(0, "Idée", free, dated=False).kind == "short_text"


async def test_survey_from_csv_is_proposed_reviewed_created_and_imported(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    listing = await client.get("/staff")
    assert 'href="/staff/surveys/from-file"' in listing.text
    sent = await client.post(
        "/staff/surveys/from-file",
        data={"csrf": await csrf(client)},
        files={"file": ("quartiers.csv", EXPORT, "text/csv")},
    )
    assert sent.status_code == 303, text_of(sent.text)
    review_url = sent.headers["location"]
    review = await client.get(review_url)
    page = review.text
    kinds = {i: form_value(page, f"kind_{i}") for i in range(6)}
    assert kinds == {
        0: "__date__",
        1: "single",
        2: "number",
        3: "multiple",
        4: "date",
        5: "short_text",
    }
    assert "choix : Bissy, Mérande" in words(page)
    slug = new_slug()
    fields = [("csrf", await csrf(client)), ("title", "Vie des quartiers"), ("slug", "")]
    for i in range(6):
        title = "Votre quartier" if i == 1 else form_value(page, f"title_{i}")
        fields += [(f"title_{i}", title), (f"kind_{i}", kinds[i])]
        if i != 5:  # The remarks column is dropped.
            fields.append((f"keep_{i}", "1"))
    # A bad slug: a message next to it, everything typed kept.
    refused = await post_form(client, review_url, fields)
    assert refused.status_code == 422
    assert form_value(refused.text, "title_1") == "Votre quartier"
    assert 'id="e-slug"' in refused.text
    fields = [(k, slug if k == "slug" else v) for k, v in fields]
    created = await post_form(client, review_url, fields)
    assert created.status_code == 303, words(created.text)
    mapping_url = created.headers["location"]
    definition = await get_definition(slug)
    assert definition.status == "draft"
    assert [(q.text["fr"], q.kind) for q in definition.questions] == [
        ("Votre quartier", "single"),
        ("Âge", "number"),
        ("Services utilisés", "multiple"),
        ("Arrivée", "date"),
    ]
    # The mapping page of the usual import, columns already chosen.
    mapping_page = (await client.get(mapping_url)).text
    assert 'value="__date__" selected' in mapping_page
    values = {f"col_{i}": form_value(mapping_page, f"col_{i}") for i in range(6)}
    assert values["col_5"] == ""
    done = await post_form(
        client,
        mapping_url.split("?")[0],
        [("csrf", await csrf(client)), *values.items(), ("action", "import")],
    )
    assert "4 réponses importées." in words(done.text)
    assert await count_responses(definition.id) == 4
    rows = sorted(await list_responses(definition.id, page=1), key=lambda r: r["submitted_at"])
    first = rows[0]
    assert first["submitted_at"].astimezone(dt.UTC) == dt.datetime(
        2024, 3, 15, 9, 22, 33, tzinfo=dt.UTC
    )
    services = definition.question(definition.questions[2].code)
    assert sorted(first["answers"][services.code]) == sorted(
        c.code for c in services.choices if c.label["fr"] in ("Médiathèque", "Épicerie")
    )
    assert first["answers"][definition.questions[3].code] == "2019-09-01"


async def test_file_review_belongs_to_its_uploader(client: httpx.AsyncClient) -> None:
    await log_in(client)
    sent = await client.post(
        "/staff/surveys/from-file",
        data={"csrf": await csrf(client)},
        files={"file": ("quartiers.csv", EXPORT, "text/csv")},
    )
    url = sent.headers["location"]
    await log_in(client)  # Another staff member.
    assert (await client.get(url)).status_code == 404
    empty = await client.post(
        "/staff/surveys/from-file",
        data={"csrf": await csrf(client)},
        files={"file": ("vide.csv", b"titre,autre\n", "text/csv")},
    )
    assert empty.status_code == 400
    assert "aucune réponse à importer" in words(empty.text)
