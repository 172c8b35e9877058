"""The action list: what staff decided to do about a need or a council decision, and who."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from survey.enums import ActionStatus

if TYPE_CHECKING:
    from survey.models.core import Survey
    from survey.models.councils import Consultation


class Action(Model):
    """One action: need → decision → who is responsible → status."""

    id = fields.IntField(primary_key=True)
    survey: fields.ForeignKeyNullableRelation[Survey] = fields.ForeignKeyField(
        "models.Survey", related_name="actions", on_delete=fields.SET_NULL, null=True
    )
    survey_id: int | None  # the relation's column, filled by Tortoise
    # Needs are replaced by each analysis re-run: a plain integer, as on consultation options.
    need_id = fields.IntField(null=True)
    # The consultation whose decision the action carries out; kept if it is deleted.
    consultation: fields.ForeignKeyNullableRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", related_name="actions", on_delete=fields.SET_NULL, null=True
    )
    consultation_id: int | None  # the relation's column, filled by Tortoise
    title = fields.CharField(max_length=200)
    decision = fields.TextField(default="")
    responsible = fields.CharField(max_length=200, default="")
    status = fields.CharEnumField(ActionStatus, max_length=16, default=ActionStatus.TODO)
    due_date = fields.DateField(null=True)
    notes = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "actions"
