"""Citizen councils: members, consultations, options, participation, ballots and the audit log.

A secret ballot is stored without any link to its voter: ``council_participations`` records
*who* voted, ``council_ballot_pool`` holds *what* was voted until closing, when it moves to
``council_ballots``; random keys and no timestamps (the design is in
``survey.domain.council_ballots``).
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from survey.enums import Channel, ConsultationState, OptionStatus


class Council(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "councils"


class Member(Model):
    """A council member; logs in with a personal link (``token``) or a printed ``code``."""

    id = fields.IntField(primary_key=True)
    council: fields.ForeignKeyRelation[Council] = fields.ForeignKeyField(
        "models.Council", related_name="members", on_delete=fields.CASCADE
    )
    council_id: int  # the relation's column, filled by Tortoise
    name = fields.CharField(max_length=200)
    email = fields.CharField(max_length=254, default="")
    phone = fields.CharField(max_length=40, default="")
    territory = fields.CharField(max_length=100, default="")
    # Other stratification fields (age band, gender...), as drawn or typed by staff.
    strata: dict[str, str] = fields.JSONField(default=dict)
    token = fields.CharField(max_length=64, unique=True)
    code = fields.CharField(max_length=8, unique=True)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "council_members"


class Consultation(Model):
    id = fields.IntField(primary_key=True)
    council: fields.ForeignKeyRelation[Council] = fields.ForeignKeyField(
        "models.Council", related_name="consultations", on_delete=fields.CASCADE
    )
    council_id: int  # the relation's column, filled by Tortoise
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    # The name of a voting method of ``analysis.voting.METHODS``.
    method = fields.CharField(max_length=24)
    state = fields.CharEnumField(ConsultationState, max_length=16, default=ConsultationState.DRAFT)
    opens_at = fields.DatetimeField(null=True)
    closes_at = fields.DatetimeField(null=True)
    quorum = fields.IntField(default=0)
    secret = fields.BooleanField(default=True)
    allow_change = fields.BooleanField(default=False)
    budget = fields.FloatField(null=True)
    # Computed once, at closing, and never recomputed: what the results pages show.
    results: dict[str, Any] | None = fields.JSONField(null=True)
    published = fields.BooleanField(default=False)
    opened_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    published_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "consultations"


class ConsultationOption(Model):
    """An option on the ballot (a statement for the ``statements`` method)."""

    id = fields.IntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", related_name="options", on_delete=fields.CASCADE
    )
    position = fields.IntField(default=0)
    title = fields.CharField(max_length=300)
    description = fields.TextField(default="")
    cost = fields.FloatField(null=True)
    # The need it came from (table ``needs``); a plain integer until that area settles.
    need_id = fields.IntField(null=True)
    # While the consultation is a draft, the title follows the need's (reviewed) name;
    # staff naming the option themselves stop it.
    follows_need = fields.BooleanField(default=False)
    quotes: list[str] = fields.JSONField(default=list)
    status = fields.CharEnumField(OptionStatus, max_length=16, default=OptionStatus.APPROVED)
    proposed_by: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="proposals", on_delete=fields.SET_NULL, null=True
    )
    # The ``comment-id`` of a statement imported from a Pol.is export (unique per consultation).
    polis_comment_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "consultation_options"


class Participation(Model):
    """That a member voted (online or on paper), never what they voted, nor when."""

    id = fields.UUIDField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", related_name="participations", on_delete=fields.CASCADE
    )
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="participations", on_delete=fields.CASCADE
    )
    channel = fields.CharEnumField(Channel, max_length=8, default=Channel.WEB)

    class Meta:
        table = "council_participations"
        unique_together = (("consultation", "member"),)


class Ballot(Model):
    """One counted ballot; ``member``, ``cast_at`` and ``channel`` are set for named ballots
    only, ``polis_voter_id`` (and the ``import`` channel) for ballots imported from Pol.is."""

    id = fields.UUIDField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", related_name="ballots", on_delete=fields.CASCADE
    )
    member: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="ballots", on_delete=fields.CASCADE, null=True
    )
    receipt = fields.CharField(max_length=16, unique=True)
    salt = fields.CharField(max_length=32)
    channel = fields.CharEnumField(Channel, max_length=8, null=True)
    cast_at = fields.DatetimeField(null=True)
    # The ``voter-id`` of a Pol.is participant whose votes were imported (channel ``import``);
    # a pseudonym of a public export, never a council member.
    polis_voter_id = fields.IntField(null=True)

    class Meta:
        table = "council_ballots"
        unique_together = (("consultation", "member"),)


class PendingBallot(Model):
    """A secret ballot accepted while voting is open, counted at closing.

    ``marks`` maps option ids to values. Rows carry no member, channel nor time, and every
    ballot cast rewrites the consultation's whole pool in a random order."""

    id = fields.UUIDField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", related_name="pending_ballots", on_delete=fields.CASCADE
    )
    receipt = fields.CharField(max_length=16, unique=True)
    salt = fields.CharField(max_length=32)
    marks: dict[str, Any] = fields.JSONField()
    change_key = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "council_ballot_pool"


class BallotMark(Model):
    """One mark of a ballot: a grade, a rank, 1 for approved, or -1/0/1 on a statement."""

    id = fields.BigIntField(primary_key=True)
    ballot: fields.ForeignKeyRelation[Ballot] = fields.ForeignKeyField(
        "models.Ballot", related_name="marks", on_delete=fields.CASCADE
    )
    option: fields.ForeignKeyRelation[ConsultationOption] = fields.ForeignKeyField(
        "models.ConsultationOption", related_name="marks", on_delete=fields.CASCADE
    )
    value = fields.SmallIntField()

    class Meta:
        table = "council_marks"
        unique_together = (("ballot", "option"),)


class AuditEntry(Model):
    """What happened to a council and its consultations, and who did it."""

    id = fields.BigIntField(primary_key=True)
    council: fields.ForeignKeyRelation[Council] = fields.ForeignKeyField(
        "models.Council", related_name="audit", on_delete=fields.CASCADE
    )
    consultation: fields.ForeignKeyNullableRelation[Consultation] = fields.ForeignKeyField(
        "models.Consultation", related_name="audit", on_delete=fields.CASCADE, null=True
    )
    actor = fields.CharField(max_length=254, default="")
    action = fields.CharField(max_length=32)
    details: dict[str, Any] = fields.JSONField(default=dict)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "council_audit"
