"""Fuzzing with hypothesis: answer parsing, CSV import and every form never crash on any input."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.csvio import TableError, parse_table
from survey.domain import forms
from survey.domain.definitions import QuestionDef, SectionDef
from survey.enums import QuestionKind
from tests.factories import make_survey

CHOICES = [{"code": "a", "fr": "A", "en": "A"}, {"code": "b", "fr": "B", "en": "B"}]
QUESTIONS = [
    QuestionDef(
        code="x",
        kind=kind,
        text={"fr": "X", "en": "X"},
        required=required,
        settings={"choices": CHOICES, "min": 0, "max": 10, "allow_other": True},
    )
    for kind in QuestionKind
    for required in (False, True)
]
values = st.lists(st.text(max_size=300), max_size=4)
raw_forms = st.dictionaries(
    st.sampled_from(["q_x", "q_x__other", "q_x__a", "q_x__b", "q_y"]), values, max_size=5
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(question=st.sampled_from(QUESTIONS), raw=raw_forms)
def test_clean_answer_accepts_or_explains_any_input(question: QuestionDef, raw) -> None:  # type: ignore[no-untyped-def]
    answers, error = forms.clean_answer(question, raw)
    if error is not None:
        assert answers == {}
        assert error.key.startswith("error.")
    else:
        assert set(answers) <= {"x", "x__other"}
        # What was accepted reads back as the same answer.
        section = SectionDef(title={}, description={}, questions=(question,))
        again, error_again = forms.clean_answer(
            question, forms.raw_from_answers([section], answers)
        )
        assert error_again is None
        assert again == answers


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=2000))
def test_csv_import_reads_or_refuses_any_bytes(data: bytes) -> None:
    try:
        table = parse_table(data, max_bytes=10_000, max_rows=1000)
    except TableError as error:
        assert error.key.startswith("csv.")
    else:
        assert all(isinstance(cell, str) for row in table.rows for cell in row)
        assert len(table.rows) <= 1000


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.lists(st.text(max_size=40), min_size=2, max_size=2), min_size=1, max_size=20),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_csv_import_round_trips_written_tables(rows, delimiter: str, encoding: str) -> None:  # type: ignore[no-untyped-def]
    import csv
    import io

    rows = [[cell.encode(encoding, "ignore").decode(encoding) for cell in row] for row in rows]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["question", "réponse"])
    writer.writerows(rows)
    table = parse_table(buffer.getvalue().encode(encoding), max_bytes=100_000, max_rows=1000)
    assert table.header == ["question", "réponse"]
    assert table.rows == rows


def _xlsform(rows: list[list[str]], choices: list[list[str]]) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label", "relevant", "required"])
    for row in rows:
        survey.append(row)
    sheet = book.create_sheet("choices")
    sheet.append(["list_name", "name", "label"])
    for row in choices:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


cell = st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=30)
kinds = st.sampled_from(
    [
        "text",
        "integer",
        "decimal",
        "select_one l",
        "select_multiple l",
        "date",
        "begin group",
        "end group",
        "note",
        "calculate",
        "geopoint",
        "range",
        "rank l",
        "bogus type",
        "",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(kinds, cell, cell, cell, st.sampled_from(["", "yes", "no"])), max_size=8
    ),
    choices=st.lists(st.tuples(st.just("l"), cell, cell), max_size=5),
)
def test_xlsform_import_converts_or_explains_any_sheet(rows, choices) -> None:  # type: ignore[no-untyped-def]
    from survey.domain.xlsform import xlsform_to_definition
    from survey.errors import SurveyError

    data = _xlsform([list(r) for r in rows], [list(c) for c in choices])
    try:
        definition, notes = xlsform_to_definition(data, "fuzz.xlsx")
    except SurveyError as error:
        assert error.key.startswith(("builder.", "error."))
    else:
        codes = [q["code"] for s in definition["sections"] for q in s["questions"]]
        assert len(codes) == len(set(codes))  # codes stay unique, whatever the names
        assert all(isinstance(n.key, str) for n in notes)


# --- every form over HTTP ---------------------------------------------------------------------

# What people paste and attackers send: NUL, lone surrogates (sent as the bytes a careless
# encoder writes), bidirectional overrides, zero-width and control characters, 100 KB texts.
ODD = [
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\u202egnp.exe\u202c",
    "\u200b\u200d\ufeff",
    "\x01\x1b[31m\x7f",
    "é" * 100_000,
    "<b>é</b>' OR 1=1; --",
    "9" * 400,
]
odd_text = st.one_of(
    st.sampled_from(ODD),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=60),
)


def _urlencoded(fields: list[tuple[str, str]]) -> str:
    from urllib.parse import quote_plus

    return "&".join(
        f"{quote_plus(k.encode('utf-8', 'surrogatepass'))}"
        f"={quote_plus(v.encode('utf-8', 'surrogatepass'))}"
        for k, v in fields
    )


class _Forms(HTMLParser):
    """The POST forms of a page: action, and each field with the value a browser sends."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, list[tuple[str, str]], list[str]]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            if "multipart" not in a.get("enctype", ""):  # files: another test's
                method = a.get("method", "get").lower()
                self.forms.append((method + " " + a.get("action", ""), [], []))
            return
        if not self.forms or not a.get("name"):
            if tag == "option" and self._select and self.forms:
                self._option(a)
            return
        _, sent, typed = self.forms[-1]
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                typed.append(name)
                return
            if kind not in ("submit", "button", "file"):
                sent.append((name, a.get("value", "")))
            if kind not in ("submit", "button", "file") and name != "csrf":
                typed.append(name)
            elif kind == "submit":
                sent.append((name, a.get("value", "")))
        elif tag == "textarea":
            sent.append((name, ""))
            typed.append(name)
        elif tag == "select":
            self._select = name
            typed.append(name)
        elif tag == "button" and a.get("type", "submit") == "submit" and a.get("value"):
            sent.append((name, a["value"]))
            typed.append(name)

    def _option(self, a: dict[str, str]) -> None:
        _, sent, _ = self.forms[-1]
        if not any(k == self._select for k, _ in sent) or "selected" in a:
            sent[:] = [(k, v) for k, v in sent if k != self._select]
            sent.append((self._select or "", a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def page_forms(page: str, url: str) -> list[tuple[str, list[tuple[str, str]], list[str]]]:
    """Each form of ``page`` as ("post /path", fields sent as they are, fields one may type)."""
    parser = _Forms()
    parser.feed(page)
    forms = []
    for target, sent, typed in parser.forms:
        method, _, action = target.partition(" ")
        action = (action or url).split("#")[0]
        forms.append((f"{method} {action if action.startswith('/') else url}", sent, typed))
    return forms


# Forms left out: they end the session the fuzzing runs in, or delete what it fuzzes.
_SKIPPED = ("logout", "/delete", "/remove", "/revoke")


async def _staff_pages(client) -> list[str]:  # type: ignore[no-untyped-def]
    from tests.factories.council import make_consultation, make_council
    from tests.factories.staff import log_in

    await log_in(client)
    definition = await make_survey()
    draft = await make_survey(status="draft")
    council, _ = await make_council(2)
    consultation = await make_consultation(council, "approval", ["A", "B"], open_now=False)
    statements = await make_consultation(council, "statements", ["S1", "S2"], open_now=False)
    base = f"/staff/councils/{council.id}"
    return [
        "/staff",
        "/staff/surveys/new",
        f"/staff/surveys/{draft.slug}/edit",
        f"/staff/surveys/{definition.slug}/codes",
        f"/staff/surveys/{definition.slug}/paper",
        f"/staff/surveys/{definition.slug}/dashboard",
        f"/staff/surveys/{definition.slug}/analysis",
        "/staff/api-tokens",
        "/staff/councils",
        base,
        f"{base}/consultations/{consultation.id}",
        f"{base}/consultations/{statements.id}",
        f"{base}/sortition",
        "/staff/actions",
    ]


@pytest.fixture
async def fuzz_client(app):  # type: ignore[no-untyped-def]
    """A browser of its own address: the failed logins it sends throttle nobody else."""
    transport = httpx.ASGITransport(app=app, client=("10.99.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


@pytest.fixture
async def fuzz_targets(fuzz_client):  # type: ignore[no-untyped-def]
    """Every form found on the public pages and on the staff pages of fresh objects."""
    from tests.factories.council import make_council

    client = fuzz_client
    definition = await make_survey()
    _, (member, *_) = await make_council(1)
    targets: list[tuple[str, list[tuple[str, str]], list[str]]] = []
    for url in await _staff_pages(client):  # logged in first: the CSRF token stays the same
        response = await client.get(url)
        assert response.status_code == 200, url
        targets += page_forms(response.text, url)
    for url in (f"/s/{definition.slug}", f"/s/{definition.slug}/ma-reponse", "/c/login"):
        targets += page_forms((await client.get(url)).text, url)
    targets = [t for t in targets if not any(s in t[0] for s in _SKIPPED) and t[2]]
    targets = list({(a, tuple(s), tuple(t)): (a, s, t) for a, s, t in targets}.values())
    # The staff login last: a success there changes nothing of the session's rights.
    targets += page_forms((await client.get("/staff/login")).text, "/staff/login")
    assert len({action for action, _, _ in targets}) >= 35
    return targets


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
async def test_every_form_answers_odd_text_without_a_server_error(
    fuzz_client, fuzz_targets, data
) -> None:  # type: ignore[no-untyped-def]
    client = fuzz_client
    action, sent, typed = data.draw(st.sampled_from(fuzz_targets), label="form")
    fields = data.draw(st.lists(st.sampled_from(typed), min_size=1, max_size=3, unique=True))
    odd = {name: data.draw(odd_text, label=name) for name in fields}
    body = [(k, odd.pop(k) if k in odd else v) for k, v in sent] + list(odd.items())
    method, _, path = action.partition(" ")
    if method == "get":  # an address is at most a few kilobytes long
        response = await client.get(path + "?" + _urlencoded([(k, v[:2000]) for k, v in body]))
    else:
        response = await client.post(
            path,
            content=_urlencoded(body),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code < 500, action


async def test_nul_in_a_free_text_answer_is_stored_without_it(client) -> None:  # type: ignore[no-untyped-def]
    from survey.domain.responses import list_responses
    from tests.factories import VALID_ANSWERS
    from tests.factories.resident import answer_all

    definition = await make_survey()
    typed = "Une crèche\x00 pour les petits \u202eet un parc"
    response, _ = await answer_all(client, definition, {**VALID_ANSWERS, "q_manque": [typed]})
    assert response.status_code == 303
    rows = await list_responses(definition.id, page=1)
    assert rows[0]["answers"]["manque"] == typed.replace("\x00", "")


async def test_odd_text_too_long_is_explained_next_to_the_field_and_kept(client) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import VALID_ANSWERS
    from tests.factories.resident import post_step
    from tests.htmlform import text_of

    definition = await make_survey()
    typed = "\x00\u202e" + "x" * 100_000
    answers = {**VALID_ANSWERS, "q_manque": [typed]}
    page = (await client.get(f"/s/{definition.slug}")).text
    step = 0
    while "manque" not in {q.code for q in definition.sections[step].questions}:
        page = (await post_step(client, definition, page, step, answers)).text
        step += 1
    response = await post_step(client, definition, page, step, answers)
    assert response.status_code == 422
    assert "\u202e" + "x" * 100_000 in response.text  # what was typed comes back in the field
    assert 'aria-invalid="true"' in response.text
    assert "caractères" in text_of(response.text)


async def test_nul_in_addresses_is_not_a_server_error(client) -> None:  # type: ignore[no-untyped-def]
    definition = await make_survey()
    for path in (
        "/s/%00",
        f"/s/{definition.slug}%00",
        f"/s/{definition.slug}?invitation=%00A",
        f"/s/{definition.slug}/reprendre?code=%00",
        f"/s/{definition.slug}/reprendre/AB%00CD",
        "/c/k/%00",
        "/staff/login?next=/%00",
    ):
        assert (await client.get(path)).status_code < 500, path
