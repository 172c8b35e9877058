"""Residents' offers of help: the skills network page and adding a consenting resident to
the directory."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from survey.domain import actors_offers as domain
from survey.domain.actors import territory_choices
from survey.domain.definitions import get_definition
from survey.errors import NotFound
from survey.web.common import STAFF, access, read_form, redirect, render


@access(STAFF)
async def offers_page(request: Request) -> Response:
    surveys = await domain.offer_surveys()
    wanted = request.query_params.get("survey", "")
    slug = wanted if wanted in {s for s, _ in surveys} else (surveys[0][0] if surveys else "")
    definition = await get_definition(slug) if slug else None
    network = await domain.skills_network(definition) if definition else None
    places = {p["code"]: p for p in await territory_choices()}
    return render(
        request,
        "staff/actors/offers.html",
        surveys=surveys,
        survey=definition,
        network=network,
        places=places,
    )


@access(STAFF)
async def offer_to_actor(request: Request) -> Response:
    form = await read_form(request)
    response = str(form.get("response", ""))
    if not response.isdigit() or len(response) > 18:
        raise NotFound("actors.offer_not_found")
    definition = await get_definition(str(form.get("survey", "")))
    actor = await domain.actor_from_offer(definition, int(response))
    return redirect(f"/staff/actors/{actor.id}?from_offer=1")


routes: list[BaseRoute] = [
    Route("/staff/actors/offers", offers_page, methods=["GET"]),
    Route("/staff/actors/offers", offer_to_actor, methods=["POST"]),
]
