"""The paper entry form read into its command."""

from __future__ import annotations

import uuid

from starlette.datastructures import FormData

from survey.domain.paper import PaperEntry
from survey.domain.staff_forms import Unread
from survey.web.paper import paper_entry


def test_paper_entry_reads_answers_key_and_language() -> None:
    key = uuid.uuid4()
    form = FormData(
        [
            ("csrf", "x"),
            ("key", str(key)),
            ("language", "en"),
            ("q_need", "Un bus"),
            ("q_services", "bus"),
            ("q_services", "creche"),
        ]
    )
    assert paper_entry(form) == PaperEntry(
        {"q_need": ["Un bus"], "q_services": ["bus", "creche"]}, key, "en"
    )


def test_paper_entry_malformed_key_is_unread() -> None:
    entry = paper_entry(FormData([("key", "not-a-key")]))
    assert entry == PaperEntry({}, Unread("not-a-key"), "fr")
