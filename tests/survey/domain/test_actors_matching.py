"""Suggested actors on a need, staff decisions kept across re-runs, actions, over HTTP."""

from __future__ import annotations

import itertools

import httpx
import pytest

from survey.domain.db import connection
from survey.models.actions import Action
from survey.models.actors import Actor, ActorNeedLink
from survey.models.needs import Need
from tests.factories.needs import BUS_TEXTS, finished_run, survey_with_need
from tests.factories.staff import staff_client
from tests.htmlform import field_value, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")
_counter = itertools.count(1)


async def directory(tag: int) -> dict[str, Actor]:
    return {
        "navette": await Actor.create(
            name=f"Navette solidaire {tag}",
            services=["Transport à la demande vers le marché et la gare", "Sorties du samedi"],
            neighbourhood="hauts",
        ),
        "covoit": await Actor.create(
            name=f"Covoiturage du quartier {tag}",
            services=["Mise en relation de covoitureurs le soir"],
            neighbourhood="bissy",
        ),
        "creche": await Actor.create(
            name=f"Crèche des Lilas {tag}",
            services=["Accueil des enfants de 3 mois à 3 ans"],
            neighbourhood="hauts",
        ),
        "archived": await Actor.create(
            name=f"Ancienne navette {tag}", services=["Bus du soir"], archived=True
        ),
    }


async def test_need_suggestions_rank_by_meaning_with_reason(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    definition, run, need = await survey_with_need(f"Bus le soir {next(_counter)}", BUS_TEXTS)
    actors = await directory(next(_counter))
    url = f"/staff/surveys/{definition.slug}/analysis/{run.id}/needs/{need.id}/actors"
    mine = [a.id for a in actors.values()]
    # The ranking is read among this test's directory alone: other tests' entries (the demo's
    # forty actors among them) are set aside while the page is read, then put back.
    async with connection() as conn:
        others = [
            r["id"]
            for r in await conn.fetch(
                "UPDATE actors SET archived = true WHERE NOT archived AND NOT id = ANY($1::int[])"
                " RETURNING id",
                mine,
            )
        ]
    try:
        page = await client.get(url)
    finally:
        async with connection() as conn:
            await conn.execute(
                "UPDATE actors SET archived = false WHERE id = ANY($1::int[])", others
            )
    assert page.status_code == 200
    text = " ".join(text_of(page.text).split())
    suggested = text.split("Acteurs suggérés", 1)[1]
    creche = suggested.index(actors["creche"].name) if actors["creche"].name in suggested else 10**6
    assert suggested.index(actors["navette"].name) < creche
    assert suggested.index(actors["covoit"].name) < creche
    assert "propose : Transport à la demande vers le marché et la gare" in suggested
    assert "même quartier" in suggested
    assert actors["archived"].name not in text
    need_page = await client.get(
        f"/staff/surveys/{definition.slug}/analysis/{run.id}/needs/{need.id}"
    )
    assert f'href="{url}"' in need_page.text


async def test_decisions_are_kept_across_reruns_and_make_an_action(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    label = f"Bus le soir {next(_counter)}"
    definition, run, need = await survey_with_need(label, BUS_TEXTS)
    actors = await directory(next(_counter))
    url = f"/staff/surveys/{definition.slug}/analysis/{run.id}/needs/{need.id}/actors"
    token = field_value((await client.get(url)).text, "csrf")
    for actor, state in ((actors["navette"], "confirmed"), (actors["creche"], "rejected")):
        response = await post_form(
            client,
            url,
            [("csrf", token), ("actor", str(actor.id)), ("state", state),
             ("reason", "Transport à la demande"), ("score", "0.5")],
        )  # fmt: skip
        assert response.status_code == 303
    # A re-run replaces the needs; the one that carries this need on keeps the decisions
    # (moved to it as ``needs_carry`` moves them).
    rerun = await finished_run(definition.id, "manque")
    again = await Need.create(run=rerun, label=label.upper(), keywords=["bus"], size=6)
    async with connection() as conn:
        await conn.execute(
            "INSERT INTO need_answers (run_id, response_id, need_id, non_answer, x, y)"
            " SELECT $1, response_id, $2, false, 0, 0 FROM need_answers WHERE run_id = $3",
            rerun.id,
            again.id,
            run.id,
        )
        await conn.execute(
            "UPDATE actor_need_links SET need_id = $2 WHERE need_id = $1", need.id, again.id
        )
    url2 = f"/staff/surveys/{definition.slug}/analysis/{rerun.id}/needs/{again.id}/actors"
    text = " ".join(text_of((await client.get(url2)).text).split())
    confirmed, rest = text.split("Acteurs confirmés (1)", 1)[1].split("Acteurs suggérés", 1)
    assert actors["navette"].name in confirmed
    suggested, rejected = rest.split("Acteurs écartés (1)", 1)
    assert actors["navette"].name not in suggested and actors["creche"].name not in suggested
    assert actors["creche"].name in rejected
    link = await ActorNeedLink.get(actor_id=actors["navette"].id, survey_id=definition.id)
    made = await post_form(
        client, f"/staff/surveys/{definition.slug}/actor-links/{link.id}/action", [("csrf", token)]
    )
    assert made.status_code == 303
    action = await Action.get(id=int(made.headers["location"].rsplit("/", 1)[1]))
    assert action.responsible == actors["navette"].name
    # The action is about the need as it stands now: the one that carried it on.
    assert action.need_id == again.id
    assert action.survey_id == definition.id  # type: ignore[attr-defined]
    twice = await post_form(
        client, f"/staff/surveys/{definition.slug}/actor-links/{link.id}/action", [("csrf", token)]
    )
    assert twice.headers["location"] == made.headers["location"]
    undo = await post_form(
        client, url2, [("csrf", token), ("actor", str(actors["creche"].id)), ("state", "clear")]
    )
    assert undo.status_code == 303
    assert not await ActorNeedLink.exists(actor_id=actors["creche"].id, survey_id=definition.id)


async def test_need_decision_refuses_unknown_state(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    definition, run, need = await survey_with_need(f"Bus {next(_counter)}", BUS_TEXTS)
    actors = await directory(next(_counter))
    url = f"/staff/surveys/{definition.slug}/analysis/{run.id}/needs/{need.id}/actors"
    token = field_value((await client.get(url)).text, "csrf")
    response = await post_form(
        client, url, [("csrf", token), ("actor", str(actors["covoit"].id)), ("state", "maybe")]
    )
    assert response.status_code == 400
    assert not await ActorNeedLink.exists(actor_id=actors["covoit"].id)
