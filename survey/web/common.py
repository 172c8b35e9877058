"""What every view shares: templates, language, CSRF, access rules, error pages."""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from analysis.voting import METHODS
from survey import localtime
from survey.domain.accounts import session_user
from survey.domain.definitions import SurveyDef, get_definition
from survey.domain.forms import RawForm
from survey.domain.outcomes import detail_text, summary_text
from survey.domain.responses import format_answer
from survey.enums import Role, SurveyStatus
from survey.errors import Forbidden, NotFound, SurveyError
from survey.i18n import DEFAULT_LANGUAGE, LANGUAGES, pick, translate
from survey.models import User
from survey.resources import static_dir, templates_dir
from survey.web.limits import MAX_FORM_BYTES

TEMPLATES = templates_dir()
STATIC = static_dir()

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
    # Templates ship with the code: no file check on every render.
    auto_reload=False,
)


@functools.cache
@functools.cache
def static_version(name: str) -> str:
    """A short content hash for cache busting of our static files."""
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]


env.globals["static_version"] = static_version
env.globals["pick"] = pick
env.globals["format_answer"] = format_answer
env.globals["outcome_summary"] = summary_text
env.globals["outcome_detail"] = detail_text
# The voting method of a consultation, which its pages ask instead of testing its name.
env.globals["voting_method"] = METHODS.get


def language(request: Request) -> str:
    """Query ``lang`` > cookie > French."""
    # Parsing the query and the cookies only when they may hold it: this runs on every page.
    chosen = None
    if b"lang=" in request.scope.get("query_string", b""):
        chosen = request.query_params.get("lang")
    if not chosen and any(n == b"cookie" and b"lang=" in v for n, v in request.scope["headers"]):
        chosen = request.cookies.get("lang")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def time_zone(request: Request) -> ZoneInfo:
    """The instance's one time zone (``PARLONS_TIME_ZONE``)."""
    zone: ZoneInfo = request.app.state.settings.time_zone
    return zone


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def render(
    request: Request, template: str, status_code: int = 200, lang: str | None = None, **context: Any
) -> HTMLResponse:
    lang = lang or language(request)
    zone = time_zone(request)
    context.update(
        request=request,
        lang=lang,
        _=functools.partial(translate, lang),
        # ``when(moment)`` shows a stored moment in the instance's time zone; ``zone_note``
        # is the label that goes with it (``heure locale (Europe/Paris)``).
        when=functools.partial(localtime.show, zone=zone, language=lang),
        zone_note=localtime.zone_note(zone, lang),
        input_moment=functools.partial(localtime.input_value, zone=zone),
        user=getattr(request.state, "user", None),
    )
    if "csrf" not in context:
        context["csrf"] = csrf_token(request)
    html = env.get_template(template).render(context)
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 86400, httponly=True, samesite="lax")
    return response


async def _parse_form(request: Request) -> FormData:
    """URL-encoded forms (every form of ours) parsed by the standard library, which is
    several times faster than the multipart parser on the submit path; others as usual."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type != "application/x-www-form-urlencoded":
        try:
            return await request.form(max_files=0, max_fields=1000, max_part_size=MAX_FORM_BYTES)
        except HTTPException as exc:
            raise SurveyError("error.bad_form") from exc
    # Its size is checked while it streams in (``survey.web.limits``).
    body = await request.body()
    try:
        pairs: list[tuple[str, str | UploadFile]] = list(
            parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=1000)
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise SurveyError("error.bad_form") from exc
    return FormData(pairs)


def _without_nul(form: FormData) -> FormData:
    """The form with every NUL character dropped from names and text values.

    PostgreSQL's text and JSON cannot hold U+0000, and no keyboard types it: dropping it
    keeps what the person typed and spares every form a server error (files are untouched).
    """
    items = form.multi_items()
    if not any("\x00" in k or (isinstance(v, str) and "\x00" in v) for k, v in items):
        return form
    return FormData(
        [
            (k.replace("\x00", ""), v.replace("\x00", "") if isinstance(v, str) else v)
            for k, v in items
        ]
    )


async def read_form(request: Request, *, rate_limited: bool = True) -> FormData:
    """Parse a POSTed form (its size is limited while it streams in) and check its CSRF token.

    The form counts toward the submission rate limits unless ``rate_limited`` is false (the
    login forms, which are throttled on their own)."""
    form = _without_nul(await _parse_form(request))
    limiter = getattr(request.app.state, "limiter", None)
    if limiter is not None and rate_limited:
        client = request.client.host if request.client else ""
        limiter.hit(client, request.session.get("csrf"))
    try:
        check_csrf(request, form)
    except Forbidden:
        request.state.form = form
        raise
    return form


def check_csrf(request: Request, form: Any) -> None:
    """Refuse a form whose ``csrf`` field is not the session's token."""
    sent = form.get("csrf")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, expected):
        raise Forbidden("error.csrf")


async def public_survey(request: Request) -> SurveyDef:
    """The survey of the path's ``slug`` as the public may see it: a draft is answered
    exactly as an unknown slug, so that guessing addresses reveals no unpublished title."""
    definition = await get_definition(request.path_params["slug"])
    if definition.status == SurveyStatus.DRAFT:
        raise NotFound("error.survey_not_found")
    return definition


def path_id(request: Request, name: str) -> int:
    """A numeric id from the path; anything else (or too long for an id column) is a 404."""
    text = str(request.path_params.get(name, ""))
    if not text.isdigit() or len(text) > 9:
        raise NotFound("error.not_found")
    return int(text)


def form_values(form: Any) -> RawForm:
    """Every field of a form or query as lists of text, the CSRF token left out."""
    values: RawForm = {}
    for key, value in form.multi_items():
        if key != "csrf":
            values.setdefault(key, []).append(str(value))
    return values


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


Endpoint = Callable[[Request], Awaitable[Response]]

# Who may call a route; every route declares one (a test checks it from the routing table).
PUBLIC = "public"
STAFF = "staff"
ADMIN = "admin"
# A citizen-council member, logged in with a personal link or a printed access code.
MEMBER = "member"
MEMBER_LOGIN = "/c/login"


def access(rule: str) -> Callable[[Endpoint], Endpoint]:
    """Declare and enforce who may call an endpoint."""

    def decorate(view: Endpoint) -> Endpoint:
        @functools.wraps(view)
        async def wrapper(request: Request) -> Response:
            if rule == MEMBER and request.session.get("member_id") is None:
                return redirect(f"{MEMBER_LOGIN}?next={request.url.path}")
            if rule in (STAFF, ADMIN):
                user = await current_user(request)
                if user is None:
                    return redirect(f"/staff/login?next={request.url.path}")
                if rule == ADMIN and user.role != Role.ADMIN:
                    raise Forbidden("error.forbidden")
            return await view(request)

        # Read back from the routing table by the tests that check every route's rule.
        wrapper.__dict__["access"] = rule
        return wrapper

    return decorate


async def current_user(request: Request) -> User | None:
    """The logged-in staff member, if the session is still valid."""
    if hasattr(request.state, "user"):
        known: User | None = request.state.user
        return known
    user = None
    uid, sid = request.session.get("uid"), request.session.get("sid")
    if uid is not None:
        if isinstance(uid, int) and isinstance(sid, str):
            user = await session_user(uid, sid, request.session.get("sv"))
        if user is None:  # logged out, everywhere or here, or expired: on the server
            request.session.clear()
    request.state.user = user
    return user
