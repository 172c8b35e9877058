"""The read-only API for other programs (personal tokens), its tokens page and the
survey's webhooks."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from survey.domain import api, api_tokens, openapi, webhooks
from survey.domain.definitions import definition_to_json, get_definition
from survey.errors import SurveyError
from survey.i18n import translate
from survey.web.common import (
    ADMIN,
    PUBLIC,
    STAFF,
    access,
    current_user,
    language,
    path_id,
    read_form,
    redirect,
    render,
    time_zone,
)


def _slug(request: Request) -> str:
    return str(request.path_params["slug"])


def _api_error(request: Request, error: SurveyError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    message = translate(language(request), error.key, **error.params)
    return JSONResponse(
        {"error": error.key, "message": message}, status_code=error.status, headers=headers
    )


def _query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query value within ``low``..``high``, as the OpenAPI description says."""
    text = request.query_params.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 19 and low <= int(text) <= high):
        raise SurveyError("error.api_bad_query", name=name, low=low, high=high)
    return int(text)


@access(PUBLIC)
async def api_openapi(request: Request) -> Response:
    return JSONResponse(openapi.openapi_document())


@access(PUBLIC)
async def api_surveys(request: Request) -> Response:
    """Token holders only: the ``access`` rule is the API token, checked here."""
    try:
        grant = await api_tokens.authenticate_token(request.headers.get("authorization"))
        return JSONResponse(await api.api_surveys(grant))
    except SurveyError as error:
        return _api_error(request, error)


@access(PUBLIC)
async def api_survey(request: Request) -> Response:
    try:
        grant = await api_tokens.authenticate_token(request.headers.get("authorization"))
        definition = await get_definition(_slug(request))
        grant.check(definition)
        return JSONResponse(definition_to_json(definition))
    except SurveyError as error:
        return _api_error(request, error)


@access(PUBLIC)
async def api_responses(request: Request) -> Response:
    try:
        grant = await api_tokens.authenticate_token(request.headers.get("authorization"))
        after = _query_int(request, "after", 0, 0, api.API_AFTER_MAX)
        limit = _query_int(request, "limit", 100, 1, api.API_PAGE_MAX)
        definition = await get_definition(_slug(request))
        grant.check(definition)
        page = await api.api_responses(
            definition, after=after, limit=limit, zone=time_zone(request)
        )
        return JSONResponse(page)
    except SurveyError as error:
        return _api_error(request, error)


async def _tokens_page(
    request: Request,
    *,
    new_token: str = "",
    error: SurveyError | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    user = await current_user(request)
    assert user is not None
    tokens = await api_tokens.list_api_tokens(user.id)
    return render(
        request,
        "staff/builder_tokens.html",
        status_code=status,
        tokens=[t for t in tokens if t["revoked_at"] is None],
        revoked=[t for t in tokens if t["revoked_at"] is not None],
        surveys=await api_tokens.token_survey_choices(),
        new_token=new_token,
        error=error,
        typed=typed or {},
    )


@access(STAFF)
async def tokens_page(request: Request) -> Response:
    return await _tokens_page(request)


@access(STAFF)
async def tokens_post(request: Request) -> Response:
    form = await read_form(request)
    user = await current_user(request)
    assert user is not None
    typed = {"name": str(form.get("name", ""))[:100], "survey": str(form.get("survey", ""))}
    try:
        token = await api_tokens.create_api_token(
            user.id, typed["name"], survey_slug=typed["survey"][:64]
        )
    except SurveyError as error:
        return await _tokens_page(request, error=error, typed=typed, status=422)
    return await _tokens_page(request, new_token=token)


@access(STAFF)
async def token_revoke(request: Request) -> Response:
    await read_form(request)
    user = await current_user(request)
    assert user is not None
    await api_tokens.revoke_api_token(user.id, path_id(request, "id"))
    return redirect("/staff/api-tokens")


async def _webhooks_page(
    request: Request, *, secret: str = "", error: SurveyError | None = None, status: int = 200
) -> Response:
    definition = await get_definition(_slug(request))
    return render(
        request,
        "staff/builder_webhooks.html",
        status_code=status,
        survey=definition,
        hooks=await webhooks.list_webhooks(definition),
        secret=secret,
        error=error,
    )


@access(ADMIN)
async def webhooks_page(request: Request) -> Response:
    return await _webhooks_page(request)


@access(ADMIN)
async def webhooks_post(request: Request) -> Response:
    form = await read_form(request)
    definition = await get_definition(_slug(request))
    try:
        secret = await webhooks.add_webhook(definition, str(form.get("url", "")))
    except SurveyError as error:
        return await _webhooks_page(request, error=error, status=422)
    return await _webhooks_page(request, secret=secret)


@access(ADMIN)
async def webhook_delete(request: Request) -> Response:
    await read_form(request)
    definition = await get_definition(_slug(request))
    await webhooks.delete_webhook(definition, path_id(request, "id"))
    return redirect(f"/staff/surveys/{definition.slug}/webhooks")


routes: list[BaseRoute] = [
    Route("/api/openapi.json", api_openapi, methods=["GET"]),
    Route("/api/surveys", api_surveys, methods=["GET"]),
    Route("/api/surveys/{slug}", api_survey, methods=["GET"]),
    Route("/api/surveys/{slug}/responses", api_responses, methods=["GET"]),
    Route("/staff/api-tokens", tokens_page, methods=["GET"]),
    Route("/staff/api-tokens", tokens_post, methods=["POST"]),
    Route("/staff/api-tokens/{id}/revoke", token_revoke, methods=["POST"]),
    Route("/staff/surveys/{slug}/webhooks", webhooks_page, methods=["GET"]),
    Route("/staff/surveys/{slug}/webhooks", webhooks_post, methods=["POST"]),
    Route("/staff/surveys/{slug}/webhooks/{id}/delete", webhook_delete, methods=["POST"]),
]
