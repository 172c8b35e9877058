"""Every import over real HTTP with generated files: arbitrary Unicode (NUL, lone
surrogates, right-to-left overrides, 100 KB strings) and broken structures never end in a
server error."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from survey.domain.consultations import ConsultationDraft, create_consultation
from survey.domain.councils import NewCouncil, create_council
from survey.domain.definitions import create_survey_from_definition
from tests.factories.staff import PASSWORD, staff_user

pytestmark = pytest.mark.usefixtures("orm")

SPECIALS = ["\x00", "\ud800", "\udfff", "\u202e", "\u2066", "\ufeff", "=1+2"]
HUGE = "x" * 100_000


def mostly(usual: st.SearchStrategy, rare: st.SearchStrategy, tenths: int = 9) -> st.SearchStrategy:
    """``usual`` nine times in ten (``one_of`` would draw each branch equally often)."""
    return st.integers(0, 9).flatmap(lambda n: usual if n < tenths else rare)


piece = mostly(st.text(max_size=12), mostly(st.sampled_from(SPECIALS), st.just(HUGE)), 6)
text = st.lists(piece, max_size=3).map("".join)
utf8_piece = mostly(st.text(max_size=12), st.sampled_from(["\x00", "\u202e", "\u2066"]), 6)
utf8_text = st.lists(utf8_piece, max_size=3).map("".join)
FUZZ = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _bytes(value: str) -> bytes:
    # Lone surrogates cannot be UTF-8: written as their (invalid) three-byte forms.
    return value.encode("utf-8", "surrogatepass")


@pytest.fixture(scope="module")
async def targets(orm: str) -> dict[str, Any]:
    """A staff login, a published survey and draft statements consultations."""
    email = f"fuzz-{uuid.uuid4().hex[:8]}@parlons.example"
    await staff_user(email)
    slug = f"fuzz-{uuid.uuid4().hex[:8]}"
    await create_survey_from_definition(
        {
            "slug": slug,
            "status": "open",
            "title": {"fr": "Fuzz"},
            "sections": [
                {
                    "title": {"fr": "P"},
                    "questions": [
                        {"code": "nom", "kind": "short_text", "text": {"fr": "Nom"}},
                        {
                            "code": "choix",
                            "kind": "multiple",
                            "text": {"fr": "Choix"},
                            "settings": {
                                "allow_other": True,
                                "choices": [
                                    {"code": "a", "fr": "A", "en": "A"},
                                    {"code": "b", "fr": "B", "en": "B"},
                                ],
                            },
                        },
                        {"code": "age", "kind": "number", "text": {"fr": "Âge"}},
                    ],
                }
            ],
        }
    )
    council = await create_council(NewCouncil(f"Conseil fuzz {uuid.uuid4().hex[:6]}"), actor="t")
    consultation = await create_consultation(
        council.id, ConsultationDraft("Fuzz", "statements", secret=True), actor="t"
    )
    return {
        "email": email,
        "slug": slug,
        "council": council.id,
        "polis": f"/staff/councils/{council.id}/consultations/{consultation.id}/polis",
    }


@pytest.fixture(scope="module")
def staff(live_server: str, targets: dict[str, Any]) -> httpx.Client:
    client = httpx.Client(base_url=live_server, timeout=30)
    page = client.get("/staff/login").text
    response = client.post(
        "/staff/login",
        data={
            "csrf": _csrf(page),
            "next": "/staff",
            "email": targets["email"],
            "password": PASSWORD,
        },
    )
    assert response.status_code == 303
    return client


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def _post_file(client: httpx.Client, url: str, page: str, files: dict[str, Any], **data: str):
    response = client.post(url, data={"csrf": _csrf(page), **data}, files=files)
    assert response.status_code < 500, response.text[-500:]
    return response


@FUZZ
@given(
    header=st.lists(
        st.one_of(st.sampled_from(["nom", "choix", "âge", "Horodateur"]), text),
        min_size=1,
        max_size=5,
    ),
    rows=st.lists(st.lists(text, max_size=6), max_size=5),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_responses_csv_import_never_fails(
    staff: httpx.Client,
    targets: dict[str, Any],
    header: list[str],
    rows: list[list[str]],
    delimiter: str,
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    slug = targets["slug"]
    page = staff.get(f"/staff/surveys/{slug}/edit").text
    files = {"file": ("r.csv", _bytes(buffer.getvalue()), "text/csv")}
    uploaded = _post_file(staff, f"/staff/surveys/{slug}/responses-import", page, files)
    if uploaded.status_code != 303:
        return
    mapping = staff.get(uploaded.headers["location"])
    assert mapping.status_code < 500
    codes = ["nom", "choix", "age", "__date__"]
    columns = re.findall(r'name="(col_\d+)"', mapping.text)
    fields = {name: codes[i % len(codes)] for i, name in enumerate(columns)}
    for action in ("check", "import"):
        checked = staff.post(
            uploaded.headers["location"],
            data={"csrf": _csrf(mapping.text), "action": action, **fields},
        )
        assert checked.status_code < 500, checked.text[-500:]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
choices = st.lists(
    st.fixed_dictionaries({"code": st.sampled_from(["a", "b", "c"]), "fr": text, "en": text}),
    min_size=1,
    max_size=3,
    unique_by=lambda c: c["code"],
)
questions = st.fixed_dictionaries(
    {
        "code": st.sampled_from(["q1", "q2", "q3"]),
        "kind": st.sampled_from(["short_text", "long_text", "single", "multiple"]),
        "text": st.fixed_dictionaries({"fr": text, "en": text}),
        "help": st.fixed_dictionaries({"fr": text, "en": text}),
        "settings": st.fixed_dictionaries({"choices": choices}),
    }
)
# Mostly well-formed, so that the texts reach the database; sometimes broken anywhere.
well_formed = st.fixed_dictionaries(
    {
        "format": st.just("parlons-survey"),
        "title": st.fixed_dictionaries({"fr": text.filter(bool), "en": text}),
        "description": st.fixed_dictionaries({"fr": text, "en": text}),
        "consent": text,
        "retention_days": st.one_of(st.none(), st.integers(-5, 10**12)),
        "sections": st.lists(
            st.fixed_dictionaries(
                {
                    "title": st.fixed_dictionaries({"fr": text, "en": text}),
                    "description": st.fixed_dictionaries({"fr": text, "en": text}),
                    "questions": st.lists(questions, max_size=3, unique_by=lambda q: q["code"]),
                }
            ),
            min_size=1,
            max_size=2,
        ),
    }
)
broken = st.fixed_dictionaries(
    {
        "format": st.just("parlons-survey"),
        "title": json_values,
        "access": json_values,
        "retention_days": json_values,
        "sections": st.one_of(
            json_values,
            st.lists(
                st.fixed_dictionaries(
                    {"title": json_values, "settings": json_values, "questions": json_values}
                ),
                max_size=2,
            ),
        ),
    }
)
definitions = mostly(well_formed, broken, 7)


@FUZZ
@given(definition=definitions, raw=st.one_of(st.none(), st.binary(max_size=300)))
def test_json_definition_import_never_fails(
    staff: httpx.Client, definition: dict[str, Any], raw: bytes | None
) -> None:
    definition["slug"] = f"j-{uuid.uuid4().hex[:10]}"
    data = raw if raw is not None else json.dumps(definition).encode()
    page = staff.get("/staff/surveys/new").text
    _post_file(staff, "/staff/surveys/import", page, {"file": ("s.json", data, "application/json")})


def _cell(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value.encode("utf-8", "ignore").decode("utf-8"))


@FUZZ
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.sampled_from(["text", "select_one l", "integer", "begin group"]), text),
            text,
            text,
            text,
        ),
        max_size=5,
    ),
    settings_row=st.tuples(text, text),
    raw=st.one_of(st.none(), st.binary(max_size=300).map(lambda b: b"PK\x03\x04" + b)),
)
def test_xlsform_import_never_fails(
    staff: httpx.Client,
    rows: list[tuple[str, ...]],
    settings_row: tuple[str, str],
    raw: bytes | None,
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    sheet.append(["type", "name", "label", "relevant"])
    for row in rows:
        sheet.append([_cell(v)[:30_000] for v in row])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    choices.append(["l", "a", "A"])
    choices.append(["l", "b", _cell(rows[0][2])[:30_000] if rows else "B"])
    extra = book.create_sheet("settings")
    extra.append(["form_title", "form_id"])
    extra.append([_cell(v)[:30_000] for v in settings_row])
    out = io.BytesIO()
    book.save(out)
    data = raw if raw is not None else out.getvalue()
    page = staff.get("/staff/surveys/new").text
    _post_file(
        staff, "/staff/surveys/import", page, {"file": ("f.xlsx", data, "application/octet-stream")}
    )


@st.composite
def polis_exports(draw: st.DrawFn) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Comments and votes that are mostly consistent (so bodies reach the database), with
    an odd value here and there."""
    odd = text
    # A lone surrogate makes the whole file unreadable: rare, so that bodies reach storage.
    body = mostly(utf8_text, text)
    numbers = draw(st.lists(st.integers(0, 6), min_size=1, max_size=4, unique=True))
    comments = [
        (
            draw(mostly(st.just(str(n)), odd)),
            draw(st.sampled_from(["0", "1", "-1", ""])),
            draw(body),
        )
        for n in numbers
    ]
    votes = [
        (
            draw(mostly(st.sampled_from([str(n) for n in numbers]), odd)),
            draw(mostly(st.integers(0, 3).map(str), odd)),
            draw(mostly(st.sampled_from(["1", "0", "-1"]), odd)),
        )
        for _ in range(draw(st.integers(0, 6)))
    ]
    return comments, votes


@FUZZ
@given(export=polis_exports())
def test_polis_import_never_fails(
    staff: httpx.Client,
    targets: dict[str, Any],
    export: tuple[list[tuple[str, ...]], list[tuple[str, ...]]],
) -> None:
    comments, votes = export
    comments_csv = io.StringIO()
    writer = csv.writer(comments_csv)
    writer.writerow(["comment-id", "moderated", "comment-body"])
    writer.writerows(comments)
    votes_csv = io.StringIO()
    writer = csv.writer(votes_csv)
    writer.writerow(["comment-id", "voter-id", "vote"])
    writer.writerows(votes)
    page = staff.get(targets["polis"]).text
    files = {
        "comments": ("comments.csv", _bytes(comments_csv.getvalue()), "text/csv"),
        "votes": ("votes.csv", _bytes(votes_csv.getvalue()), "text/csv"),
    }
    if _post_file(staff, targets["polis"], page, files).status_code == 200:
        # Imported: the next example needs a consultation without ballots.
        created = staff.post(
            f"/staff/councils/{targets['council']}/consultations",
            data={"csrf": _csrf(page), "title": "Fuzz", "method": "statements", "secret": "1"},
        )
        assert created.status_code == 303
        targets["polis"] = created.headers["location"] + "/polis"
