"""Responses imports that never guess: dates read one way only when the file says so, times
in the file's own zone, values recoded by staff, problems reported once per cause, and a
file (or its rows) never imported twice."""

from __future__ import annotations

import datetime as dt
import io

import httpx
import pytest
from openpyxl import Workbook

from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.responses import count_responses, list_responses
from tests.factories import make_survey
from tests.factories.staff import csrf, log_in
from tests.htmlform import post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")
UTC = dt.UTC


def words(page: str) -> str:
    return " ".join(text_of(page).split())


def csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


async def start(client: httpx.AsyncClient, content: bytes) -> tuple[SurveyDef, str]:
    """A fresh survey, staff logged in, ``content`` uploaded: the mapping page's address."""
    await log_in(client)
    definition = await make_survey()
    return definition, await send_file(client, definition, content)


async def send_file(client: httpx.AsyncClient, definition: SurveyDef, content: bytes) -> str:
    response = await client.post(
        f"/staff/surveys/{definition.slug}/responses-import",
        data={"csrf": await csrf(client)},
        files={"file": ("export.csv", content, "text/csv")},
    )
    assert response.status_code == 303, text_of(response.text)
    return str(response.headers["location"])


async def post(client: httpx.AsyncClient, url: str, action: str, **fields: str) -> httpx.Response:
    data = [("csrf", await csrf(client)), *fields.items(), ("action", action)]
    return await post_form(client, url, data)


async def stored(definition: SurveyDef) -> list[dict]:  # type: ignore[type-arg]
    rows = await list_responses(definition.id, page=1)
    return sorted(rows, key=lambda r: r["id"])


US_FILE = csv(
    "Start time,Quartier,Arrivée",
    "9/3/2024 21:30,Bissy,9/3/2019",
    "10/4/2024 8:05,Bissy,1/2/2020",
    "11/5/2024 12:00,Mérande,",
)
US_MAPPING = {"col_0": "__date__", "col_1": "quartier", "col_2": "arrivee"}


async def test_ambiguous_dates_are_asked_before_anything_is_stored(
    client: httpx.AsyncClient,
) -> None:
    definition, url = await start(client, US_FILE)
    check = await post(client, url, "check", **US_MAPPING)
    text = words(check.text)
    assert "Les dates de ce fichier s'écrivent-elles jour/mois ou mois/jour ?" in text
    assert "9/3/2024 21:30 → 9 mars 2024 ou 3 septembre 2024" in text
    assert "10/4/2024 8:05 → 10 avril 2024 ou 4 octobre 2024" in text
    # Importing without answering stores nothing and says what is missing.
    refused = await post(client, url, "import", **US_MAPPING)
    assert "Choisissez jour/mois ou mois/jour avant d'importer." in words(refused.text)
    assert "Rien n'a été enregistré : répondez d'abord aux questions ci-dessous." in words(
        refused.text
    )
    assert await count_responses(definition.id) == 0
    done = await post(client, url, "import", date_order="mdy", **US_MAPPING)
    assert "3 réponses importées." in words(done.text)
    rows = await stored(definition)
    # 3 September 21:30 in Paris (summer time) is 19:30 UTC.
    assert rows[0]["submitted_at"].astimezone(UTC) == dt.datetime(2024, 9, 3, 19, 30, tzinfo=UTC)
    assert rows[0]["answers"]["arrivee"] == "2019-09-03"
    assert rows[1]["answers"]["arrivee"] == "2020-01-02"


async def test_day_first_choice_reads_every_row_day_first(client: httpx.AsyncClient) -> None:
    definition, url = await start(client, US_FILE)
    done = await post(client, url, "import", date_order="dmy", **US_MAPPING)
    assert "3 réponses importées." in words(done.text)
    rows = await stored(definition)
    assert rows[0]["submitted_at"].astimezone(UTC) == dt.datetime(2024, 3, 9, 20, 30, tzinfo=UTC)
    assert rows[1]["answers"]["arrivee"] == "2020-02-01"


