"""Core models: staff accounts, surveys, their sections and questions, responses, jobs."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from survey.enums import Channel, JobState, QuestionKind, Role, SurveyStatus


class User(Model):
    """A staff member or administrator who logs in with e-mail and password."""

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=16, default=Role.STAFF)
    # Bumped by "log out everywhere": sessions carry the value they were issued with.
    session_version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"


class Survey(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=64, unique=True)
    title_fr = fields.CharField(max_length=200)
    title_en = fields.CharField(max_length=200, default="")
    description_fr = fields.TextField(default="")
    description_en = fields.TextField(default="")
    status = fields.CharEnumField(SurveyStatus, max_length=16, default=SurveyStatus.DRAFT)
    consent_fr = fields.TextField(default="")
    consent_en = fields.TextField(default="")
    retention_days = fields.IntField(null=True)
    public_results = fields.BooleanField(default=False)
    # Scheduled opening and closing; access "open" (a link) or by invitation codes.
    opens_at = fields.DatetimeField(null=True)
    closes_at = fields.DatetimeField(null=True)
    access_mode = fields.CharField(max_length=16, default="open")
    # Days a saved, unfinished answer can be resumed.
    resume_days = fields.IntField(default=30)
    # Bumped on every edit so cached definitions are refreshed.
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    sections: fields.ReverseRelation[Section]

    class Meta:
        table = "surveys"


class Section(Model):
    id = fields.IntField(primary_key=True)
    survey: fields.ForeignKeyRelation[Survey] = fields.ForeignKeyField(
        "models.Survey", related_name="sections", on_delete=fields.CASCADE
    )
    position = fields.IntField()
    title_fr = fields.CharField(max_length=200)
    title_en = fields.CharField(max_length=200, default="")
    description_fr = fields.TextField(default="")
    description_en = fields.TextField(default="")
    # The section's display condition, among others.
    settings: dict[str, Any] = fields.JSONField(default=dict)

    questions: fields.ReverseRelation[Question]

    class Meta:
        table = "sections"
        ordering = ["position"]


class Question(Model):
    id = fields.IntField(primary_key=True)
    section: fields.ForeignKeyRelation[Section] = fields.ForeignKeyField(
        "models.Section", related_name="questions", on_delete=fields.CASCADE
    )
    position = fields.IntField()
    # Stable key of the question inside its survey: answers are stored under it.
    code = fields.CharField(max_length=64)
    kind = fields.CharEnumField(QuestionKind, max_length=16)
    text_fr = fields.TextField()
    text_en = fields.TextField(default="")
    help_fr = fields.TextField(default="")
    help_en = fields.TextField(default="")
    required = fields.BooleanField(default=False)
    personal_data = fields.BooleanField(default=False)
    # Kind-specific settings: choices [{code, fr, en}], allow_other, min, max, labels...
    settings: dict[str, Any] = fields.JSONField(default=dict)

    class Meta:
        table = "questions"
        ordering = ["position"]


class Response(Model):
    """One resident's submitted answers, keyed by question code."""

    id = fields.BigIntField(primary_key=True)
    survey: fields.ForeignKeyRelation[Survey] = fields.ForeignKeyField(
        "models.Survey", related_name="responses", on_delete=fields.CASCADE
    )
    # Sent with the form: a double tap or a retried POST finds the row already there.
    idempotency_key = fields.UUIDField(unique=True)
    receipt = fields.CharField(max_length=16, unique=True)
    answers: dict[str, Any] = fields.JSONField(default=dict)
    language = fields.CharField(max_length=2, default="fr")
    channel = fields.CharEnumField(Channel, max_length=8, default=Channel.WEB)
    submitted_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    # n° 1, 2, 3... within its survey, given by a database trigger on every insert (the 0
    # sent by the ORM is replaced), never given twice (migration 22).
    number = fields.BigIntField(default=0)

    class Meta:
        table = "responses"
        indexes = (("survey_id", "submitted_at"),)


class Job(Model):
    """A background job (analysis runs, webhooks, e-mails), taken with FOR UPDATE SKIP LOCKED."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=32)
    payload: dict[str, Any] = fields.JSONField(default=dict)
    state = fields.CharEnumField(JobState, max_length=16, default=JobState.QUEUED)
    progress = fields.FloatField(default=0.0)
    error = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    # Not taken before this time: a failed attempt waits here before the next one.
    run_after = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    # Set on jobs that must be queued once only (a daily job's key names its day).
    unique_key = fields.CharField(max_length=120, null=True, unique=True)
    # Written by the running job's worker: an old one means the worker stopped.
    heartbeat_at = fields.DatetimeField(null=True)
    # Times the job was taken back from a stopped worker.
    stalls = fields.IntField(default=0)

    class Meta:
        table = "jobs"
