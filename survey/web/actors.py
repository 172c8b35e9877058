"""The directory of actors and resources: staff pages that work without JavaScript."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from analysis.charts.territory import Area, Point, schematic_areas, schematic_points, territory_map
from survey.domain import actors as domain
from survey.domain import actors_io, actors_map, actors_matching, actors_offers
from survey.domain.definitions import get_definition
from survey.domain.forms import FieldError
from survey.domain.needs import get_run
from survey.domain.staff_forms import ID, typed_day
from survey.enums import ActorKind
from survey.errors import Forbidden, SurveyError
from survey.i18n import pick, translate
from survey.web.actors_offers import routes as offers_routes
from survey.web.charts import Chart
from survey.web.common import (
    PUBLIC,
    STAFF,
    access,
    language,
    path_id,
    read_form,
    redirect,
    render,
)
from survey.web.limits import MAX_FORM_BYTES


async def places_by_code() -> dict[str, dict[str, str]]:
    """The territory's neighbourhoods by code, as the pages name them."""
    return {p["code"]: p for p in await domain.territory_choices()}


def small_group(request: Request) -> int:
    """Below this many residents a group is shown without its number."""
    return int(request.app.state.settings.small_group_threshold)


def _fields(form: Any) -> dict[str, str]:
    return {k: str(v) for k, v in form.items() if k != "csrf"}


