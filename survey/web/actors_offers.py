"""Residents' offers of help: the skills network page and adding a consenting resident to
the directory."""

from __future__ import annotations

import math
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from survey.domain import actors_offers as domain
from survey.domain.actors import territory_choices
from survey.domain.definitions import get_definition
from survey.errors import NotFound
from survey.web.common import STAFF, access, read_form, redirect, render

# A survey's offers run to hundreds: the page shows the first few of each kind of help, and
# a kind's own page (?kind=) shows all of its offers, a page at a time.
PREVIEW = 10
PER_PAGE = 50
UNGROUPED = "autres"


@dataclass(frozen=True)
class ShownKind:
    """One kind of help as the page shows it: the offers of this page out of all its own."""

    kind: domain.Kind
    key: str
    offers: list[domain.Offer]
    page: int
    pages: int


def _key(kind: domain.Kind) -> str:
    return str(kind.need_id) if kind.need_id is not None else UNGROUPED


def _shown(network: domain.SkillsNetwork | None, key: str, page_text: str) -> list[ShownKind]:
    if network is None:
        return []
    for kind in network.kinds:
        if key and _key(kind) == key:
            pages = max(1, math.ceil(len(kind.offers) / PER_PAGE))
            page = min(int(page_text), pages) if page_text.isdigit() and int(page_text) else 1
            start = (page - 1) * PER_PAGE
            return [ShownKind(kind, key, kind.offers[start : start + PER_PAGE], page, pages)]
    return [ShownKind(k, _key(k), k.offers[:PREVIEW], 1, 1) for k in network.kinds]


@access(STAFF)
async def offers_page(request: Request) -> Response:
    surveys = await domain.offer_surveys()
    params = request.query_params
    wanted = params.get("survey", "")
    slug = wanted if wanted in {s for s, _ in surveys} else (surveys[0][0] if surveys else "")
    definition = await get_definition(slug) if slug else None
    network = await domain.skills_network(definition) if definition else None
    key = params.get("kind", "")[:20]
    shown = _shown(network, key, params.get("page", "")[:6])
    places = {p["code"]: p for p in await territory_choices()}
    return render(
        request,
        "staff/actors/offers.html",
        surveys=surveys,
        survey=definition,
        network=network,
        shown=shown,
        # A kind's own page, when the kind asked for is one of the survey's.
        one_kind=len(shown) == 1 and shown[0].key == key,
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
