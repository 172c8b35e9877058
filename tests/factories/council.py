"""Councils, members and consultations built through the domain."""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx

from survey.domain.consultation_options import create_options
from survey.domain.consultations import (
    ConsultationDraft,
    create_consultation,
    get_consultation,
    open_consultation,
)
from survey.domain.councils import NewCouncil, NewMember, add_member, create_council
from survey.domain.db import connection
from survey.models.councils import Consultation, Council, Member
from tests.htmlform import field_value, post_form

_counter = itertools.count(1)


async def make_council(n_members: int = 3) -> tuple[Council, list[Member]]:
    council = await create_council(NewCouncil(f"Conseil {next(_counter)}"), actor="test")
    members = [
        await add_member(council.id, NewMember(f"Membre {i}", territory="bissy"), actor="test")
        for i in range(n_members)
    ]
    return council, members


async def make_consultation(
    council: Council,
    method: str,
    options: list[str],
    *,
    costs: list[float] | None = None,
    open_now: bool = True,
    **settings: str,
) -> Consultation:
    # Settings as the staff form sends them: "1" ticks a box, amounts and counts as typed.
    draft = ConsultationDraft(
        f"Consultation {method}",
        method,
        secret=settings.get("secret", "1") == "1",
        allow_change=settings.get("allow_change") == "1",
        quorum=int(settings.get("quorum") or 0),
        budget=float(settings["budget"]) if "budget" in settings else None,
    )
    consultation = await create_consultation(council.id, draft, actor="test")
    await create_options(consultation, [(o, "", None) for o in options], costs=costs, actor="test")
    if open_now:
        await open_consultation(council.id, consultation.id, actor="test")
    return await get_consultation(council.id, consultation.id)


async def member_login(client: httpx.AsyncClient, member: Member, code: str | None = None):
    page = (await client.get("/c/login")).text
    return await post_form(
        client, "/c/login", [("csrf", field_value(page, "csrf")), ("code", code or member.code)]
    )


async def option_ids(consultation: Consultation) -> list[int]:
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT id FROM consultation_options WHERE consultation_id = $1 ORDER BY position",
            consultation.id,
        )
    return [r["id"] for r in rows]


async def ballots(consultation: Consultation) -> list[dict[str, Any]]:
    """Stored ballots with their marks (option position → value): counted ones, and secret
    ones still waiting in the pool for closing."""
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT b.member_id, b.cast_at, b.receipt, b.channel,"
            " jsonb_object_agg(o.position, m.value) AS marks"
            " FROM council_ballots b JOIN council_marks m ON m.ballot_id = b.id"
            " JOIN consultation_options o ON o.id = m.option_id"
            " WHERE b.consultation_id = $1 GROUP BY b.id"
            " UNION ALL SELECT NULL, NULL, p.receipt, NULL,"
            " jsonb_object_agg(o.position, e.value::int)"
            " FROM council_ballot_pool p CROSS JOIN jsonb_each_text(p.marks) e"
            " JOIN consultation_options o ON o.id = e.key::int"
            " WHERE p.consultation_id = $1 GROUP BY p.id, p.receipt ORDER BY receipt",
            consultation.id,
        )
    return [{**dict(r), "marks": json.loads(r["marks"])} for r in rows]