def actor_draft(form: dict[str, str]) -> domain.ActorDraft:
    """The actor form as a draft: lists split into items, what could not be read kept as
    ``Unread`` for the domain to say so next to its field."""
    kind = form.get("kind", "").strip()
    return domain.ActorDraft(
        name=form.get("name", ""),
        kind=ActorKind(kind) if kind in domain.KINDS else None,
        services=tuple(domain.split_lines(form.get("services", ""))),
        skills=tuple(domain.split_lines(form.get("skills", ""))),
        resources=tuple(domain.split_lines(form.get("resources", ""))),
        themes=tuple(domain.split_themes(form.get("themes", ""))),
        audience=form.get("audience", ""),
        neighbourhood=form.get("neighbourhood", ""),
        commune=form.get("commune", ""),
        address=form.get("address", ""),
        latitude=domain.typed_number(form.get("latitude", "")),
        longitude=domain.typed_number(form.get("longitude", "")),
        hours=form.get("hours", ""),
        phone=form.get("phone", ""),
        email=form.get("email", ""),
        website=form.get("website", ""),
        source=form.get("source", ""),
        public=bool(form.get("public")),
        consent=bool(form.get("consent")),
        checked_on=typed_day(form.get("checked_on", "")),
    )


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
        decisions=await actors_matching.actor_decisions(actor_id) if actor_id else [],
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
        actor = await domain.create_actor(actor_draft(form))
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
        await domain.update_actor(actor_id, actor_draft(form))
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
    chosen = await domain.actors_by_ids(ids)
    return render(
        request,
        "staff/actors/merge.html",
        status_code=status,
        chosen=chosen,
        keep=keep,
        error=error,
        places=await places_by_code(),
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


# ------------------------------------------------------------------ imports and exports


async def _read_upload(request: Request) -> tuple[FormData, bytes, str]:
    """The import form with its file: size checked, then the CSRF token."""
    limit = actors_io.MAX_BYTES
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit + MAX_FORM_BYTES):
        raise actors_io.ImportRefused("actors.import_too_large", mb=limit // 2**20)
    try:
        form = await request.form(max_files=1, max_fields=50, max_part_size=limit)
    except HTTPException as exc:
        raise actors_io.ImportRefused("actors.import_too_large", mb=limit // 2**20) from exc
    sent = form.get("csrf")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, expected):
        raise Forbidden("error.csrf")
    upload = form.get("file")
    data = await upload.read(limit + 1) if isinstance(upload, UploadFile) else b""
    name = str(upload.filename or "")[:200] if isinstance(upload, UploadFile) else ""
    await form.close()
    if not data:
        raise actors_io.ImportRefused("actors.import_missing")
    if len(data) > limit:
        raise actors_io.ImportRefused("actors.import_too_large", mb=limit // 2**20)
    return form, data, name


def _import_page(
    request: Request,
    *,
    report: actors_io.ImportReport | None = None,
    error: tuple[str, dict[str, Any]] | None = None,
    fmt: str = "",
    status: int = 200,
) -> Response:
    return render(
        request,
        "staff/actors/import.html",
        status_code=status,
        report=report,
        error=error,
        fmt=fmt,
        formats=actors_io.FORMATS,
        fields=domain.FIELDS,
    )


@access(STAFF)
async def import_page(request: Request) -> Response:
    return _import_page(request)


@access(STAFF)
async def import_post(request: Request) -> Response:
    fmt = ""
    try:
        form, data, filename = await _read_upload(request)
        fmt = str(form.get("format", ""))
        # The mapping step sends every field's select, "no column" included.
        chosen = any(str(key).startswith("map_") for key in form)
        mapping = {n: str(form.get(f"map_{n}", "")) for n in domain.FIELDS if form.get(f"map_{n}")}
        report = await actors_io.import_actors(
            data,
            fmt if fmt in actors_io.FORMATS else "",
            filename=filename,
            mapping=mapping if chosen else None,
            dry_run=form.get("check") == "1",
        )
    except actors_io.ImportRefused as exc:
        return _import_page(request, error=(exc.key, exc.params), fmt=fmt, status=400)
    return _import_page(request, report=report, fmt=fmt, status=422 if report.errors else 200)


def _download(text: str, media_type: str, filename: str) -> Response:
    return Response(
        text.encode("utf-8"),
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@access(STAFF)
async def export_csv(request: Request) -> Response:
    return _download(await actors_io.export_csv(), "text/csv; charset=utf-8", "acteurs.csv")


@access(STAFF)
async def export_geojson(request: Request) -> Response:
    text = await actors_io.export_geojson()
    return _download(text, "application/geo+json", "acteurs.geojson")


@access(STAFF)
async def export_gogocarto(request: Request) -> Response:
    text = await actors_io.export_gogocarto()
    return _download(text, "application/json", "acteurs-gogocarto.json")


# ------------------------------------------------------------- a need's suggested actors


def _need_url(slug: str, run_id: int, need_id: int) -> str:
    return f"/staff/surveys/{slug}/analysis/{run_id}/needs/{need_id}/actors"


@access(STAFF)
async def need_actors(request: Request) -> Response:
    definition, run = await get_run(request.path_params["slug"], path_id(request, "run"))
    result = await actors_matching.need_suggestions(definition, run, path_id(request, "need"))
    places = await places_by_code()
    kinds = await actors_offers.kinds_answering([actors_matching.need_text(result.need)])
    return render(
        request,
        "staff/actors/suggestions.html",
        survey=definition,
        run=run,
        result=result,
        places=places,
        kinds=kinds[0],
    )


@access(STAFF)
async def need_decide(request: Request) -> Response:
    form = await read_form(request)
    definition, run = await get_run(request.path_params["slug"], path_id(request, "run"))
    need_id = path_id(request, "need")
    actor = str(form.get("actor", ""))
    if not actor.isdigit() or len(actor) > 9:
        raise SurveyError("actors.not_found")
    try:
        score = float(str(form.get("score", "0")))
    except ValueError:
        score = 0.0
    await actors_matching.decide(
        definition,
        run,
        need_id,
        int(actor),
        str(form.get("state", "")),
        reason=str(form.get("reason", "")),
        score=score,
    )
    return redirect(_need_url(definition.slug, run.id, need_id) + f"#actor-{actor}")


@access(STAFF)
async def link_action(request: Request) -> Response:
    await read_form(request)
    definition = await get_definition(request.path_params["slug"])
    action_id = await actors_matching.action_from_link(definition, path_id(request, "id"))
    return redirect(f"/staff/actions/{action_id}")


# ------------------------------------------------------------ gaps and the public page


@access(STAFF)
async def gaps_page(request: Request) -> Response:
    threshold = small_group(request)
    view = await actors_matching.gap_view(threshold)
    return render(request, "staff/actors/gaps.html", view=view, places=await places_by_code())


@access(PUBLIC)
async def public_page(request: Request) -> Response:
    params = request.query_params
    listing = await domain.public_directory(
        params.get("quartier", ""), params.get("theme", ""), params.get("page", "")
    )
    return render(request, "respondent/help_directory.html", listing=listing)


# ------------------------------------------------------------------------------ the map


async def _map_page(
    request: Request, *, error: tuple[str, dict[str, Any]] | None = None, status: int = 200
) -> Response:
    lang = language(request)
    threshold = small_group(request)
    data = await actors_map.map_data(threshold)
    places = await domain.territory_choices()
    names = {p["code"]: pick({"fr": p["fr"], "en": p["en"]}, lang) for p in places}
    if data.geographic:
        areas = [Area(a["code"], names.get(a["code"], a["name"]), a["rings"]) for a in data.areas]
        points = [Point(p["lon"], p["lat"], p["name"], p["detail"]) for p in data.points]
    else:
        areas = schematic_areas([p["code"] for p in places], names)
        points = schematic_points(
            areas, [(p["neighbourhood"], p["name"], p["detail"]) for p in data.points]
        )
    figure = territory_map(
        areas,
        data.residents,
        points,
        # The caption under the figure names it; a title inside would say it twice.
        title="",
        value_label=translate(lang, "actors.map_residents"),
        hidden_label=translate(lang, "actors.fewer_than", n=threshold),
        geographic=data.geographic,
    )
    rows = [
        (
            a.name,
            f"< {threshold}"
            if data.residents.get(a.code, 0) is None
            else data.residents.get(a.code, 0),
        )
        for a in areas
    ]
    chart = Chart(
        figure,
        translate(lang, "actors.map_chart_title"),
        [translate(lang, "actors.map_area"), translate(lang, "actors.gap_residents")],
        rows,
        lang=lang,
    )
    return render(
        request,
        "staff/actors/map.html",
        status_code=status,
        chart=chart,
        data=data,
        error=error,
    )


@access(STAFF)
async def map_page(request: Request) -> Response:
    return await _map_page(request)


@access(STAFF)
async def map_upload(request: Request) -> Response:
    try:
        _, data, filename = await _read_upload(request)
        await actors_map.save_outlines(data, filename)
    except (actors_io.ImportRefused, actors_map.BadOutlines) as exc:
        return await _map_page(request, error=(exc.key, exc.params), status=400)
    return redirect("/staff/actors/map?saved=1")


_NEED = "/staff/surveys/{slug}/analysis/{run}/needs/{need}"


async def _fiche(
    request: Request, draft: actors_matching.FicheDraft | None, template: str
) -> Response:
    definition, run = await get_run(request.path_params["slug"], path_id(request, "run"))
    threshold = small_group(request)
    fiche = await actors_matching.draft_fiche(
        definition, run, path_id(request, "need"), draft, threshold, language(request)
    )
    places = await places_by_code()
    return render(
        request,
        template,
        survey=definition,
        run=run,
        fiche=fiche,
        places=places,
        threshold=threshold,
    )


@access(STAFF)
async def fiche_form(request: Request) -> Response:
    return await _fiche(request, None, "staff/actors/fiche_form.html")


@access(STAFF)
async def fiche_print(request: Request) -> Response:
    form = await read_form(request)
    texts = {k: str(form.get(k, "")) for k in actors_matching.FICHE_FIELDS}
    partners = (str(v).strip() for v in form.getlist("partners"))
    draft = actors_matching.FicheDraft(
        **texts, partners=frozenset(int(v) for v in partners if ID.match(v))
    )
    template = "staff/actors/fiche_form.html" if form.get("edit") else "staff/actors/fiche.html"
    return await _fiche(request, draft, template)


routes: list[BaseRoute] = [
    *offers_routes,
    Route("/staff/actors", directory, methods=["GET"]),
    Route("/staff/actors", actor_create, methods=["POST"]),
    # Before "/staff/actors/{id}", which would otherwise take these words.
    Route("/staff/actors/new", actor_new, methods=["GET"]),
    Route("/staff/actors/merge", merge_page, methods=["GET"]),
    Route("/staff/actors/merge", merge_post, methods=["POST"]),
    Route("/staff/actors/gaps", gaps_page, methods=["GET"]),
    Route("/aide", public_page, methods=["GET"]),
    Route("/staff/actors/map", map_page, methods=["GET"]),
    Route("/staff/actors/map", map_upload, methods=["POST"]),
    Route("/staff/actors/import", import_page, methods=["GET"]),
    Route("/staff/actors/import", import_post, methods=["POST"]),
    Route("/staff/actors/export.csv", export_csv, methods=["GET"]),
    Route("/staff/actors/export.geojson", export_geojson, methods=["GET"]),
    Route("/staff/actors/export.gogocarto.json", export_gogocarto, methods=["GET"]),
    Route(_NEED + "/actors", need_actors, methods=["GET"]),
    Route(_NEED + "/actors", need_decide, methods=["POST"]),
    Route(_NEED + "/fiche", fiche_form, methods=["GET"]),
    Route(_NEED + "/fiche", fiche_print, methods=["POST"]),
    Route("/staff/surveys/{slug}/actor-links/{id}/action", link_action, methods=["POST"]),
    Route("/staff/actors/{id}", actor_edit, methods=["GET"]),
    Route("/staff/actors/{id}", actor_update, methods=["POST"]),
    Route("/staff/actors/{id}/archive", actor_archive, methods=["POST"]),
]
