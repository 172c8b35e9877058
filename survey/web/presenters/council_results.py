"""A consultation's frozen results as the sections of its results pages.

Each voting method says what its sections hold (``analysis.voting``); this module only puts
them into the language of the page and turns their figures into plotly charts (staff pages)
or leaves the server-drawn bars alone (the public page needs no JavaScript and no chart
library).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from analysis.voting import METHODS
from survey.i18n import translate
from survey.web.charts import Chart


def results_sections(
    results: Mapping[str, Any], lang: str, *, charts: bool = True
) -> list[dict[str, Any]]:
    """Per method section: a heading, how it was counted, a table, and either plotly charts
    with their data (``charts=True``) or none, in which case the page shows the section's
    ``bars`` with their ``legend``."""
    labels = [o["title"] for o in results["options"]]
    method = METHODS.get(str(results["method"]))
    if not labels or method is None:
        return []
    sections = method.sections(results, labels, functools.partial(translate, lang))
    for section in sections:
        figures = section.pop("figures", [])
        section["charts"] = (
            [Chart(f.figure, f.title, f.header, f.rows, lang=lang).html() for f in figures]
            if charts
            else []
        )
    return sections
