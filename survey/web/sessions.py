"""Sessions in signed cookies, so that any worker process can serve any request.

The cookie is the one Starlette's session middleware writes (base64 JSON signed by an
itsdangerous timestamp signer), so sessions survive a switch between the two. The difference
is speed on the residents' hot path: a cookie this process has already verified is not
verified again until it expires (the check is an HMAC per request otherwise), and the cookie
is only written back when the session changed.
"""

from __future__ import annotations

import json
import time
from base64 import b64decode, b64encode
from typing import Literal

import itsdangerous
from itsdangerous.exc import BadSignature
from starlette.middleware.sessions import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_VERIFIED_MAX = 20_000  # cookies remembered per process (about 300 bytes each)


class SignedCookieSessions:
    def __init__(
        self,
        app: ASGIApp,
        secret_key: str,
        session_cookie: str,
        max_age: int,
        same_site: Literal["lax", "strict", "none"] = "lax",
        https_only: bool = False,
    ) -> None:
        self.app = app
        self.signer = itsdangerous.TimestampSigner(secret_key)
        self.name = session_cookie.encode("latin-1")
        self.max_age = max_age
        flags = f"; path=/; Max-Age={max_age}; httponly; samesite={same_site}"
        self.flags = (flags + ("; secure" if https_only else "")).encode("latin-1")
        self.cleared = (
            session_cookie + "=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly;"
            f" samesite={same_site}" + ("; secure" if https_only else "")
        ).encode("latin-1")
        # Signed cookie → (JSON text of the session, time it was signed).
        self._verified: dict[bytes, tuple[str, float]] = {}

    def _cookie(self, scope: Scope) -> bytes | None:
        needle = self.name + b"="
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        for name, value in headers:
            if name != b"cookie":
                continue
            at = value.find(needle)
            while at != -1:
                if at == 0 or value[at - 1] in b" ;":  # not the tail of a longer name
                    start = at + len(needle)
                    end = value.find(b";", start)
                    return value[start : end if end != -1 else len(value)].strip()
                at = value.find(needle, at + 1)
        return None

    def _load(self, raw: bytes) -> str | None:
        """The session's JSON text if ``raw`` is a valid, unexpired cookie of ours."""
        now = time.time()
        known = self._verified.get(raw)
        if known is not None:
            if now - known[1] <= self.max_age:
                return known[0]
            del self._verified[raw]
            return None
        try:
            data, signed_at = self.signer.unsign(raw, max_age=self.max_age, return_timestamp=True)
            text = b64decode(data).decode("utf-8")
            json.loads(text)
        except (BadSignature, ValueError):
            return None
        if len(self._verified) >= _VERIFIED_MAX:
            self._verified.clear()
        self._verified[raw] = (text, signed_at.timestamp())
        return text

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = self._cookie(scope)
        text = self._load(raw) if raw else None
        session = scope["session"] = Session(json.loads(text) if text is not None else {})

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                if not isinstance(headers, list):
                    headers = message["headers"] = list(headers)
                if session.accessed:
                    headers.append((b"vary", b"Cookie"))
                if session.modified and session:
                    data = self.signer.sign(b64encode(json.dumps(session).encode("utf-8")))
                    headers.append((b"set-cookie", self.name + b"=" + data + self.flags))
                elif session.modified and text is not None:
                    headers.append((b"set-cookie", self.cleared))
            await send(message)

        await self.app(scope, receive, send_with_cookie)
