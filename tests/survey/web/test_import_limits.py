"""Hostile import files: refused while being read, in bounded memory, without blocking
residents, and with a message next to the file field."""

from __future__ import annotations

import asyncio
import io
import json
import time
import tracemalloc
import uuid
import zipfile
from collections.abc import AsyncIterator

import httpx
import pytest
from openpyxl import Workbook

from survey.domain.definitions import create_survey_from_definition
from tests.factories.staff import log_in
from tests.htmlform import field_value, text_of
from tests.survey.web.test_polis_import import (
    COMMENTS_HEADER,
    VOTES_HEADER,
    draft_consultation,
    small_export,
    staff_client,
    upload,
)

pytestmark = pytest.mark.usefixtures("orm")

MB = 2**20


def _xlsform(rows: int) -> bytes:
    """A valid XLSForm whose survey sheet goes on with ``rows`` rows of one empty cell."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "survey"
    sheet.append(["type", "name", "label"])
    sheet.append(["text", "nom", "Votre nom"])
    plain = io.BytesIO()
    workbook.save(plain)
    source = zipfile.ZipFile(io.BytesIO(plain.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                head, _, tail = data.decode().partition("</sheetData>")
                head = head.replace('<dimension ref="A1:C2" />', "")
                blank = "".join(f'<row r="{i}"><c r="A{i}"/></row>' for i in range(3, rows + 3))
                data = (head + blank + "</sheetData>" + tail).encode()
            archive.writestr(item.filename, data)
    return out.getvalue()


async def _import_definition(client: httpx.AsyncClient, data: bytes, name: str) -> httpx.Response:
    csrf = field_value((await client.get("/staff/surveys/new")).text, "csrf")
    return await client.post(
        "/staff/surveys/import",
        data={"csrf": csrf, "slug": f"imp-{uuid.uuid4().hex[:8]}"},
        files={"file": (name, data, "application/octet-stream")},
    )


async def _measured(call) -> tuple[httpx.Response, float, float]:  # type: ignore[no-untyped-def]
    """The response, the seconds it took and the peak of Python memory meanwhile (MB)."""
    tracemalloc.start()
    start = time.monotonic()
    try:
        response = await call
        peak = tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()
    return response, time.monotonic() - start, peak


@pytest.fixture
async def resident(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_xlsform_of_many_blank_rows_is_refused_unread(client: httpx.AsyncClient) -> None:
    await log_in(client)
    data = _xlsform(600_000)  # under 3 MB zipped, about 24 MB of sheet once unzipped
    response, seconds, peak = await _measured(_import_definition(client, data, "form.xlsx"))
    assert response.status_code == 400
    assert "une fois décompressé, dépasse 16 Mo" in text_of(response.text)
    assert 'id="e-file"' in response.text
    assert seconds < 3
    assert peak < 5 * len(data) / MB + 10


async def test_xlsform_rows_are_counted_while_read(client: httpx.AsyncClient) -> None:
    await log_in(client)
    response = await _import_definition(client, _xlsform(30_000), "form.xlsx")
    assert response.status_code == 400
    assert "Le fichier a trop de lignes (2000 au plus)" in text_of(response.text)


async def test_responses_csv_of_200000_columns_is_refused_while_read(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    data = {"slug": f"cols-{uuid.uuid4().hex[:8]}", "status": "open", "title": {"fr": "Cols"}}
    data["sections"] = [
        {"title": {"fr": "P"}, "questions": [{"code": "a", "kind": "short_text", "text": {}}]}
    ]
    await create_survey_from_definition(data)
    body = (",".join("c" for _ in range(200_000)) + "\n" + "," * 199_999 + "\n").encode()
    csrf = field_value((await client.get(f"/staff/surveys/{data['slug']}/edit")).text, "csrf")
    call = client.post(
        f"/staff/surveys/{data['slug']}/responses-import",
        data={"csrf": csrf},
        files={"file": ("wide.csv", body, "text/csv")},
    )
    response, seconds, peak = await _measured(call)
    assert response.status_code == 400
    assert "Le fichier a trop de colonnes (200000 ; 1000 au plus)" in text_of(response.text)
    assert seconds < 5
    assert peak < 60


async def test_polis_votes_naming_15000_ids_is_refused_before_any_matrix(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    consultation = await draft_consultation()
    comments, _ = small_export()
    # 15,000 voters each voting on their own statement: a dense matrix of 225 million cells.
    votes = "\n".join([VOTES_HEADER] + [f"1,Mon,{i},{i},1" for i in range(15_000)]).encode()
    response, seconds, peak = await _measured(upload(client, consultation, comments, votes))
    assert response.status_code == 422
    assert "Ce fichier de votes est trop grand" in text_of(response.text)
    assert peak < 60
    assert seconds < 10


async def test_polis_comment_with_a_nul_gets_a_message_on_its_field(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    consultation = await draft_consultation()
    _, votes = small_export()
    comments = "\n".join(
        [
            COMMENTS_HEADER,
            "10,Mon,0,5,2,1,1,Des bancs\x00",
            "11,Mon,1,5,1,1,0,Un marché",
            "12,Mon,2,6,0,0,-1,Des montres",
        ]
    ).encode()
    response = await upload(client, consultation, comments, votes)
    assert response.status_code == 422
    assert "Le commentaire n° 0 contient un caractère nul" in text_of(response.text)
    assert 'id="e-comments">Le commentaire n° 0 contient un caractère nul' in response.text
    assert 'id="e-votes"' not in response.text


async def test_json_definition_with_a_long_title_gets_a_message(client: httpx.AsyncClient) -> None:
    await log_in(client)
    definition = {
        "format": "parlons-survey",
        "slug": f"long-{uuid.uuid4().hex[:8]}",
        "title": {"fr": "T" * 201, "en": ""},
        "sections": [{"title": {"fr": "P"}, "questions": []}],
    }
    response = await _import_definition(client, json.dumps(definition).encode(), "s.json")
    assert response.status_code == 400
    assert "Le titre du questionnaire dépasse 200 caractères" in text_of(response.text)
    assert 'id="e-file"' in response.text


async def test_billion_laughs_workbook_gets_a_message(client: httpx.AsyncClient) -> None:
    await log_in(client)
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    bomb = f'<?xml version="1.0"?><!DOCTYPE w [{entities}]><w>&a9;</w>'
    source = zipfile.ZipFile(io.BytesIO(_xlsform(1)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            archive.writestr(item.filename, bomb if item.filename.endswith("sheet1.xml") else data)
    response = await _import_definition(client, out.getvalue(), "bomb.xlsx")
    assert response.status_code == 400
    assert "Ce classeur Excel ne peut pas être lu" in text_of(response.text)
    assert 'id="e-file"' in response.text


async def test_resident_is_served_while_an_xlsform_is_parsed(
    client: httpx.AsyncClient, resident: httpx.AsyncClient
) -> None:
    await log_in(client)
    data = {"slug": f"busy-{uuid.uuid4().hex[:8]}", "status": "open", "title": {"fr": "Vite"}}
    data["sections"] = [
        {"title": {"fr": "P"}, "questions": [{"code": "a", "kind": "short_text", "text": {}}]}
    ]
    await create_survey_from_definition(data)
    workbook = _xlsform(100_000)  # about a second of parsing, then refused
    assert (await resident.get(f"/s/{data['slug']}")).status_code == 200
    task = asyncio.create_task(_import_definition(client, workbook, "slow.xlsx"))
    waits: list[float] = []
    while not task.done():
        start = time.monotonic()
        page = await resident.get(f"/s/{data['slug']}")
        waits.append(time.monotonic() - start)
        assert page.status_code == 200
        await asyncio.sleep(0.02)
    assert (await task).status_code == 400
    # Parsing in the event loop would serve no resident until the parse is over: the loop
    # above would run once or twice. Served throughout, it ran many times.
    assert len(waits) >= 5