async def test_a_value_readable_one_way_only_decides_and_is_named(
    client: httpx.AsyncClient,
) -> None:
    content = csv(
        "Start time,Quartier",
        "9/3/2024 21:30,Bissy",
        "3/13/2024 9:05:01 PM,Bissy",
    )
    definition, url = await start(client, content)
    check = await post(client, url, "check", col_0="__date__", col_1="quartier")
    text = words(check.text)
    assert "Dates lues mois/jour : « 3/13/2024 9:05:01 PM » ne peut se lire qu'ainsi." in text
    assert "jour/mois ou mois/jour ?" not in text
    await post(client, url, "import", col_0="__date__", col_1="quartier")
    rows = await stored(definition)
    moments = [r["submitted_at"].astimezone(UTC) for r in rows]
    assert moments == [
        dt.datetime(2024, 9, 3, 19, 30, tzinfo=UTC),
        dt.datetime(2024, 3, 13, 20, 5, 1, tzinfo=UTC),
    ]


async def test_google_forms_offset_is_read_as_written_not_an_hour_off(
    client: httpx.AsyncClient,
) -> None:
    # A Google Forms export from a sheet set to GMT+1: in July Paris is at +2, so reading
    # the time as Paris wall-clock (what dropping the offset did) put it an hour early.
    content = csv(
        "Horodateur,Dans quel quartier habitez-vous ?",
        "2024/07/15 10:22:33 AM GMT+1,Bissy",
        "2024/07/15 1:05:00 PM GMT+1,Mérande",
    )
    definition, url = await start(client, content)
    check = await post(client, url, "check", col_0="__date__", col_1="quartier")
    text = words(check.text)
    # The review shows the moments in the instance's zone, labelled.
    assert "Enregistré comme (heure locale (Europe/Paris))" in text
    assert "2024/07/15 10:22:33 AM GMT+1 15/07/2024 11:22" in text
    await post(client, url, "import", col_0="__date__", col_1="quartier")
    moments = [r["submitted_at"].astimezone(UTC) for r in await stored(definition)]
    assert moments == [
        dt.datetime(2024, 7, 15, 9, 22, 33, tzinfo=UTC),
        dt.datetime(2024, 7, 15, 12, 5, tzinfo=UTC),
    ]


async def test_times_without_offset_are_read_in_the_zone_chosen(
    client: httpx.AsyncClient,
) -> None:
    content = csv("Horodateur,Quartier", "15/07/2024 10:22:33,Bissy")
    definition, url = await start(client, content)
    page = (await client.get(url)).text
    assert 'value="Europe/Paris"' in page  # The instance's zone by default.
    check = await post(client, url, "check", col_0="__date__", col_1="quartier", zone="UTC")
    assert "15/07/2024 10:22:33 15/07/2024 12:22" in words(check.text)
    await post(client, url, "import", col_0="__date__", col_1="quartier", zone="UTC")
    rows = await stored(definition)
    assert rows[0]["submitted_at"].astimezone(UTC) == dt.datetime(
        2024, 7, 15, 10, 22, 33, tzinfo=UTC
    )


async def test_unknown_zone_gets_a_message_on_its_field_and_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    content = csv("Horodateur,Quartier", "15/07/2024 10:22:33,Bissy")
    definition, url = await start(client, content)
    response = await post(
        client, url, "import", col_0="__date__", col_1="quartier", zone="Mars/Olympus<b>"
    )
    assert response.status_code == 422
    assert "« Mars/Olympus<b> » n'est pas un fuseau horaire connu" in words(response.text)
    assert 'value="Mars/Olympus&lt;b&gt;"' in response.text  # Kept as typed, escaped.
    assert "Mars/Olympus<b>" not in response.text
    assert await count_responses(definition.id) == 0


