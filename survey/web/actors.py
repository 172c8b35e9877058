"""The directory of actors and resources: staff pages that work without JavaScript."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from survey.domain import actors as domain
from survey.domain.forms import FieldError
from survey.errors import SurveyError
from survey.web.common import STAFF, access, path_id, read_form, redirect, render


def _fields(form: Any) -> dict[str, str]:
    return {k: str(v) for k, v in form.items() if k != "csrf"}


async def _form_page(
    request: Request,
    form: dict[str, str],
    *,
    actor_id: int | None = None,
    archived: bool = False,
    errors: dict[str, FieldError] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "staff/actors/form.html",
        status_code=status,
        form=form,
        errors=errors or {},
        actor_id=actor_id,
        archived=archived,
        places=await domain.territory_choices(),
        kinds=domain.KINDS,
        fields=domain.FIELDS,
    )


@access(STAFF)
async def directory(request: Request) -> Response:
    params = request.query_params
    listing = await domain.list_actors(
        params.get("q", ""),
        params.get("kind", ""),
        params.get("neighbourhood", ""),
        archived=params.get("archived") == "1",
        page=params.get("page", ""),
    )
    return render(request, "staff/actors/list.html", listing=listing, kinds=domain.KINDS)


@access(STAFF)
async def actor_new(request: Request) -> Response:
    return await _form_page(request, {"kind": "association"})


@access(STAFF)
async def actor_create(request: Request) -> Response:
    form = _fields(await read_form(request))
    try:
        actor = await domain.create_actor(form)
    except domain.InvalidActor as exc:
        return await _form_page(request, form, errors=exc.errors, status=422)
    return redirect(f"/staff/actors?saved={actor.id}#a-{actor.id}")


@access(STAFF)
async def actor_edit(request: Request) -> Response:
    actor = await domain.get_actor(path_id(request, "id"))
    return await _form_page(
        request, domain.actor_form(actor), actor_id=actor.id, archived=actor.archived
    )


@access(STAFF)
async def actor_update(request: Request) -> Response:
    form = _fields(await read_form(request))
    actor_id = path_id(request, "id")
    try:
        await domain.update_actor(actor_id, form)
    except domain.InvalidActor as exc:
        return await _form_page(request, form, actor_id=actor_id, errors=exc.errors, status=422)
    return redirect(f"/staff/actors?saved={actor_id}#a-{actor_id}")


@access(STAFF)
async def actor_archive(request: Request) -> Response:
    form = await read_form(request)
    actor = await domain.set_archived(path_id(request, "id"), form.get("archived") == "1")
    return redirect(f"/staff/actors/{actor.id}?archived={int(actor.archived)}")


async def _merge_page(
    request: Request, ids: list[str], keep: str = "", error: str = "", status: int = 200
) -> Response:
    listing = await domain.list_actors()
    chosen = await domain.actors_by_ids(ids)
    return render(
        request,
        "staff/actors/merge.html",
        status_code=status,
        chosen=chosen,
        keep=keep,
        error=error,
        places={p["code"]: p for p in listing.places},
    )


@access(STAFF)
async def merge_page(request: Request) -> Response:
    return await _merge_page(request, request.query_params.getlist("ids"))


@access(STAFF)
async def merge_post(request: Request) -> Response:
    form = await read_form(request)
    ids = [str(v) for v in form.getlist("ids")]
    keep = str(form.get("keep", ""))
    try:
        kept = await domain.merge_actors(keep, ids)
    except SurveyError as exc:
        return await _merge_page(request, ids, keep, error=exc.key, status=exc.status)
    return redirect(f"/staff/actors?merged={kept.id}#a-{kept.id}")


routes: list[BaseRoute] = [
    Route("/staff/actors", directory, methods=["GET"]),
    Route("/staff/actors", actor_create, methods=["POST"]),
    # Before "/staff/actors/{id}", which would otherwise take these words.
    Route("/staff/actors/new", actor_new, methods=["GET"]),
    Route("/staff/actors/merge", merge_page, methods=["GET"]),
    Route("/staff/actors/merge", merge_post, methods=["POST"]),
    Route("/staff/actors/{id}", actor_edit, methods=["GET"]),
    Route("/staff/actors/{id}", actor_update, methods=["POST"]),
    Route("/staff/actors/{id}/archive", actor_archive, methods=["POST"]),
]
