"""Models of the survey authoring and distribution area: resume codes, invitations, uploads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from survey.models.core import Survey, User


class ResumeDraft(Model):
    """Answers typed so far, kept under a short code so a resident can finish later."""

    id = fields.BigIntField(primary_key=True)
    survey: fields.ForeignKeyRelation[Survey] = fields.ForeignKeyField(
        "models.Survey", related_name="resume_drafts", on_delete=fields.CASCADE
    )
    code = fields.CharField(max_length=16, unique=True)
    # The raw form values (field name -> list of strings), as typed, errors included.
    form_values: dict[str, list[str]] = fields.JSONField(default=dict)
    step = fields.IntField(default=0)
    language = fields.CharField(max_length=2, default="fr")
    invitation = fields.CharField(max_length=16, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "resume_drafts"


class Invitation(Model):
    """A one-time code that lets one person answer a survey in invitation mode."""

    id = fields.BigIntField(primary_key=True)
    survey: fields.ForeignKeyRelation[Survey] = fields.ForeignKeyField(
        "models.Survey", related_name="invitations", on_delete=fields.CASCADE
    )
    code = fields.CharField(max_length=16, unique=True)
    label = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invitations"
        indexes = (("survey_id", "id"),)


class InvitationUse(Model):
    """That a code was used; in anonymous mode without time or receipt (no link back)."""

    invitation_id = fields.BigIntField(primary_key=True, generated=False)
    used_at = fields.DatetimeField(null=True)
    receipt = fields.CharField(max_length=16, null=True)

    class Meta:
        table = "invitation_uses"


class InvitationMail(Model):
    """An invitation code sent by e-mail, and how the sending went.

    The address is kept only until the mail server accepts the message (or for staff to
    correct it when sending failed); then only a masked form remains for the codes page.
    A keyed hash of the address keeps the same person from being invited twice.
    """

    id = fields.BigIntField(primary_key=True)
    invitation: fields.OneToOneRelation[Invitation] = fields.OneToOneField(
        "models.Invitation", related_name="mail", on_delete=fields.CASCADE
    )
    survey: fields.ForeignKeyRelation[Survey] = fields.ForeignKeyField(
        "models.Survey", related_name="invitation_mails", on_delete=fields.CASCADE
    )
    email = fields.CharField(max_length=254, null=True)
    email_hash = fields.CharField(max_length=64)
    masked = fields.CharField(max_length=254, default="")
    language = fields.CharField(max_length=2, default="fr")
    sender = fields.CharField(max_length=200, default="")
    status = fields.CharField(max_length=8, default="queued")
    attempts = fields.IntField(default=0)
    error = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "invitation_mails"
        unique_together = (("survey", "email_hash"),)


class Upload(Model):
    """A responses file sent by staff, kept while they map its columns to questions."""

    id = fields.BigIntField(primary_key=True)
    # None while the file starts a new survey whose questions staff are reviewing.
    survey: fields.ForeignKeyNullableRelation[Survey] = fields.ForeignKeyField(
        "models.Survey", related_name="uploads", on_delete=fields.CASCADE, null=True
    )
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="uploads", on_delete=fields.SET_NULL, null=True
    )
    filename = fields.CharField(max_length=200, default="")
    data = fields.BinaryField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "uploads"
        indexes = (("survey_id", "created_at"),)


class ApiToken(Model):
    """A personal token for the read-only API; only its SHA-256 is stored."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="api_tokens", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100, default="")
    # The first characters, shown in the list so a person can tell their tokens apart.
    prefix = fields.CharField(max_length=12)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    # What the token may do: read surveys and their responses (the only scope so far).
    scope = fields.CharField(max_length=32, default="surveys:read")
    # The one survey it reads; none: every survey.
    survey: fields.ForeignKeyNullableRelation[Survey] = fields.ForeignKeyField(
        "models.Survey", related_name="api_tokens", on_delete=fields.CASCADE, null=True
    )

    class Meta:
        table = "api_tokens"
        indexes = (("user_id", "created_at"),)


class Webhook(Model):
    """An address told of each new response, with an HMAC-SHA256 signature."""

    id = fields.IntField(primary_key=True)
    survey: fields.ForeignKeyRelation[Survey] = fields.ForeignKeyField(
        "models.Survey", related_name="webhooks", on_delete=fields.CASCADE
    )
    url = fields.CharField(max_length=500)
    secret = fields.CharField(max_length=64)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhooks"


class WebhookDelivery(Model):
    """One attempt to deliver one response to one webhook."""

    id = fields.BigIntField(primary_key=True)
    webhook: fields.ForeignKeyRelation[Webhook] = fields.ForeignKeyField(
        "models.Webhook", related_name="deliveries", on_delete=fields.CASCADE
    )
    receipt = fields.CharField(max_length=16)
    attempt = fields.IntField(default=1)
    status_code = fields.IntField(null=True)
    error = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_deliveries"
        indexes = (("webhook_id", "created_at"),)
