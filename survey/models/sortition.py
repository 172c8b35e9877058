"""Stratified sortition: the audit record of each draw of a council's panel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from survey.models.core import Survey
    from survey.models.councils import Council


class SortitionDraw(Model):
    """One draw among a survey's volunteers, kept so that anyone can check it from its seed."""

    id = fields.IntField(primary_key=True)
    council: fields.ForeignKeyRelation[Council] = fields.ForeignKeyField(
        "models.Council", related_name="draws", on_delete=fields.CASCADE
    )
    survey: fields.ForeignKeyRelation[Survey] = fields.ForeignKeyField(
        "models.Survey", related_name="draws", on_delete=fields.CASCADE
    )
    survey_id: int
    # The yes/no question whose "yes" makes a volunteer, and the stratification questions.
    question_code = fields.CharField(max_length=64)
    strata: list[str] = fields.JSONField(default=list)
    panel_size = fields.IntField()
    pool_size = fields.IntField()
    # {category: {value: [min, max]}}, as the staff confirmed them.
    quotas: dict[str, dict[str, list[int]]] = fields.JSONField(default=dict)
    seed = fields.BigIntField()
    # Response ids of the volunteers drawn, in draw order.
    selected: list[int] = fields.JSONField(default=list)
    # "maximin" or "legacy" (the sortition-algorithms library) or "simple" (Parlons's own),
    # and the software and version that ran it: the same seed gives the same panel with them.
    algorithm = fields.CharField(max_length=32, default="simple")
    software = fields.CharField(max_length=64, default="")
    # {response id: chance of being drawn}, when the algorithm computes it (maximin).
    probabilities: dict[str, float] = fields.JSONField(default=dict)
    actor = fields.CharField(max_length=254, default="")
    # The form's idempotency key: the same form posted twice draws once.
    request_key = fields.UUIDField(null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sortition_draws"
