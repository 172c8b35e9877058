"""Fuzzing with hypothesis: answer parsing and CSV import never crash on any input."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.csvio import TableError, parse_table
from survey.domain import forms
from survey.domain.definitions import QuestionDef, SectionDef
from survey.enums import QuestionKind

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
    from survey.domain.imports import xlsform_to_definition
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
