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


class ActionStatus(StrEnum):
    """Where an action stands; listed in this order on the staff pages."""

    TODO = "todo"
    DOING = "doing"
    DONE = "done"
    DROPPED = "dropped"


class ConsultationState(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class OptionStatus(StrEnum):
    """Statements proposed by members wait for staff moderation; others are approved."""

    APPROVED = "approved"
    PENDING = "pending"
    REJECTED = "rejected"


class ActorKind(StrEnum):
    """What an entry of the directory is; residents are people who offered help."""

    ASSOCIATION = "association"
    PUBLIC_SERVICE = "public_service"
    BUSINESS = "business"
    THIRD_PLACE = "third_place"
    RESIDENT = "resident"
    OTHER = "other"


class LinkState(StrEnum):
    """A staff decision on a suggested actor for a need."""

    CONFIRMED = "confirmed"
    REJECTED = "rejected"
