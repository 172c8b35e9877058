"""Stratified sortition: the audit record of each draw of a council's panel."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class SortitionDraw(Model):
    """One draw among a survey's volunteers, kept so that anyone can check it from its seed."""

    id = fields.IntField(primary_key=True)
    council: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Council", related_name="draws", on_delete=fields.CASCADE
    )
    survey: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Survey", related_name="draws", on_delete=fields.CASCADE
    )
    # The yes/no question whose "yes" makes a volunteer, and the stratification questions.
    question_code = fields.CharField(max_length=64)
    strata: list = fields.JSONField(default=list)  # type: ignore[type-arg]
    panel_size = fields.IntField()
    pool_size = fields.IntField()
    # {category: {value: [min, max]}}, as the staff confirmed them.
    quotas: dict = fields.JSONField(default=dict)  # type: ignore[type-arg]
    seed = fields.BigIntField()
    # Response ids of the volunteers drawn, in draw order.
    selected: list = fields.JSONField(default=list)  # type: ignore[type-arg]
    # "maximin" or "legacy" (the sortition-algorithms library) or "simple" (Parlons's own),
    # and the software and version that ran it: the same seed gives the same panel with them.
    algorithm = fields.CharField(max_length=32, default="simple")
    software = fields.CharField(max_length=64, default="")
    # {response id: chance of being drawn}, when the algorithm computes it (maximin).
    probabilities: dict = fields.JSONField(default=dict)  # type: ignore[type-arg]
    actor = fields.CharField(max_length=254, default="")
    # The form's idempotency key: the same form posted twice draws once.
    request_key = fields.UUIDField(null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sortition_draws"
