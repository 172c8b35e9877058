"""What residents are told of a survey's follow-up: whether its page is published, what it shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from survey.models.core import Survey


class Followup(Model):
    """The public follow-up page of one survey (``/s/<slug>/suivi``), as staff set it."""

    id = fields.IntField(primary_key=True)
    survey: fields.OneToOneRelation[Survey] = fields.OneToOneField(
        "models.Survey", related_name="followup", on_delete=fields.CASCADE
    )
    published = fields.BooleanField(default=False)
    show_needs = fields.BooleanField(default=True)
    show_quotes = fields.BooleanField(default=True)
    show_decisions = fields.BooleanField(default=True)
    show_actions = fields.BooleanField(default=True)
    published_at = fields.DatetimeField(null=True)
    # Where the page lives, as staff last saw it: the address that news e-mails link to.
    address = fields.CharField(max_length=500, default="")
    digest_sent_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "followups"


class FollowupSubscriber(Model):
    """An address that asked for news of a survey's follow-up.

    Kept apart from the answers: no reference to a response, a random identifier, and no
    date finer than the day, so that nothing in this table points to the answer given just
    before (see ``survey.domain.followup_news``).
    """

    id = fields.UUIDField(primary_key=True)
    survey: fields.ForeignKeyRelation[Survey] = fields.ForeignKeyField(
        "models.Survey", related_name="subscribers", on_delete=fields.CASCADE
    )
    email = fields.CharField(max_length=254)
    language = fields.CharField(max_length=2, default="fr")
    token = fields.CharField(max_length=64, unique=True)
    created_on = fields.DateField()

    class Meta:
        table = "followup_subscribers"
        unique_together = (("survey", "email"),)
