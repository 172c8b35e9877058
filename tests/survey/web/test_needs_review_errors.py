"""Review forms refused (an empty name, one need to merge, a bad number of sub-needs): the
run page comes back with the message next to the field, in the staff's language, and what
was typed still there."""

from __future__ import annotations

import re

import httpx
import pytest

from survey.domain import needs as domain
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.models.needs import AnalysisRun, Need, NeedAnswer
from tests.factories.needs import finished_run, survey_with_answers
from tests.factories.staff import log_in
from tests.htmlform import field_value, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")


async def _run() -> tuple[SurveyDef, AnalysisRun, Need, Need]:
    """A finished run with two needs: "Bus le soir" (7 residents), "Loyers" (3)."""
    definition = await survey_with_answers([f"Réponse numéro {i}" for i in range(10)])
    async with connection() as conn:
        ids = [
            int(r["id"])
            for r in await conn.fetch(
                "SELECT id FROM responses WHERE survey_id = $1 ORDER BY id", definition.id
            )
        ]
    run = await finished_run(definition.id, "manque", n_answers=len(ids))
    bus = await Need.create(run=run, label="Bus le soir", position=0, size=7, theme_label="T")
    rent = await Need.create(run=run, label="Loyers", position=1, size=3, theme_label="L")
    for index, rid in enumerate(ids):
        need = bus if index < 7 else rent
        await NeedAnswer.create(run=run, response_id=rid, need=need, x=index, y=0)
    return definition, run, bus, rent


def _error_of(html: str, error_id: str) -> str:
    found = re.search(rf'<p class="error" id="{error_id}">(.*?)</p>', html, re.S)
    assert found is not None, error_id
    return text_of(found.group(1)).strip()


def _input(html: str, input_id: str) -> str:
    found = re.search(rf'<input id="{input_id}"[^>]*>', html)
    assert found is not None, input_id
    return found.group(0)


@pytest.mark.parametrize(
    ("lang", "empty", "bad_k", "too_small", "merge_one"),
    [
        (
            "fr",
            "Le nom ne peut pas être vide.",
            "Le nombre de besoins doit être entre 2 et 7.",
            "Ce besoin a trop peu de réponses pour être scindé.",
            "Sélectionnez au moins deux besoins à fusionner.",
        ),
        (
            "en",
            "The name cannot be empty.",
            "The number of needs must be between 2 and 7.",
            "This need has too few answers to be split.",
            "Select at least two needs to merge.",
        ),
    ],
)
async def test_review_forms_refused_show_message_next_to_field_keeping_input(
    client: httpx.AsyncClient,
    lang: str,
    empty: str,
    bad_k: str,
    too_small: str,
    merge_one: str,
) -> None:
    definition, run, bus, rent = await _run()
    await log_in(client)
    client.cookies.set("lang", lang)
    base = f"/staff/surveys/{definition.slug}/analysis/{run.id}"
    csrf = field_value((await client.get(base)).text, "csrf")

    renamed = await post_form(
        client, f"{base}/needs/{bus.id}/rename", [("csrf", csrf), ("label", "   ")]
    )
    assert renamed.status_code == 422
    assert _error_of(renamed.text, f"e-label-{bus.id}") == empty
    assert 'value="   "' in _input(renamed.text, f"label-{bus.id}")
    assert 'aria-invalid="true"' in _input(renamed.text, f"label-{bus.id}")
    # The other need's form is untouched.
    assert f'id="e-label-{rent.id}"' not in renamed.text

    split = await post_form(client, f"{base}/needs/{bus.id}/split", [("csrf", csrf), ("k", "12")])
    assert split.status_code == 422
    assert _error_of(split.text, f"e-k-{bus.id}") == bad_k
    assert 'value="12"' in _input(split.text, f"k-{bus.id}")
    letters = await post_form(
        client, f"{base}/needs/{bus.id}/split", [("csrf", csrf), ("k", "deux")]
    )
    assert letters.status_code == 422
    assert 'value="deux"' in _input(letters.text, f"k-{bus.id}")
    small = await post_form(client, f"{base}/needs/{rent.id}/split", [("csrf", csrf), ("k", "")])
    assert small.status_code == 422
    assert _error_of(small.text, f"e-k-{rent.id}") == too_small

    merged = await post_form(client, f"{base}/merge", [("csrf", csrf), ("need", str(rent.id))])
    assert merged.status_code == 422
    assert _error_of(merged.text, "e-merge") == merge_one
    ticked = re.search(rf'<input type="checkbox" name="need" value="{rent.id}"[^>]*>', merged.text)
    assert ticked is not None
    assert " checked" in ticked.group(0)
    # Nothing was changed.
    assert [(n.label, n.size) for n in await domain.needs_of_run(run)] == [
        ("Bus le soir", 7),
        ("Loyers", 3),
    ]
