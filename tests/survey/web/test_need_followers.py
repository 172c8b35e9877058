"""Ballot options and actions follow their need when staff merge or split it."""

from __future__ import annotations

import uuid

import httpx
import pytest

from survey.domain.definitions import SurveyDef
from survey.domain.needs_ballot import NeedsPick, create_options_from_needs
from survey.models.actions import Action
from survey.models.councils import ConsultationOption
from survey.models.needs import AnalysisRun, Need, NeedAnswer
from tests.factories.council import make_consultation, make_council
from tests.factories.needs import BUS_TEXTS, CHILDCARE, survey_with_need
from tests.factories.staff import staff_client
from tests.htmlform import field_value, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")


async def _review(client: httpx.AsyncClient, url: str, fields: list[tuple[str, str]]) -> None:
    token = field_value((await client.get("/staff")).text, "csrf")
    assert (await post_form(client, url, [("csrf", token), *fields])).status_code == 303


async def _decided_on(slug: str, need: Need, tag: str) -> tuple[Action, ConsultationOption]:
    """An action and a draft ballot option made from ``need``."""
    action = await Action.create(need_id=need.id, title=f"Groupe de travail {tag}")
    council, _ = await make_council()
    consultation = await make_consultation(council, "approval", [], open_now=False)
    await create_options_from_needs(
        council.id, consultation.id, NeedsPick(slug, "manque", (str(need.id),)), actor="test"
    )
    option = await ConsultationOption.get(consultation_id=consultation.id, need_id=need.id)
    return action, option


async def _bus_and_creche(tag: str) -> tuple[SurveyDef, AnalysisRun, Need, Need]:
    """A finished run with two needs: buses, and childcare (its answers moved to it)."""
    definition, run, bus = await survey_with_need(f"Bus le soir {tag}", BUS_TEXTS + CHILDCARE)
    ids = (
        await NeedAnswer.filter(run_id=run.id)
        .order_by("response_id")
        .values_list("response_id", flat=True)
    )
    creche = await Need.create(run=run, position=1, label=f"Crèche {tag}", size=len(CHILDCARE))
    await NeedAnswer.filter(run_id=run.id, response_id__in=list(ids[len(BUS_TEXTS) :])).update(
        need_id=creche.id
    )
    return definition, run, bus, creche


async def test_merged_need_keeps_the_actions_and_options_of_both(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    tag = uuid.uuid4().hex[:6]
    definition, run, bus, creche = await _bus_and_creche(tag)
    on_bus, bus_option = await _decided_on(definition.slug, bus, tag)
    on_creche, creche_option = await _decided_on(definition.slug, creche, tag)
    base = f"/staff/surveys/{definition.slug}/analysis/{run.id}"
    fields = [("need", str(bus.id)), ("need", str(creche.id)), ("confirm", "1")]
    await _review(client, f"{base}/merge", [*fields, ("label", f"Au quotidien {tag}")])
    kept = await Need.get(run_id=run.id)
    for action in (on_bus, on_creche):
        await action.refresh_from_db()
        assert action.need_id == kept.id
    for option in (bus_option, creche_option):
        await option.refresh_from_db()
        assert option.need_id == kept.id
    page = await client.get(f"/staff/actions/{on_creche.id}")
    assert page.status_code == 200
    assert f"Au quotidien {tag}" in text_of(page.text)


async def test_split_need_s_actions_and_options_go_to_its_largest_part(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    tag = uuid.uuid4().hex[:6]
    # Three times as many answers on buses as on childcare: the bus part is the largest.
    texts = BUS_TEXTS + BUS_TEXTS + BUS_TEXTS + CHILDCARE
    definition, run, need = await survey_with_need(f"Bus le soir {tag}", texts)
    action, option = await _decided_on(definition.slug, need, tag)
    base = f"/staff/surveys/{definition.slug}/analysis/{run.id}"
    # The split form says where they go before staff split.
    page = " ".join(text_of((await client.get(base)).text).split())
    assert "suivent la partie qui garde le plus de réponses" in page
    await _review(client, f"{base}/needs/{need.id}/split", [("k", "2")])
    parts = await Need.filter(run_id=run.id)
    assert len(parts) == 2 and need.id not in [p.id for p in parts]
    largest = max(parts, key=lambda p: p.size)
    assert largest.size > min(p.size for p in parts)
    await action.refresh_from_db()
    await option.refresh_from_db()
    assert action.need_id == option.need_id == largest.id


async def test_merging_needs_of_one_ballot_never_shows_a_name_twice(
    client: httpx.AsyncClient,
) -> None:
    from survey.domain.consultations import list_options, open_consultation

    await staff_client(client)
    tag = uuid.uuid4().hex[:6]
    definition, run, bus, creche = await _bus_and_creche(tag)
    council, _ = await make_council()
    consultation = await make_consultation(council, "approval", [], open_now=False)
    pick = NeedsPick(definition.slug, "manque", (str(bus.id), str(creche.id)))
    await create_options_from_needs(council.id, consultation.id, pick, actor="test")
    base = f"/staff/surveys/{definition.slug}/analysis/{run.id}"
    fields = [("need", str(bus.id)), ("need", str(creche.id)), ("confirm", "1")]
    await _review(client, f"{base}/merge", [*fields, ("label", f"Au quotidien {tag}")])
    kept = await Need.get(run_id=run.id)
    options = await ConsultationOption.filter(consultation_id=consultation.id).order_by("id")
    assert [o.need_id for o in options] == [kept.id, kept.id]
    assert [o.follows_need for o in options] == [True, False]
    await open_consultation(council.id, consultation.id, actor="test")
    titles = [o.title for o in await list_options(consultation.id)]
    assert titles[0] == f"Au quotidien {tag}"
    assert len(set(titles)) == 2
