"""The routing table."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from survey.web import health, resident, staff
from survey.web.actions import routes as actions_routes
from survey.web.actors import routes as actors_routes
from survey.web.analysis import routes as analysis_routes
from survey.web.api import routes as api_routes
from survey.web.builder import routes as builder_routes
from survey.web.charts import PLOTLY_DIR
from survey.web.common import STATIC
from survey.web.council import routes as council_routes
from survey.web.council_needs import routes as council_needs_routes
from survey.web.dashboard import routes as dashboard_routes
from survey.web.followup import routes as followup_routes
from survey.web.imports import routes as imports_routes
from survey.web.paper import routes as paper_routes
from survey.web.privacy import routes as privacy_routes
from survey.web.publication import routes as publication_routes
from survey.web.sortition import routes as sortition_routes
from survey.web.team import routes as team_routes

routes: list[BaseRoute] = [
    # First the residents' hot path (routes are tried in order; none of these paths overlaps
    # another route); then the builder: "/staff/surveys/new" must win over "/staff/surveys/{slug}".
    Route("/s/{slug}", resident.survey_start, methods=["GET"]),
    Route("/s/{slug}", resident.survey_post, methods=["POST"]),
    Route("/s/{slug}/merci/{receipt}", resident.thanks, methods=["GET"]),
    Route("/s/{slug}/reprendre", resident.resume_form, methods=["GET"]),
    Route("/s/{slug}/reprendre/{code}", resident.resume, methods=["GET"]),
    Route("/", resident.home, methods=["GET"]),
    Route("/healthz", health.healthz, methods=["GET"]),
    Route("/favicon.ico", health.favicon, methods=["GET"]),
    *builder_routes,
    *imports_routes,
    *publication_routes,
    Route("/staff/login", staff.login_page, methods=["GET"]),
    Route("/staff/login", staff.login_post, methods=["POST"]),
    Route("/staff/logout", staff.logout, methods=["POST"]),
    Route("/staff/logout-everywhere", staff.logout_everywhere, methods=["POST"]),
    Route("/staff", staff.surveys, methods=["GET"]),
    Route("/staff/surveys/{slug}", staff.responses, methods=["GET"]),
    Route("/staff/surveys/{slug}/export", staff.export, methods=["GET"]),
]
# Each area keeps its routes in its own module.
routes += analysis_routes + council_routes + dashboard_routes + privacy_routes
routes += sortition_routes + council_needs_routes + actions_routes
routes += followup_routes + team_routes + actors_routes + api_routes + paper_routes
routes.append(Mount("/static", StaticFiles(directory=STATIC), name="static"))
# plotly.js from the installed plotly package, for staff pages only.
routes.append(Mount("/vendor", StaticFiles(directory=PLOTLY_DIR), name="vendor"))
