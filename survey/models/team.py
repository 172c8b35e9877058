"""The staff team: deactivated accounts and the record of who changed what."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from survey.models.core import User


class Deactivation(Model):
    """A staff account closed for good: it cannot log in and its sessions have ended."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="deactivation", on_delete=fields.CASCADE
    )
    by = fields.CharField(max_length=254)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "user_deactivations"


class TeamEvent(Model):
    """One change to the team (account created, password reset, account deactivated)."""

    id = fields.BigIntField(primary_key=True)
    actor = fields.CharField(max_length=254)
    action = fields.CharField(max_length=32)
    target = fields.CharField(max_length=254)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "team_audit"
