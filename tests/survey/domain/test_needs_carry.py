"""Re-runs and next waves keep each need that still matches, with what staff did on it."""

from __future__ import annotations

import re
import uuid
from html.parser import HTMLParser

import httpx
import pytest

from survey.domain import needs as domain
from survey.domain.answering import load_responses
from survey.models.actions import Action
from survey.models.needs import AnalysisRun, Need
from tests.factories.needs import BUSES, CHILDCARE, DOCTORS, run_jobs, survey_with_answers
from tests.factories.staff import log_in
from tests.htmlform import post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")


class _Form(HTMLParser):
    """Every field a browser would send from the form with ``id``, as typed on the page."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, []  # type: ignore[var-annotated]
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or not a.get("name") and tag != "option":
            return
        if tag == "input" and (a.get("type") not in ("checkbox",) or "checked" in a):
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields.append((a["name"], ""))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        if tag == "textarea":
            self._textarea = None
        if tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, value = self.fields[-1]
            self.fields[-1] = (name, value + data)


def form_fields(page: str, form_id: str) -> list[tuple[str, str]]:
    parser = _Form(form_id)
    parser.feed(page)
    return parser.fields


async def _run(definition, n_clusters=None) -> AnalysisRun:  # type: ignore[no-untyped-def]
    run = await domain.start_analysis(definition.slug, "manque", n_clusters=n_clusters)
    await run_jobs()
    return await AnalysisRun.get(id=run.id)


async def _add(definition, texts: list[str]) -> None:  # type: ignore[no-untyped-def]
    await load_responses(
        definition,
        [
            {
                "key": str(uuid.uuid4()),
                "submitted_at": "2026-10-22T10:00:00+00:00",
                "answers": {"manque": text, "quartier": "centre"},
            }
            for text in texts
        ],
    )


async def test_rerun_keeps_reviewed_name_mark_and_action_and_says_what_changed(
    client: httpx.AsyncClient,
) -> None:
    definition = await survey_with_answers(CHILDCARE + BUSES + DOCTORS)
    first = await _run(definition, n_clusters=3)
    needs = await domain.needs_of_run(first)
    bus = next(n for n in needs if n.theme_label.startswith("Transport"))
    doctors = next(n for n in needs if n.theme_label.startswith("Santé"))
    await domain.rename_need(first, bus.id, "Bus du soir et du dimanche")
    await domain.toggle_need(first, doctors.id)
    action = await Action.create(
        survey_id=definition.id, need_id=bus.id, title="Demander une ligne du soir"
    )
    await _add(definition, ["Un bus le samedi soir aussi", "Des bus plus tard le soir"])
    second = await _run(definition, n_clusters=3)
    again = await Need.filter(run_id=second.id)
    carried = next(n for n in again if n.staff_label == "Bus du soir et du dimanche")
    assert carried.previous_id == bus.id
    assert next(n for n in again if n.previous_id == doctors.id).is_need is False
    # The action follows the need that carries on.
    await action.refresh_from_db()
    assert action.need_id == carried.id
    assert second.changes["grew"] == ["Bus du soir et du dimanche"]
    assert second.changes["gone"] == []
    await log_in(client)
    page = text_of(
        (await client.get(f"/staff/surveys/{definition.slug}/analysis/{second.id}")).text
    )
    assert "Besoins en hausse : Bus du soir et du dimanche" in " ".join(page.split())
    assert "Repris de l'analyse précédente." in page


async def test_next_wave_carries_reviewed_names_by_meaning(client: httpx.AsyncClient) -> None:
    earlier = await survey_with_answers(CHILDCARE + BUSES + DOCTORS)
    first = await _run(earlier, n_clusters=3)
    bus = next(n for n in await domain.needs_of_run(first) if n.theme_label.startswith("Transport"))
    await domain.rename_need(first, bus.id, "Bus du soir et du dimanche")
    later = await survey_with_answers(
        [
            "Le soir il n'y a plus de bus",
            "Des bus le dimanche matin",
            "Un bus plus tard le soir pour rentrer",
            "Le bus passe trop rarement",
            "Il faudrait des bus après 21h",
            "Une crèche pour mon fils",
            "Aucune place en crèche",
            "Une crèche ouverte le samedi",
            "Plus de places en crèche",
            "Un médecin traitant, je n'en ai plus",
            "Il n'y a pas de médecin généraliste",
            "Des médecins qui prennent de nouveaux patients",
        ]
    )
    await log_in(client)
    url = f"/staff/surveys/{later.slug}/analysis/vocabulary"
    page = (await client.get(url)).text
    fields = [(k, v) for k, v in form_fields(page, "vocabulary") if k != "previous_survey"]
    saved = await post_form(client, url, fields + [("previous_survey", str(earlier.id))])
    assert saved.status_code == 303
    assert f'<option value="{earlier.id}" selected>' in (await client.get(url)).text
    second = await _run(later, n_clusters=3)
    assert second.changes["wave"] is True
    assert second.changes["previous"] == first.id
    labels = [n.label for n in await domain.needs_of_run(second)]
    assert "Bus du soir et du dimanche" in labels
    page = text_of((await client.get(f"/staff/surveys/{later.slug}/analysis/{second.id}")).text)
    assert "Besoins repris de la vague précédente." in page


async def test_vocabulary_edited_in_the_web_guides_the_next_analysis(
    client: httpx.AsyncClient,
) -> None:
    dogs = [
        "Des crottes de chien partout sur les trottoirs",
        "Un espace pour promener les chiens",
        "Les chiens sans laisse dans le parc",
        "Des sacs pour les crottes de chien",
        "Un parc à chiens",
    ]
    definition = await survey_with_answers(CHILDCARE + BUSES + DOCTORS + dogs)
    await log_in(client)
    url = f"/staff/surveys/{definition.slug}/analysis/vocabulary"
    page = (await client.get(url)).text
    assert "Transports et déplacements" in page
    assert "crèche = nursery" in page
    fields = form_fields(page, "vocabulary")
    values = dict(fields)
    count = int(values["count"])
    health = next(k for k, v in fields if v == "Santé et accès aux soins")
    cleanliness = next(k for k, v in fields if v == "Propreté et cadre de vie").replace(
        "label_fr", "remove"
    )
    typed = [(k, "Médecins et soins" if k == health else v) for k, v in fields]
    typed = [(k, v) for k, v in typed if not k.startswith(f"theme-{count}-")]
    typed += [
        (cleanliness, "1"),
        (f"theme-{count}-label_fr", "Animaux en ville"),
        (f"theme-{count}-label_en", "Animals in town"),
        (f"theme-{count}-terms", "chien = dog\ncrotte de chien = dog mess\nlaisse = leash"),
    ]
    saved = await post_form(client, url, typed)
    assert saved.status_code == 303
    page = (await client.get(url)).text
    assert "Cette enquête a son propre vocabulaire." in text_of(page)
    assert "Animaux en ville" in page
    assert "Propreté et cadre de vie" not in page
    run = await _run(definition)
    themes = {n.theme_label for n in await domain.needs_of_run(run)}
    assert "Animaux en ville" in themes
    assert "Médecins et soins" in themes
    assert "Propreté et cadre de vie" not in themes


async def test_vocabulary_bad_input_is_answered_next_to_its_field(
    client: httpx.AsyncClient,
) -> None:
    definition = await survey_with_answers(CHILDCARE + BUSES)
    await log_in(client)
    url = f"/staff/surveys/{definition.slug}/analysis/vocabulary"
    page = (await client.get(url)).text
    fields = form_fields(page, "vocabulary")
    count = int(dict(fields)["count"])
    typed = [(k, v) for k, v in fields if not k.startswith(f"theme-{count}-")]
    typed = [(k, "" if k == "theme-0-label_fr" else v) for k, v in typed]
    typed += [(f"theme-{count}-label_fr", "Propreté des rues"), (f"theme-{count}-terms", "  ")]
    refused = await post_form(client, url, typed + [("previous_survey", "99999999")])
    assert refused.status_code == 422
    assert re.search(r'id="e-theme-0-label_fr">Donnez un nom français à ce thème', refused.text)
    assert re.search(rf'id="e-theme-{count}-terms">Donnez au moins un mot', refused.text)
    assert 'id="e-previous_survey"' in refused.text
    # What was typed stays.
    assert 'value="Propreté des rues"' in refused.text
    assert "Cette enquête suit le vocabulaire fourni" in text_of((await client.get(url)).text)
    # A form without its CSRF token is refused; so is a visitor who is not staff.
    without = await post_form(client, url, [(k, v) for k, v in typed if k != "csrf"])
    assert without.status_code == 403
    anonymous = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    async with anonymous:
        assert (await anonymous.get(url)).status_code in (302, 303, 401, 403)
