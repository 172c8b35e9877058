"""What residents are told of a survey's follow-up: whether its page is published, what it shows."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Followup(Model):
    """The public follow-up page of one survey (``/s/<slug>/suivi``), as staff set it."""

    id = fields.IntField(primary_key=True)
    survey: fields.OneToOneRelation = fields.OneToOneField(
        "models.Survey", related_name="followup", on_delete=fields.CASCADE
    )
    published = fields.BooleanField(default=False)
    show_needs = fields.BooleanField(default=True)
    show_quotes = fields.BooleanField(default=True)
    show_decisions = fields.BooleanField(default=True)
    show_actions = fields.BooleanField(default=True)
    published_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "followups"
