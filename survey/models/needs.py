"""Needs analysis: runs over a free-text question, the needs found, and each answer's need."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from survey.models.core import Response, Survey


class AnalysisRun(Model):
    """One clustering of a free-text question's answers (a background job)."""

    id = fields.IntField(primary_key=True)
    survey: fields.ForeignKeyRelation[Survey] = fields.ForeignKeyField(
        "models.Survey", related_name="analysis_runs", on_delete=fields.CASCADE
    )
    survey_id: int  # the relation's column, filled by Tortoise
    question_code = fields.CharField(max_length=64)
    # Its job, whose state is the run's (``survey.domain.queries.analysis_runs``).
    job_id = fields.BigIntField(null=True)
    # Staff choices: forced number of needs, seed, language.
    params: dict[str, Any] = fields.JSONField(default=dict)
    # What a re-run kept, added and dropped compared with the previous run.
    changes: dict[str, Any] = fields.JSONField(default=dict)
    # Share unclassified, mean coherence, numbers of themes and needs.
    quality: dict[str, float] = fields.JSONField(default=dict)
    # Staff's review: merges, splits, moves, agreement with the machine's grouping.
    review: dict[str, Any] = fields.JSONField(default=dict)
    n_answers = fields.IntField(default=0)
    n_non_answers = fields.IntField(default=0)
    # The end of its result: when it was stored (or the run failed), and why it failed.
    error = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "analysis_runs"


class Need(Model):
    """A need found in the answers, inside a theme, reviewed by staff (rename, merge, ...)."""

    id = fields.IntField(primary_key=True)
    run: fields.ForeignKeyRelation[AnalysisRun] = fields.ForeignKeyField(
        "models.AnalysisRun", related_name="needs", on_delete=fields.CASCADE
    )
    position = fields.IntField(default=0)
    label = fields.CharField(max_length=200)
    # Set when staff rename the need; kept across re-runs when the need still matches.
    staff_label = fields.CharField(max_length=200, null=True)
    # The theme holding the need: vocabulary id (empty: found in the answers), label, rank.
    theme_key = fields.CharField(max_length=64, default="")
    theme_label = fields.CharField(max_length=200, default="")
    theme_position = fields.IntField(default=0)
    # Mean cosine of its answers to its centre (1: all say the same thing).
    coherence = fields.FloatField(default=0.0)
    keywords: list[str] = fields.JSONField(default=list)
    quote_response_ids: list[int] = fields.JSONField(default=list)
    size = fields.IntField(default=0)
    # False once staff mark it "not a need"; its answers then count as unclassified.
    is_need = fields.BooleanField(default=True)
    edited = fields.BooleanField(default=False)
    # The need of the previous run (or of the previous wave's survey) this one carries on.
    previous_id = fields.IntField(null=True)

    class Meta:
        table = "needs"


class NeedAnswer(Model):
    """Where one response's answer landed in a run (need is null: unclassified/non-answer)."""

    id = fields.BigIntField(primary_key=True)
    run: fields.ForeignKeyRelation[AnalysisRun] = fields.ForeignKeyField(
        "models.AnalysisRun", related_name="answers", on_delete=fields.CASCADE
    )
    response: fields.ForeignKeyRelation[Response] = fields.ForeignKeyField(
        "models.Response", related_name="need_answers", on_delete=fields.CASCADE
    )
    need: fields.ForeignKeyNullableRelation[Need] = fields.ForeignKeyField(
        "models.Need", related_name="answers", on_delete=fields.SET_NULL, null=True
    )
    non_answer = fields.BooleanField(default=False)
    # The machine's need for this answer (its position in the run; -1: none), kept
    # while staff move answers, so that their review can be measured against it.
    machine_need = fields.IntField(default=-1)
    x = fields.FloatField(default=0.0)
    y = fields.FloatField(default=0.0)

    class Meta:
        table = "need_answers"
        unique_together = (("run", "response"),)


class NeedMention(Model):
    """Another need of an answer that speaks of several (the main one is ``NeedAnswer``)."""

    id = fields.BigIntField(primary_key=True)
    run: fields.ForeignKeyRelation[AnalysisRun] = fields.ForeignKeyField(
        "models.AnalysisRun", related_name="mentions", on_delete=fields.CASCADE
    )
    response: fields.ForeignKeyRelation[Response] = fields.ForeignKeyField(
        "models.Response", related_name="need_mentions", on_delete=fields.CASCADE
    )
    need: fields.ForeignKeyRelation[Need] = fields.ForeignKeyField(
        "models.Need", related_name="mentions", on_delete=fields.CASCADE
    )
    rank = fields.IntField(default=1)

    class Meta:
        table = "need_mentions"
        unique_together = (("run", "response", "need"),)


class AnalysisSettings(Model):
    """A survey's own vocabulary of themes and the survey of its previous wave."""

    id = fields.IntField(primary_key=True)
    survey: fields.OneToOneRelation[Survey] = fields.OneToOneField(
        "models.Survey", related_name="analysis_settings", on_delete=fields.CASCADE
    )
    # None: the built-in vocabulary; else ``{"themes": [...]}`` as in themes.json.
    vocabulary: dict[str, Any] | None = fields.JSONField(null=True)
    previous_survey: fields.ForeignKeyNullableRelation[Survey] = fields.ForeignKeyField(
        "models.Survey", related_name="next_waves", on_delete=fields.SET_NULL, null=True
    )
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "analysis_settings"
