"""Publishing a survey, from its builder page or the staff list: one domain verb for both,
and a checklist page before a draft goes out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from survey import localtime
from survey.domain import publication
from survey.domain.builder import Invalid
from survey.domain.publication import PublicationAction, PublicationForm
from survey.domain.staff_forms import Unread
from survey.domain.surveys import list_surveys
from survey.errors import Forbidden, NotFound, SurveyError
from survey.models import Survey
from survey.web.builder import editor_page
from survey.web.common import STAFF, access, current_user, read_form, redirect, render

_BUTTONS = {
    "publish": PublicationAction.PUBLISH,
    "close": PublicationAction.CLOSE,
    "reopen": PublicationAction.REOPEN,
    "unpublish": PublicationAction.UNPUBLISH,
}


def _moment(text: str, zone: ZoneInfo) -> dt.datetime | Unread | None:
    """A moment typed as wall-clock time in ``zone`` (blank: none)."""
    typed = text.strip()[:40]
    if not typed:
        return None
    return localtime.parse_typed(typed, zone) or Unread(typed)


def publication_form(
    action: PublicationAction, values: Mapping[str, str], zone: ZoneInfo
) -> PublicationForm:
    """The builder's publication form, its moments read in the instance's ``zone``."""
    return PublicationForm(
        action,
        opens_at=_moment(values.get("opens_at", ""), zone),
        closes_at=_moment(values.get("closes_at", ""), zone),
        confirmed=values.get("confirm") == "1",
    )


def _slug(request: Request) -> str:
    return str(request.path_params["slug"])


async def _checklist_page(
    request: Request,
    slug: str,
    *,
    values: dict[str, str] | None = None,
    error: SurveyError | None = None,
    status: int = 200,
) -> Response:
    editor, issues = await publication.publication_checklist(slug)
    return render(
        request,
        "staff/builder_publication.html",
        status_code=status,
        editor=editor,
        issues=issues,
        blocked=any(i.blocking for i in issues),
        values=values or {},
        error=error,
    )


@access(STAFF)
async def checklist_page(request: Request) -> Response:
    await current_user(request)
    return await _checklist_page(request, _slug(request))


@access(STAFF)
async def publish_post(request: Request) -> Response:
    form = await read_form(request)
    values = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    slug = _slug(request)
    zone = request.app.state.settings.time_zone
    action = _BUTTONS.get(values.get("action", ""))
    if action is None:
        return await editor_page(request, slug, notice=SurveyError("error.bad_form"), status=400)
    try:
        await publication.set_publication(slug, publication_form(action, values, zone))
    except Invalid as invalid:
        return await editor_page(
            request, slug, notice=invalid, errors=invalid.errors, status=422, values=None
        )
    except (publication.NotConfirmed, publication.Blocked) as error:
        return await _checklist_page(request, slug, values=values, error=error, status=error.status)
    except (NotFound, Forbidden):
        raise
    except SurveyError as error:
        return await editor_page(request, slug, notice=error, status=error.status)
    return redirect(f"/staff/surveys/{slug}/edit?saved=1#publication")


@access(STAFF)
async def list_status_post(request: Request) -> Response:
    """The staff list's open and close buttons: the builder's rules, the reason shown on the
    list next to the button; a draft with warnings goes to its checklist first."""
    form = await read_form(request)
    slug = _slug(request)
    rows = await list_surveys()
    surveys = [r["survey"] for r in rows if isinstance(r["survey"], Survey)]
    current = next((s for s in surveys if s.slug == slug), None)
    if current is None:
        raise NotFound("error.survey_not_found")
    wanted = str(form.get("status", ""))
    if wanted == "closed":
        action = PublicationAction.CLOSE
    elif wanted == "open":
        action = (
            PublicationAction.PUBLISH if current.status == "draft" else PublicationAction.REOPEN
        )
    else:
        raise SurveyError("error.bad_form")
    try:
        await publication.change_publication(slug, action)
    except publication.NotConfirmed:
        return redirect(f"/staff/surveys/{slug}/publication")
    except (NotFound, Forbidden):
        raise
    except SurveyError as error:
        return render(
            request,
            "staff/surveys.html",
            status_code=error.status,
            rows=await list_surveys(),
            refused={slug: error},
        )
    return redirect("/staff")


routes: list[BaseRoute] = [
    Route("/staff/surveys/{slug}/publication", checklist_page, methods=["GET"]),
    Route("/staff/surveys/{slug}/publication", publish_post, methods=["POST"]),
    Route("/staff/surveys/{slug}/status", list_status_post, methods=["POST"]),
]
