"""Staff pages for files in and out of a survey: a questionnaire from a Parlons JSON file or
an XLSForm, its definition and responses out, responses in from other tools' exports.
Every page works without JavaScript."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from survey.domain import response_import, survey_from_file, xlsform, xlsx_export
from survey.domain.builder import Invalid
from survey.domain.definitions import definition_to_json, get_definition
from survey.domain.import_dates import COMMON_ZONES
from survey.errors import SurveyError
from survey.web.builder import new_survey_page
from survey.web.common import (
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
from survey.web.import_forms import (
    column_values,
    file_survey,
    file_survey_errors,
    import_choices,
)
from survey.web.limits import takes_files
from survey.web.uploads import read_upload


def _slug(request: Request) -> str:
    return str(request.path_params["slug"])


def _values(form: FormData) -> dict[str, str]:
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


@access(STAFF)
@takes_files(1)
async def import_definition(request: Request) -> Response:
    """Create a survey from a Parlons JSON or XLSForm file; show what could not be kept."""
    await current_user(request)
    form, data, filename = await read_upload(request)
    try:
        report = await xlsform.import_definition(data, filename, slug=str(form.get("slug") or ""))
    except SurveyError as error:
        return new_survey_page(
            request,
            values={"template": "", "import_slug": str(form.get("slug") or "")},
            errors={"file": error},
            status=error.status if error.status != 404 else 400,
        )
    return render(request, "staff/builder_imported.html", report=report)


@access(STAFF)
async def definition_export(request: Request) -> Response:
    definition = await get_definition(_slug(request))
    body = json.dumps(definition_to_json(definition), ensure_ascii=False, indent=2)
    return Response(
        body + "\n",
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{quote(definition.slug)}.parlons.json"'
        },
    )


@access(STAFF)
async def xlsx_export_view(request: Request) -> Response:
    definition = await get_definition(_slug(request))
    labels = request.query_params.get("values", "labels") != "codes"
    data = await xlsx_export.export_xlsx(
        definition, language(request), time_zone(request), labels=labels
    )
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{quote(definition.slug)}.xlsx"'},
    )


async def _responses_import_page(
    request: Request,
    upload_id: int,
    *,
    values: dict[str, str] | None = None,
    plan: response_import.ImportPlan | None = None,
    **context: Any,
) -> Response:
    definition = await get_definition(_slug(request))
    plan = plan or await response_import.describe_upload(definition, upload_id)
    return render(
        request,
        "staff/responses_import.html",
        survey=definition,
        plan=plan,
        values=values if values is not None else column_values(plan.guess),
        zones=COMMON_ZONES,
        zone_default=time_zone(request).key,
        **context,
    )


@access(STAFF)
@takes_files(1)
async def responses_upload(request: Request) -> Response:
    """Receive a CSV export of Google Forms, LimeSurvey or Framaforms, then map its columns."""
    user = await current_user(request)
    _, data, filename = await read_upload(request)
    definition = await get_definition(_slug(request))
    try:
        upload_id = await response_import.store_upload(
            definition, data, filename, user_id=user.id if user else None
        )
    except SurveyError as error:
        return render(
            request,
            "staff/builder_import_error.html",
            status_code=400,
            survey=definition,
            error=error,
        )
    return redirect(f"/staff/surveys/{definition.slug}/responses-import/{upload_id}")


@access(STAFF)
async def responses_import_page(request: Request) -> Response:
    """The mapping page; a survey just made from the file names its columns in the query."""
    await current_user(request)
    given = {k: v for k, v in request.query_params.items() if k.startswith("col_")}
    return await _responses_import_page(request, path_id(request, "id"), values=given or None)


@access(STAFF)
async def responses_import_post(request: Request) -> Response:
    """Check the mapping against every row; on confirmation store the valid rows."""
    values = _values(await read_form(request))
    upload_id = path_id(request, "id")
    definition = await get_definition(_slug(request))
    # Described first: a confirmed import no longer keeps the uploaded file.
    plan = await response_import.describe_upload(definition, upload_id)
    result = await response_import.import_responses(
        definition,
        upload_id,
        import_choices(values),
        confirm=values.get("action") == "import",
        zone=time_zone(request),
    )
    status = 422 if result.errors else 200
    return await _responses_import_page(
        request, upload_id, values=values, plan=plan, result=result, status_code=status
    )


# --- a new survey from a responses file -------------------------------------------------------


def _from_file_page(
    request: Request, *, error: SurveyError | None = None, status: int = 200
) -> HTMLResponse:
    return render(request, "staff/survey_from_file.html", status_code=status, error=error)


async def _proposals_page(
    request: Request,
    upload_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: Any = None,
    status: int = 200,
) -> Response:
    user = await current_user(request)
    assert user is not None
    plan = await survey_from_file.describe_file(upload_id, user_id=user.id)
    if values is None:
        values = {"title": plan.filename.rsplit(".", 1)[0][:200]}
        for p in plan.proposals:
            values |= {f"keep_{p.index}": "1", f"kind_{p.index}": p.kind}
            values[f"title_{p.index}"] = p.title
    return render(
        request,
        "staff/survey_from_file_review.html",
        status_code=status,
        plan=plan,
        values=values,
        errors=errors or {},
        kinds=survey_from_file.KINDS,
    )


@access(STAFF)
async def from_file_page(request: Request) -> Response:
    await current_user(request)
    return _from_file_page(request)


@access(STAFF)
@takes_files(1)
async def from_file_upload(request: Request) -> Response:
    """A responses file that starts a new survey: its columns are proposed as questions."""
    user = await current_user(request)
    assert user is not None
    try:
        _, data, filename = await read_upload(request)
        upload_id = await survey_from_file.store_file(data, filename, user_id=user.id)
    except SurveyError as error:
        if error.status in (403, 413):
            raise
        return _from_file_page(request, error=error, status=400)
    return redirect(f"/staff/surveys/from-file/{upload_id}")


@access(STAFF)
async def from_file_review(request: Request) -> Response:
    return await _proposals_page(request, path_id(request, "id"))


@access(STAFF)
async def from_file_create(request: Request) -> Response:
    """Create the draft survey reviewed, then import its file through the usual checks."""
    values = _values(await read_form(request))
    user = await current_user(request)
    assert user is not None
    upload_id = path_id(request, "id")
    try:
        slug, mapping = await survey_from_file.create_from_file(
            upload_id, file_survey(values), user_id=user.id
        )
    except Invalid as invalid:
        errors = file_survey_errors(invalid.errors)
        return await _proposals_page(request, upload_id, values=values, errors=errors, status=422)
    query = urlencode(column_values(mapping))
    return redirect(f"/staff/surveys/{slug}/responses-import/{upload_id}?{query}")


routes: list[BaseRoute] = [
    Route("/staff/surveys/from-file", from_file_page, methods=["GET"]),
    Route("/staff/surveys/from-file", from_file_upload, methods=["POST"]),
    Route("/staff/surveys/from-file/{id}", from_file_review, methods=["GET"]),
    Route("/staff/surveys/from-file/{id}", from_file_create, methods=["POST"]),
    Route("/staff/surveys/import", import_definition, methods=["POST"]),
    Route("/staff/surveys/{slug}/definition", definition_export, methods=["GET"]),
    Route("/staff/surveys/{slug}/export-xlsx", xlsx_export_view, methods=["GET"]),
    Route("/staff/surveys/{slug}/responses-import", responses_upload, methods=["POST"]),
    Route("/staff/surveys/{slug}/responses-import/{id}", responses_import_page, methods=["GET"]),
    Route("/staff/surveys/{slug}/responses-import/{id}", responses_import_post, methods=["POST"]),
]
