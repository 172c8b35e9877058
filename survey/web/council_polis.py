"""Citizen councils, staff pages: a Pol.is export (comments and votes) imported into a
draft statements consultation."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from survey.domain import council_polis
from survey.domain.councils import InvalidForm
from survey.domain.forms import FieldError
from survey.errors import Conflict
from survey.web.common import (
    STAFF,
    access,
    check_csrf,
    current_user,
    path_id,
    render,
)
from survey.web.limits import MAX_FORM_BYTES, BodyTooLarge, takes_files

_DEFAULT_UPLOAD_BYTES = 5 * 1024 * 1024


async def _actor(request: Request) -> str:
    user = await current_user(request)
    return user.email if user else ""


def _max_upload(request: Request) -> int:
    settings = getattr(request.app.state, "settings", None)
    return int(getattr(settings, "max_upload_bytes", _DEFAULT_UPLOAD_BYTES))


class _UploadRefused(Exception):
    """The request body could not be read as the import form (a message key)."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


async def _read_polis_files(request: Request, limit: int) -> dict[str, bytes]:
    """The two files of the Pol.is form (empty when not chosen), after the CSRF check.

    Each file is read up to one byte past ``limit`` so that the domain can refuse it by name.
    """
    try:
        form = await request.form(max_files=2, max_fields=10, max_part_size=MAX_FORM_BYTES)
    except BodyTooLarge as exc:  # counted while it streamed in: the view takes two files
        raise _UploadRefused("council.polis_upload_too_large", mb=limit // 2**20) from exc
    except HTTPException as exc:
        raise _UploadRefused("council.polis_upload_unreadable") from exc
    try:
        check_csrf(request, form)
        files = {}
        for name in (council_polis.COMMENTS_FIELD, council_polis.VOTES_FIELD):
            upload = form.get(name)
            files[name] = await upload.read(limit + 1) if isinstance(upload, UploadFile) else b""
        return files
    finally:
        await form.close()


async def _polis_page(
    request: Request,
    council_id: int,
    consultation_id: int,
    *,
    errors: dict[str, FieldError] | None = None,
    notice: tuple[str, dict[str, Any]] | None = None,
    report: council_polis.PolisImportReport | None = None,
    status: int = 200,
) -> Response:
    target = await council_polis.import_target(council_id, consultation_id)
    if notice is None and report is None and target.blocker is not None:
        notice = (target.blocker, {})
    limit = _max_upload(request)
    return render(
        request,
        "staff/council_polis_import.html",
        status_code=status,
        council=target.council,
        c=target.consultation,
        blocked=target.blocker is not None,
        errors=errors or {},
        notice=notice,
        report=report,
        max_mb=limit // 2**20,
    )


@access(STAFF)
async def polis_page(request: Request) -> Response:
    return await _polis_page(request, path_id(request, "council"), path_id(request, "consultation"))


@access(STAFF)
@takes_files(2)
async def polis_import(request: Request) -> Response:
    """Import a Pol.is export (comments.csv and votes.csv) into a statements consultation."""
    council_id, consultation_id = path_id(request, "council"), path_id(request, "consultation")
    limit = _max_upload(request)
    try:
        files = await _read_polis_files(request, limit)
    except _UploadRefused as exc:
        return await _polis_page(
            request, council_id, consultation_id, notice=(exc.key, exc.params), status=413
        )
    try:
        report = await council_polis.import_polis_export(
            council_id,
            consultation_id,
            comments=files[council_polis.COMMENTS_FIELD],
            votes=files[council_polis.VOTES_FIELD],
            max_bytes=limit,
            actor=await _actor(request),
        )
    except InvalidForm as exc:
        return await _polis_page(
            request, council_id, consultation_id, errors=exc.errors, status=422
        )
    except Conflict as exc:
        return await _polis_page(
            request, council_id, consultation_id, notice=(exc.key, exc.params), status=409
        )
    return await _polis_page(request, council_id, consultation_id, report=report)


routes: list[BaseRoute] = [
    Route(
        "/staff/councils/{council}/consultations/{consultation}/polis",
        polis_page,
        methods=["GET"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/polis",
        polis_import,
        methods=["POST"],
    ),
]
