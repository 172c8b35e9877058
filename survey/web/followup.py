"""The follow-up of a survey: the residents' page and poster, and the staff settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from urllib.parse import quote

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from survey.domain.definitions import get_definition
from survey.domain.followup import PARTS, build_followup, followup_settings, set_followup
from survey.domain.followup_news import (
    SubscribeInvalid,
    check_subscription,
    count_subscribers,
    erase_subscribers,
    subscribe,
    unsubscribe,
)
from survey.domain.forms import FieldError
from survey.domain.invitations import qr_svg
from survey.enums import SurveyStatus
from survey.errors import NotFound
from survey.web.common import (
    PUBLIC,
    STAFF,
    access,
    language,
    read_form,
    redirect,
    render,
    time_zone,
)
from survey.web.resident import base_url


def _threshold(request: Request) -> int:
    return int(request.app.state.settings.small_group_threshold)


def _since(request: Request) -> tuple[dt.date | None, str, str | None]:
    """The ``depuis`` date typed by the resident: (date, as typed, error key)."""
    typed = request.query_params.get("depuis", "").strip()[:10]
    if not typed:
        return None, "", None
    try:
        return dt.date.fromisoformat(typed), typed, None
    except ValueError:
        return None, typed, "followup.since_invalid"


def _address(request: Request, slug: str) -> str:
    return f"{base_url(request)}/s/{quote(slug)}/suivi"


@access(PUBLIC)
async def followup_page(request: Request) -> Response:
    since, typed, error = _since(request)
    page = await build_followup(
        request.path_params["slug"],
        threshold=_threshold(request),
        since=since,
        time_zone=time_zone(request),
    )
    return render(
        request,
        "respondent/followup.html",
        page=page,
        survey=page.definition,
        since_typed=typed,
        since_error=error,
    )


@access(PUBLIC)
async def followup_poster(request: Request) -> Response:
    page = await build_followup(
        request.path_params["slug"], threshold=_threshold(request), time_zone=time_zone(request)
    )
    address = _address(request, page.definition.slug)
    # The SVG is drawn by segno from our own address: no user text goes into it.
    qr = Markup(qr_svg(address, scale=10))  # noqa: S704
    return render(
        request,
        "respondent/followup_poster.html",
        page=page,
        survey=page.definition,
        address=address,
        qr=qr,
    )


@access(STAFF)
async def followup_settings_page(request: Request) -> Response:
    definition = await get_definition(request.path_params["slug"])
    return render(
        request,
        "staff/followup.html",
        survey=definition,
        settings=await followup_settings(definition.id),
        parts=PARTS,
        address=_address(request, definition.slug),
        saved=request.query_params.get("saved") == "1",
        closed=request.query_params.get("closed") == "1",
        subscribers=await count_subscribers(definition.id),
    )


@access(STAFF)
async def followup_settings_post(request: Request) -> Response:
    form = await read_form(request)
    slug = request.path_params["slug"]
    parts = frozenset(p for p in form.getlist("part") if p in PARTS)
    await set_followup(
        slug, published=form.get("published") == "1", parts=parts, address=_address(request, slug)
    )
    return redirect(f"/staff/surveys/{quote(slug)}/suivi?saved=1")


@access(STAFF)
async def followup_close(request: Request) -> Response:
    """Close the follow-up: every address signed up for its news is erased."""
    await read_form(request)
    definition = await get_definition(request.path_params["slug"])
    await erase_subscribers(definition.id)
    return redirect(f"/staff/surveys/{quote(definition.slug)}/suivi?closed=1")


async def _subscribe_form(
    request: Request,
    *,
    status_code: int = 200,
    errors: Mapping[str, FieldError] | None = None,
    email: str = "",
    consent: bool = False,
    done: bool = False,
) -> Response:
    definition = await get_definition(request.path_params["slug"])
    if definition.status == SurveyStatus.DRAFT:
        raise NotFound("error.survey_not_found")
    return render(
        request,
        "respondent/followup_subscribe.html",
        status_code,
        survey=definition,
        errors=errors or {},
        email=email,
        consent=consent,
        done=done,
    )


@access(PUBLIC)
async def subscribe_page(request: Request) -> Response:
    return await _subscribe_form(request, done=request.query_params.get("ok") == "1")


@access(PUBLIC)
async def subscribe_post(request: Request) -> Response:
    form = await read_form(request)
    definition = await get_definition(request.path_params["slug"])
    email = str(form.get("email", ""))[:300]
    consent = form.get("consent") == "1"
    try:
        subscription = check_subscription(email, consent, language(request))
    except SubscribeInvalid as exc:
        return await _subscribe_form(
            request, status_code=422, errors=exc.errors, email=email, consent=consent
        )
    await subscribe(definition, subscription, time_zone(request))
    return redirect(f"/s/{quote(definition.slug)}/suivi/abonnement?ok=1")


@access(PUBLIC)
async def unsubscribe_page(request: Request) -> Response:
    definition = await get_definition(request.path_params["slug"])
    return render(
        request,
        "respondent/followup_unsubscribe.html",
        survey=definition,
        token=request.path_params["token"],
        done=False,
    )


@access(PUBLIC)
async def unsubscribe_post(request: Request) -> Response:
    """The page's button (with its CSRF token), or a mail client's one-click POST
    (RFC 8058: no cookie, the secret token in the address is the authority)."""
    definition = await get_definition(request.path_params["slug"])
    body = await request.body()
    if body.strip() != b"List-Unsubscribe=One-Click":
        await read_form(request)
    await unsubscribe(request.path_params["token"])
    # Said the same way whether the address was still there or not.
    return render(
        request,
        "respondent/followup_unsubscribe.html",
        survey=definition,
        token="",
        done=True,
    )


routes: list[BaseRoute] = [
    Route("/s/{slug}/suivi", followup_page, methods=["GET"]),
    Route("/s/{slug}/suivi/affiche", followup_poster, methods=["GET"]),
    Route("/s/{slug}/suivi/abonnement", subscribe_page, methods=["GET"]),
    Route("/s/{slug}/suivi/abonnement", subscribe_post, methods=["POST"]),
    Route("/s/{slug}/suivi/desabonner/{token}", unsubscribe_page, methods=["GET"]),
    Route("/s/{slug}/suivi/desabonner/{token}", unsubscribe_post, methods=["POST"]),
    Route("/staff/surveys/{slug}/suivi", followup_settings_page, methods=["GET"]),
    Route("/staff/surveys/{slug}/suivi", followup_settings_post, methods=["POST"]),
    Route("/staff/surveys/{slug}/suivi/clore", followup_close, methods=["POST"]),
]
