"""Staff's decisions on actors follow their need: renamed, merged, split, re-run, or gone."""

from __future__ import annotations

import uuid

import httpx
import pytest

from survey.domain import needs as needs_domain
from survey.domain.answering import load_responses
from survey.models.actors import Actor
from survey.models.needs import AnalysisRun, Need, NeedAnswer
from tests.factories.needs import (
    BUS_TEXTS,
    BUSES,
    CHILDCARE,
    DOCTORS,
    finished_run,
    run_jobs,
    survey_with_answers,
    survey_with_need,
)
from tests.factories.staff import staff_client
from tests.htmlform import field_value, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")


def _base(slug: str, run_id: int) -> str:
    return f"/staff/surveys/{slug}/analysis/{run_id}"


async def _decide(
    client: httpx.AsyncClient, slug: str, run_id: int, need_id: int, actor: Actor, state: str
) -> None:
    url = f"{_base(slug, run_id)}/needs/{need_id}/actors"
    token = field_value((await client.get(url)).text, "csrf")
    fields = [("csrf", token), ("actor", str(actor.id)), ("state", state), ("reason", "Minibus")]
    assert (await post_form(client, url, fields)).status_code == 303


async def _review(client: httpx.AsyncClient, url: str, fields: list[tuple[str, str]]) -> None:
    token = field_value((await client.get("/staff")).text, "csrf")
    assert (await post_form(client, url, [("csrf", token), *fields])).status_code == 303


async def _decisions(client: httpx.AsyncClient, slug: str, run_id: int, need_id: int) -> str:
    """The confirmed and the rejected actors of a need, as its page reads."""
    page = await client.get(f"{_base(slug, run_id)}/needs/{need_id}/actors")
    assert page.status_code == 200
    text = " ".join(text_of(page.text).split())
    confirmed = text.split("Acteurs confirmés", 1)[1].split("Acteurs suggérés", 1)[0]
    rejected = text.split("Acteurs écartés", 1)[1] if "Acteurs écartés" in text else ""
    return f"{confirmed} | {rejected}"


async def _actor_page(client: httpx.AsyncClient, actor: Actor) -> str:
    page = await client.get(f"/staff/actors/{actor.id}")
    assert page.status_code == 200
    return page.text


