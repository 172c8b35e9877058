"""The import pages' forms read into the domain's commands (a survey from a file's columns,
the mapping of a responses file), and the domain's field errors put back under the names
of the fields they are about."""

from __future__ import annotations

import re
from collections.abc import Mapping

from survey.domain.forms import FieldError
from survey.domain.import_dates import zone_named
from survey.domain.response_import import MAX_RECODES, ImportChoices, Recode
from survey.domain.staff_forms import Unread
from survey.domain.survey_from_file import FileSurvey, KeptColumn

# ``columns.3.kind`` is the field ``kind_3``.
_COLUMN_PLACE = re.compile(r"^columns\.(\d+)\.(kind|title)$")
# An index as the pages write it: ``col_7``, never ``col_07``.
_INDEXED = re.compile(r"^(col|keep)_(0|[1-9][0-9]{0,5})$")


def file_survey(values: Mapping[str, str]) -> FileSurvey:
    """The review of a file's proposals: a column is kept when its box is ticked."""
    columns: dict[int, KeptColumn] = {}
    for name, value in values.items():
        match = _INDEXED.match(name)
        if match and match.group(1) == "keep" and value == "1":
            index = int(match.group(2))
            columns[index] = KeptColumn(values.get(f"kind_{index}"), values.get(f"title_{index}"))
    return FileSurvey(values.get("slug", ""), values.get("title", ""), columns)


def file_survey_errors(errors: Mapping[str, FieldError]) -> dict[str, FieldError]:
    """The domain's errors about a file's proposals keyed by their fields."""
    fields: dict[str, FieldError] = {}
    for place, error in errors.items():
        match = _COLUMN_PLACE.match(place)
        fields[f"{match.group(2)}_{match.group(1)}" if match else place] = error
    return fields


def column_values(mapping: Mapping[int, str]) -> dict[str, str]:
    """Each column's question as the mapping page's fields ``col_INDEX``."""
    return {f"col_{index}": code for index, code in mapping.items()}


def import_choices(values: Mapping[str, str]) -> ImportChoices:
    """The mapping page: columns, day order, time zone and recodes as sent."""
    columns = {
        int(match.group(2)): value
        for name, value in values.items()
        if (match := _INDEXED.match(name)) and match.group(1) == "col"
    }
    typed = values.get("zone", "").strip()[:64]
    zone = (zone_named(typed) or Unread(typed)) if typed else None
    recodes: list[Recode] = []
    # The review page numbers the values it lists from 0, with no gap.
    for index in range(MAX_RECODES):
        question = values.get(f"recode_{index}_q")
        value = values.get(f"recode_{index}_v")
        if question is None or value is None:
            break
        recodes.append(Recode(question, value, values.get(f"recode_{index}", "")))
    return ImportChoices(columns, values.get("date_order", ""), zone, tuple(recodes))