async def test_unknown_values_are_listed_once_and_recoded_for_every_row(
    client: httpx.AsyncClient,
) -> None:
    lines = ["Quartier,Conseil"]
    lines += ["Chambéry centre,Oui"] * 187
    lines += ["  BISSY ,Oui", "Merande,Non", "Ailleurs,Non"]
    definition, url = await start(client, csv(*lines))
    check = await post(client, url, "check", col_0="quartier", col_1="conseil")
    text = words(check.text)
    # Matching forgives case, accents and spaces: only the two others are asked.
    assert "« Chambéry centre » — 187 lignes" in text
    assert "« Ailleurs » — 1 ligne" in text
    assert "BISSY" not in text.split("Valeur du fichier", 1)[1]
    # Reported once per cause with the first 20 rows, not 187 lines.
    assert text.count("la valeur « Chambéry centre » ne correspond à aucun choix") == 1
    rows = ", ".join(str(n) for n in range(2, 22))
    assert f"187 lignes (lignes : {rows}) …" in text
    assert await count_responses(definition.id) == 0
    fields = {
        "col_0": "quartier",
        "col_1": "conseil",
        "recode_0_q": "quartier",
        "recode_0_v": "Chambéry centre",
        "recode_0": "centre",
        "recode_1_q": "quartier",
        "recode_1_v": "Ailleurs",
        "recode_1": "__skip__",
    }
    done = await post(client, url, "import", **fields)
    assert "189 réponses importées." in words(done.text)
    async with connection() as conn:
        counts = await conn.fetch(
            "SELECT answers->>'quartier' AS q, count(*) AS n FROM responses"
            " WHERE survey_id = $1 GROUP BY 1",
            definition.id,
        )
    assert {r["q"]: r["n"] for r in counts} == {"centre": 187, "bissy": 1, "merande": 1}


async def test_unknown_value_may_become_an_empty_answer(client: httpx.AsyncClient) -> None:
    definition, url = await start(
        client, csv("Quartier,Foyer", "Bissy,Yes", "Bissy,en couple sans enfant a charge")
    )
    check = await post(client, url, "check", col_0="quartier", col_1="foyer")
    assert "« Yes » — 1 ligne" in words(check.text)
    await post(
        client,
        url,
        "import",
        col_0="quartier",
        col_1="foyer",
        recode_0_q="foyer",
        recode_0_v="Yes",
        recode_0="__empty__",
    )
    answers = [r["answers"] for r in await stored(definition)]
    assert answers == [{"quartier": "bissy"}, {"quartier": "bissy", "foyer": "couple"}]


async def test_the_same_file_again_stores_nothing_and_says_when(
    client: httpx.AsyncClient,
) -> None:
    content = csv("Quartier,Age", "Bissy,30 à 44 ans", "Mérande,60 à 74 ans")
    definition, url = await start(client, content)
    await post(client, url, "import", col_0="quartier", col_1="age")
    assert await count_responses(definition.id) == 2
    again = await send_file(client, definition, content)
    check = await post(client, again, "check", col_0="quartier", col_1="age")
    text = words(check.text)
    assert "Ce fichier a déjà été importé le " in text
    assert "(2 réponses). Rien n'a été modifié." in text
    done = await post(client, again, "import", col_0="quartier", col_1="age")
    assert "Ce fichier a déjà été importé le " in words(done.text)
    assert await count_responses(definition.id) == 2


async def test_rows_of_an_earlier_file_are_reported_not_stored_twice(
    client: httpx.AsyncClient,
) -> None:
    first = csv("Quartier,Age", "Bissy,30 à 44 ans", "Mérande,60 à 74 ans")
    definition, url = await start(client, first)
    await post(client, url, "import", col_0="quartier", col_1="age")
    second = csv("Quartier,Age", "Bissy,30 à 44 ans", "Mérande,60 à 74 ans", "Bissy,18 à 29 ans")
    url = await send_file(client, definition, second)
    check = await post(client, url, "check", col_0="quartier", col_1="age")
    assert "2 lignes ont déjà été importées (d'un autre fichier)" in words(check.text)
    assert "(lignes : 2, 3)" in words(check.text)
    done = await post(client, url, "import", col_0="quartier", col_1="age")
    assert "1 réponse importée." in words(done.text)
    assert await count_responses(definition.id) == 3


