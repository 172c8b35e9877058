"""Domain errors: each carries a message key from the catalogue, never a sentence."""

from __future__ import annotations

from typing import Any


class SurveyError(Exception):
    """Base of the errors a user may see; ``status`` is the HTTP status to answer with."""

    status = 400

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class NotFound(SurveyError):
    status = 404


class Forbidden(SurveyError):
    status = 403


class Conflict(SurveyError):
    status = 409


class Unavailable(SurveyError):
    """The database cannot be reached: the user should try again shortly."""

    status = 503
