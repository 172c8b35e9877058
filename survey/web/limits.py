"""Request body limits, counted while the body streams in, on every route.

A form may be at most ``MAX_FORM_BYTES``; a view that takes files says how many with
``@takes_files(n)`` and may then receive ``n`` times ``PARLONS_MAX_UPLOAD_BYTES`` more. The
bytes are counted in the ``receive`` channel itself, so no view can forget the check and a
body without ``Content-Length`` (``Transfer-Encoding: chunked``) is refused as soon as it
passes the limit, before it is parsed whole or written to disk: the view's read raises
``BodyTooLarge`` (413), which is rendered as any ``SurveyError``. The limit is looked up when
the body is first read, that is after routing has named the endpoint.

A client that hangs up in the middle of its body ends its request with one log line, not a
traceback: there is nobody left to answer.

NUL characters (``%00``) are dropped from the path and the query string here, and from form
fields by ``read_form``: PostgreSQL cannot store them and nobody types them, so they would
otherwise only turn a lookup into a server error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from survey.errors import SurveyError

MAX_FORM_BYTES = 256 * 1024
log = logging.getLogger("parlons")
View = TypeVar("View", bound=Callable[..., Any])


class BodyTooLarge(SurveyError):
    status = 413


def takes_files(count: int = 1) -> Callable[[View], View]:
    """Declare that a view receives up to ``count`` uploaded files (under ``access``)."""

    def mark(view: View) -> View:
        view.__dict__["upload_files"] = count
        return view

    return mark


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class BodyLimits:
    """Refuse bodies over their route's limit while they arrive (pure ASGI)."""

    def __init__(self, app: ASGIApp, max_upload_bytes: int) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes

    def _refusal(self, scope: Scope) -> tuple[int, BodyTooLarge]:
        files = getattr(scope.get("endpoint"), "upload_files", 0)
        if not files:
            return MAX_FORM_BYTES, BodyTooLarge("error.form_too_large")
        limit = files * self.max_upload_bytes + MAX_FORM_BYTES
        return limit, BodyTooLarge("builder.upload_too_large", mb=self.max_upload_bytes // 2**20)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope["query_string"]:
            scope = dict(scope)
            scope["path"] = scope["path"].replace("\x00", "")
            scope["raw_path"] = (scope.get("raw_path") or b"").replace(b"%00", b"")
            scope["query_string"] = scope["query_string"].replace(b"%00", b"")
        received = 0
        refusal: tuple[int, BodyTooLarge] | None = None

        async def counted() -> Message:
            nonlocal received, refusal
            if refusal is None:
                refusal = self._refusal(scope)
                declared = _declared_length(scope)
                if declared is not None and declared > refusal[0]:
                    raise refusal[1]
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > refusal[0]:
                    raise refusal[1]
            return message

        try:
            await self.app(scope, counted, send)
        except ClientDisconnect:
            log.info("client left in the middle of its request to %s", scope.get("path"))