async def test_import_page_refuses_residents_and_forms_without_token(
    client: httpx.AsyncClient,
) -> None:
    definition, url = await start(client, US_FILE)
    forged = await post_form(client, url, [*US_MAPPING.items(), ("action", "import")])
    assert forged.status_code == 403
    await client.post("/staff/logout", data={"csrf": await csrf(client)})
    anonymous = await client.get(url)
    assert anonymous.status_code in (302, 303, 401, 403)
    assert await count_responses(definition.id) == 0


async def test_a_failure_while_storing_leaves_nothing_half_stored(
    client: httpx.AsyncClient,
) -> None:
    content = csv("Quartier,Age", "Bissy,30 à 44 ans", "Mérande,60 à 74 ans")
    definition, url = await start(client, content)
    # The file's fingerprint is written last, in the rows' transaction: make it fail.
    async with connection() as conn:
        await conn.execute(
            "CREATE OR REPLACE FUNCTION refuse_import() RETURNS trigger AS $$"
            f" BEGIN IF NEW.survey_id = {int(definition.id)} THEN"
            " RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        await conn.execute(
            "CREATE TRIGGER refuse_import BEFORE INSERT ON response_imports"
            " FOR EACH ROW EXECUTE FUNCTION refuse_import()"
        )
    try:
        with pytest.raises(Exception, match="refused"):
            await post(client, url, "import", col_0="quartier", col_1="age")
    finally:
        async with connection() as conn:
            await conn.execute("DROP TRIGGER refuse_import ON response_imports")
            await conn.execute("DROP FUNCTION refuse_import()")
    assert await count_responses(definition.id) == 0
    # The upload is still there: the same import can be confirmed again.
    done = await post(client, url, "import", col_0="quartier", col_1="age")
    assert "2 réponses importées." in words(done.text)


def workbook(rows: list[tuple[object, ...]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_excel_workbook_is_imported_with_its_own_dates(client: httpx.AsyncClient) -> None:
    content = workbook(
        [
            ("ID", "Completion time", "Dans quel quartier habitez-vous ?"),
            (1, dt.datetime(2024, 9, 3, 21, 30), "Bissy"),
            (2, dt.datetime(2024, 3, 9, 8, 0), "Yes"),
        ]
    )
    definition, url = await start(client, content)
    page = (await client.get(url)).text
    assert "2 lignes, 3 colonnes" in words(page)
    check = await post(client, url, "check", col_1="__date__", col_2="quartier")
    text = words(check.text)
    # Real dates in the workbook: nothing to ask.
    assert "jour/mois ou mois/jour ?" not in text
    assert "« Yes » — 1 ligne" in text
    assert "2024-09-03 21:30:00 03/09/2024 21:30" in text
    await post(client, url, "import", col_1="__date__", col_2="quartier")
    rows = await stored(definition)
    assert [r["submitted_at"].astimezone(UTC) for r in rows] == [
        dt.datetime(2024, 9, 3, 19, 30, tzinfo=UTC)
    ]


async def test_the_date_question_and_recoding_in_english(client: httpx.AsyncClient) -> None:
    content = csv("Start time,Quartier", "9/3/2024 21:30,Bissy", "10/4/2024 8:05,Yes")
    _, url = await start(client, content)
    check = await post(client, f"{url}?lang=en", "check", col_0="__date__", col_1="quartier")
    text = words(check.text)
    assert "Are the dates of this file written day/month or month/day?" in text
    assert "9/3/2024 21:30 → March 9, 2024 or September 3, 2024" in text
    assert "“Yes” — 1 row" in text
    assert "Do not import these rows" in text
    assert "Time zone of the file" in text
