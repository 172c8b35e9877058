"""Reading one uploaded file from a staff form: its size, then the CSRF token."""

from __future__ import annotations

import secrets

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from survey.errors import Forbidden, SurveyError
from survey.web.limits import BodyTooLarge

_DEFAULT_UPLOAD_BYTES = 5 * 1024 * 1024


def max_upload(request: Request) -> int:
    """The largest file this instance accepts (``PARLONS_MAX_UPLOAD_BYTES``)."""
    settings = getattr(request.app.state, "settings", None)
    return int(getattr(settings, "max_upload_bytes", _DEFAULT_UPLOAD_BYTES))


async def read_upload(request: Request) -> tuple[FormData, bytes, str]:
    """A POSTed form with one file (the view is marked ``takes_files``: its body is limited
    while it streams in), then the CSRF token as ``read_form``, then the file's own size."""
    limit = max_upload(request)
    try:
        form = await request.form(max_files=1, max_fields=50, max_part_size=limit)
    except HTTPException as exc:
        raise SurveyError("builder.upload_too_large", mb=limit // (1024 * 1024)) from exc
    sent = form.get("csrf")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, expected):
        raise Forbidden("error.csrf")
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise SurveyError("builder.upload_missing")
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise BodyTooLarge("builder.upload_too_large", mb=limit // (1024 * 1024))
    if not data:
        raise SurveyError("builder.upload_missing")
    return form, data, str(upload.filename or "")[:200]
