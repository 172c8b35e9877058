"""The import pages' forms read into commands, and their errors put back by field."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from survey.domain.forms import FieldError
from survey.domain.response_import import MAX_RECODES, ImportChoices, Recode
from survey.domain.staff_forms import Unread
from survey.domain.survey_from_file import FileSurvey, KeptColumn, column_place
from survey.web import import_forms


def test_file_survey_keeps_only_ticked_columns() -> None:
    values = {
        "slug": "velo",
        "title": "Vélo",
        "keep_0": "1",
        "kind_0": "single",
        "title_0": "Quartier",
        "keep_1": "",
        "kind_1": "number",
        "keep_2": "1",
        "keep_02": "1",
    }
    assert import_forms.file_survey(values) == FileSurvey(
        "velo", "Vélo", {0: KeptColumn("single", "Quartier"), 2: KeptColumn(None, None)}
    )


def test_file_survey_errors_are_keyed_by_their_fields() -> None:
    required = FieldError("error.required", {})
    bad = FieldError("error.bad_form", {})
    errors = {"slug": bad, column_place(3, "title"): required, column_place(12, "kind"): bad}
    assert import_forms.file_survey_errors(errors) == {
        "slug": bad,
        "title_3": required,
        "kind_12": bad,
    }


def test_import_choices_read_columns_order_zone_and_recodes() -> None:
    values = {
        "col_0": "__date__",
        "col_1": "quartier",
        "col_01": "ignored",
        "date_order": "mdy",
        "zone": " America/Montreal ",
        "recode_0_q": "quartier",
        "recode_0_v": "Centre ville",
        "recode_0": "centre",
        "recode_1_q": "quartier",
        "recode_1_v": "Nord",
        "action": "import",
    }
    assert import_forms.import_choices(values) == ImportChoices(
        {0: "__date__", 1: "quartier"},
        "mdy",
        ZoneInfo("America/Montreal"),
        (Recode("quartier", "Centre ville", "centre"), Recode("quartier", "Nord", "")),
    )


def test_import_choices_unknown_zone_is_kept_as_typed() -> None:
    assert import_forms.import_choices({"zone": "Mars/Olympus"}).zone == Unread("Mars/Olympus")
    assert import_forms.import_choices({"zone": "  "}).zone is None


def test_import_choices_recodes_stop_at_first_gap_and_at_most() -> None:
    values = {"recode_0_q": "q", "recode_0_v": "a", "recode_2_q": "q", "recode_2_v": "c"}
    assert import_forms.import_choices(values).recodes == (Recode("q", "a"),)
    many = {}
    for i in range(MAX_RECODES + 5):
        many |= {f"recode_{i}_q": "q", f"recode_{i}_v": str(i)}
    assert len(import_forms.import_choices(many).recodes) == MAX_RECODES


def test_column_values_name_the_mapping_fields() -> None:
    assert import_forms.column_values({0: "__date__", 4: "age"}) == {
        "col_0": "__date__",
        "col_4": "age",
    }
