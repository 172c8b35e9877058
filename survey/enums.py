"""Enumerations shared by models, domain and views (a leaf: imports nothing of survey)."""

from __future__ import annotations

from enum import StrEnum


class SurveyStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class QuestionKind(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    SCALE = "scale"
    NUMBER = "number"
    YES_NO = "yes_no"
    DATE = "date"
    RANKING = "ranking"
    TERRITORY = "territory"
    CONTACT = "contact"


# Kinds whose answer is one or several codes from a list of choices.
CHOICE_KINDS = frozenset(
    {QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TERRITORY, QuestionKind.YES_NO}
)
TEXT_KINDS = frozenset({QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT})


class Role(StrEnum):
    STAFF = "staff"
    ADMIN = "admin"


class Channel(StrEnum):
    WEB = "web"
    PAPER = "paper"
    IMPORT = "import"


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
