"""The demo shows a whole loop: needs, a council decision, actions, a published follow-up."""

from __future__ import annotations

import httpx
import pytest

from survey.domain.demo import load_demo
from survey.domain.demo_followup import COUNCIL, load_demo_followup
from survey.models.actions import Action
from survey.models.councils import Consultation, Council
from tests.htmlform import text_of

pytestmark = pytest.mark.usefixtures("orm")


async def test_demo_follow_up_shows_a_decision_and_actions(client: httpx.AsyncClient) -> None:
    slug, _ = await load_demo()
    # Other tests of the session may have loaded it already: whichever call built it,
    # it is built once, and a later start adds nothing.
    await load_demo_followup(slug)
    assert await load_demo_followup(slug) is False
    assert await Council.filter(name=COUNCIL).count() == 1
    closed = await Consultation.filter(state="closed", published=True, title__startswith="Quels")
    assert len(closed) == 1
    assert await Action.filter(consultation_id=closed[0].id).count() == 2
    page = await client.get(f"/s/{slug}/suivi")
    assert page.status_code == 200
    text = " ".join(text_of(page.text).split())
    assert "Quels besoins traiter en premier ?" in text
    assert "l'emporte, avec la mention majoritaire" in text
    assert "Service vie des quartiers" in text
    assert "En cours" in text
    assert "cité par" in text


async def test_demo_confirmed_matches_land_on_needs_the_analysis_finds() -> None:
    from analysis.text import normalise
    from survey.domain.definitions import get_definition
    from survey.domain.needs import latest_run
    from survey.models.actors import ActorNeedLink
    from survey.models.needs import Need

    slug, _ = await load_demo()
    await load_demo_followup(slug)
    labels = {n.staff_label or n.label for n in await Need.all()}
    links = await ActorNeedLink.filter(state="confirmed").values_list("need_label", flat=True)
    shown = [label for label in links if label in labels]
    assert shown, (sorted(labels), links)
    # Named before the analysis, each took the need of its name, which it now follows.
    definition = await get_definition(slug)
    run = await latest_run(definition.id, "manque")
    assert run is not None
    names = {normalise(n.staff_label or n.label): n.id for n in await Need.filter(run_id=run.id)}
    demo = await ActorNeedLink.filter(survey_id=definition.id, state="confirmed")
    found = [link for link in demo if normalise(link.need_label) in names]
    assert found
    assert [link.need_id for link in found] == [names[normalise(x.need_label)] for x in found]