async def test_renamed_need_keeps_its_confirmed_actor(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    tag = uuid.uuid4().hex[:6]
    definition, run, need = await survey_with_need(f"Bus le soir {tag}", BUS_TEXTS)
    actor = await Actor.create(name=f"Navette {tag}", services=["Minibus le soir"])
    await _decide(client, definition.slug, run.id, need.id, actor, "confirmed")
    await _review(
        client,
        f"{_base(definition.slug, run.id)}/needs/{need.id}/rename",
        [("label", f"Transport après 20 h {tag}")],
    )
    decisions = await _decisions(client, definition.slug, run.id, need.id)
    assert decisions.startswith(" (1) ")
    assert actor.name in decisions
    page = await _actor_page(client, actor)
    url = f"{_base(definition.slug, run.id)}/needs/{need.id}/actors"
    assert f'<a href="{url}">Transport après 20 h {tag}</a> – confirmé' in page
    assert "besoin absent" not in page


async def _two_needs(tag: str) -> tuple[str, AnalysisRun, Need, Need]:
    definition, run, bus = await survey_with_need(f"Bus le soir {tag}", BUS_TEXTS + CHILDCARE)
    ids = (
        await NeedAnswer.filter(run_id=run.id)
        .order_by("response_id")
        .values_list("response_id", flat=True)
    )
    creche = await Need.create(
        run=run, position=1, label=f"Crèche {tag}", keywords=["creche"], size=len(CHILDCARE)
    )
    moved = list(ids[len(BUS_TEXTS) :])
    await NeedAnswer.filter(run_id=run.id, response_id__in=moved).update(need_id=creche.id)
    creche.quote_response_ids = moved[:3]
    await creche.save(update_fields=["quote_response_ids"])
    return definition.slug, run, bus, creche


async def test_merged_need_keeps_the_decisions_of_both(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    tag = uuid.uuid4().hex[:6]
    slug, run, bus, creche = await _two_needs(tag)
    navette = await Actor.create(name=f"Navette {tag}", services=["Minibus le soir"])
    garde = await Actor.create(name=f"Garde partagée {tag}", services=["Garde d'enfants"])
    both = await Actor.create(name=f"Centre social {tag}", services=["Accueil"])
    await _decide(client, slug, run.id, bus.id, navette, "confirmed")
    await _decide(client, slug, run.id, creche.id, garde, "confirmed")
    # Set aside for one, confirmed for the other: the confirmation stands.
    await _decide(client, slug, run.id, bus.id, both, "rejected")
    await _decide(client, slug, run.id, creche.id, both, "confirmed")
    fields = [("need", str(bus.id)), ("need", str(creche.id)), ("confirm", "1")]
    await _review(
        client, f"{_base(slug, run.id)}/merge", [*fields, ("label", f"Au quotidien {tag}")]
    )
    kept = await Need.get(run_id=run.id)
    assert kept.id in (bus.id, creche.id)
    decisions = await _decisions(client, slug, run.id, kept.id)
    confirmed, rejected = decisions.split(" | ")
    assert confirmed.startswith(" (3) ")
    assert navette.name in confirmed and garde.name in confirmed and both.name in confirmed
    assert rejected == ""
    assert f"Au quotidien {tag}</a> – confirmé" in await _actor_page(client, garde)


async def test_split_need_keeps_its_decisions_on_each_part(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    tag = uuid.uuid4().hex[:6]
    slug, run, bus, creche = await _two_needs(tag)
    await NeedAnswer.filter(run_id=run.id, need_id=creche.id).update(need_id=bus.id)
    await creche.delete()
    navette = await Actor.create(name=f"Navette {tag}", services=["Minibus le soir"])
    creche_actor = await Actor.create(name=f"Crèche des Lilas {tag}", services=["Accueil"])
    await _decide(client, slug, run.id, bus.id, navette, "confirmed")
    await _decide(client, slug, run.id, bus.id, creche_actor, "rejected")
    await _review(client, f"{_base(slug, run.id)}/needs/{bus.id}/split", [("k", "2")])
    parts = await Need.filter(run_id=run.id).order_by("position")
    assert len(parts) == 2 and bus.id not in [p.id for p in parts]
    for part in parts:
        confirmed, rejected = (await _decisions(client, slug, run.id, part.id)).split(" | ")
        assert confirmed.startswith(" (1) ") and navette.name in confirmed
        assert creche_actor.name in rejected
    page = await _actor_page(client, navette)
    for part in parts:
        assert f"{_base(slug, run.id)}/needs/{part.id}/actors" in page


async def test_rerun_with_more_answers_keeps_a_renamed_need_s_actor(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    tag = uuid.uuid4().hex[:6]
    definition = await survey_with_answers(CHILDCARE + BUSES + DOCTORS)
    first = await needs_domain.start_analysis(definition.slug, "manque", n_clusters=3)
    await run_jobs()
    needs = await needs_domain.needs_of_run(first)
    bus = next(n for n in needs if n.theme_label.startswith("Transport"))
    actor = await Actor.create(name=f"Navette {tag}", services=["Minibus le soir"])
    await _decide(client, definition.slug, first.id, bus.id, actor, "confirmed")
    await _review(
        client,
        f"{_base(definition.slug, first.id)}/needs/{bus.id}/rename",
        [("label", f"Bus du soir et du dimanche {tag}")],
    )
    await load_responses(
        definition,
        [
            {
                "key": str(uuid.uuid4()),
                "submitted_at": "2026-10-22T10:00:00+00:00",
                "answers": {"manque": text, "quartier": "centre"},
            }
            for text in ["Un bus le samedi soir aussi", "Des bus plus tard le soir"]
        ],
    )
    second = await needs_domain.start_analysis(definition.slug, "manque", n_clusters=3)
    await run_jobs()
    carried = await Need.get(run_id=second.id, previous_id=bus.id)
    confirmed = (await _decisions(client, definition.slug, second.id, carried.id)).split(" | ")[0]
    assert confirmed.startswith(" (1) ") and actor.name in confirmed
    page = await _actor_page(client, actor)
    url = f"{_base(definition.slug, second.id)}/needs/{carried.id}/actors"
    assert f'<a href="{url}">Bus du soir et du dimanche {tag}</a> – confirmé' in page


async def test_need_no_rerun_carries_on_shows_its_decision_as_gone(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    tag = uuid.uuid4().hex[:6]
    definition, run, need = await survey_with_need(f"Bus le soir {tag}", BUS_TEXTS)
    actor = await Actor.create(name=f"Navette {tag}", services=["Minibus le soir"])
    await _decide(client, definition.slug, run.id, need.id, actor, "confirmed")
    # A newer run in which no need carries this one on (none has it as previous).
    later = await finished_run(definition.id, "manque")
    other = await Need.create(run=later, label=f"Bus le soir {tag}", size=6)
    confirmed = (await _decisions(client, definition.slug, later.id, other.id)).split(" | ")[0]
    assert confirmed.startswith(" (0) ")
    page = " ".join(text_of(await _actor_page(client, actor)).split())
    assert f"Bus le soir {tag} – confirmé besoin absent de la dernière analyse" in page
