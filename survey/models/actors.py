"""The directory of local actors and resources, and their links to the needs they may answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from survey.enums import ActorKind, LinkState

if TYPE_CHECKING:
    from survey.models.core import Response, Survey


class Actor(Model):
    """An organisation or a person of the territory, what it offers, for whom, where, when."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    kind = fields.CharEnumField(ActorKind, max_length=16, default=ActorKind.ASSOCIATION)
    # One item per line in the form; kept as lists so imports and exports keep them apart.
    services: list[str] = fields.JSONField(default=list)
    skills: list[str] = fields.JSONField(default=list)
    resources: list[str] = fields.JSONField(default=list)
    themes: list[str] = fields.JSONField(default=list)
    audience = fields.TextField(default="")
    # The code of a territory choice of the surveys (neighbourhood), or empty.
    neighbourhood = fields.CharField(max_length=64, default="")
    commune = fields.CharField(max_length=200, default="")
    address = fields.TextField(default="")
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    hours = fields.TextField(default="")
    phone = fields.CharField(max_length=40, default="")
    email = fields.CharField(max_length=200, default="")
    website = fields.CharField(max_length=500, default="")
    source = fields.CharField(max_length=200, default="")
    # The identifier in the source (GoGoCarto id, data·inclusion id): a second import of
    # the same file updates rather than duplicates.
    source_key = fields.CharField(max_length=300, null=True, unique=True)
    public = fields.BooleanField(default=False)
    # A resident's explicit consent to be listed (separate from the survey's consent).
    consent = fields.BooleanField(default=False)
    checked_on = fields.DateField(null=True)
    # The answer a resident's entry was made from: erasing or purging it removes the entry.
    response: fields.OneToOneNullableRelation[Response] = fields.OneToOneField(
        "models.Response", related_name="actor_entry", on_delete=fields.CASCADE, null=True
    )
    archived = fields.BooleanField(default=False)
    merged_into: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="merged", on_delete=fields.SET_NULL, null=True
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "actors"


class ActorNeedLink(Model):
    """Staff's decision on an actor for a need, kept across analysis re-runs and reviews.

    Keyed by the need itself (``need_id``), which is what carries on from run to run: a
    re-run moves the decision to the need that carries this one on (as it moves ballot
    options and actions), a merge to the merged need, a split to each of its parts. A need
    no re-run carried on keeps its decisions, shown as gone. ``need_id`` is null for a
    decision named before any analysis found its need (the demo's matches): the next run
    gives it the need of that name. ``need_label`` is the name it was decided under.
    """

    id = fields.IntField(primary_key=True)
    actor: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="links", on_delete=fields.CASCADE
    )
    actor_id: int  # the relation's column, filled by Tortoise
    survey: fields.ForeignKeyRelation[Survey] = fields.ForeignKeyField(
        "models.Survey", related_name="actor_links", on_delete=fields.CASCADE
    )
    question_code = fields.CharField(max_length=64)
    need_label = fields.CharField(max_length=200)
    need_id = fields.IntField(null=True)
    state = fields.CharEnumField(LinkState, max_length=16)
    score = fields.FloatField(default=0.0)
    reason = fields.TextField(default="")
    action_id = fields.IntField(null=True)
    decided_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "actor_need_links"
        unique_together = (("actor", "need_id"),)


class TerritoryOutline(Model):
    """Outlines of the territory's areas uploaded as GeoJSON, kept as checked rings."""

    id = fields.IntField(primary_key=True)
    filename = fields.CharField(max_length=200, default="")
    # [{"code", "name", "rings": [[[lon, lat], ...], ...]}]
    areas: list[dict[str, Any]] = fields.JSONField()
    uploaded_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "territory_outlines"
