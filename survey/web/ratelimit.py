"""Submission rate limits per client address and per session, in this process's memory.

Limits are generous on purpose: a town hall's public Wi-Fi puts dozens of residents behind
one address, so the per-address limit only stops floods; the per-session limit (a resident
posts a page every few seconds at most) catches a single abusive browser earlier.
"""

from __future__ import annotations

import time

from survey.errors import SurveyError

WINDOW_SECONDS = 60.0


class RateLimited(SurveyError):
    status = 429


class Limiter:
    """Fixed one-minute windows counted per key; old windows are dropped as time passes."""

    def __init__(self, per_client: int, per_session: int) -> None:
        self.per_client = per_client
        self.per_session = per_session
        self._window = 0
        self._counts: dict[str, int] = {}

    def hit(self, client: str, session: str | None, now: float | None = None) -> None:
        """Count one submission; raise ``RateLimited`` when a limit is passed."""
        window = int((time.monotonic() if now is None else now) // WINDOW_SECONDS)
        if window != self._window:
            self._window, self._counts = window, {}
        keys = [("c:" + client, self.per_client)]
        if session:
            keys.append(("s:" + session, self.per_session))
        for key, limit in keys:
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
            if count > limit:
                raise RateLimited("error.rate_limited")
