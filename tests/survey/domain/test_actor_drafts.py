"""The directory's verbs called with typed drafts, as the form and the import build them."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from survey.domain.actors import ActorDraft, InvalidActor, create_actor, update_actor
from survey.domain.staff_forms import Unread
from survey.enums import ActorKind
from survey.models.actors import Actor
from tests.factories import make_survey

pytestmark = pytest.mark.usefixtures("orm")
_counter = itertools.count(1)


def draft(**values: object) -> ActorDraft:
    fields: dict[str, object] = {
        "name": f"  Repair café   du Biollay {next(_counter)} ",
        "kind": ActorKind.ASSOCIATION,
        "services": ("Réparer un vélo",),
        "themes": ("réparation",),
        "neighbourhood": "biollay",
        "checked_on": dt.date(2026, 11, 30),
        **values,
    }
    return ActorDraft(**fields)


async def test_create_actor_from_a_draft_stores_typed_values() -> None:
    await make_survey()
    actor = await create_actor(draft(email=" atelier@example.org "))
    stored = await Actor.get(id=actor.id)
    assert stored.name.startswith("Repair café du Biollay ")
    assert stored.kind == ActorKind.ASSOCIATION
    assert stored.services == ["Réparer un vélo"]
    assert stored.email == "atelier@example.org"
    assert stored.checked_on == dt.date(2026, 11, 30)
    assert stored.latitude is None


async def test_unread_values_and_broken_rules_are_reported_by_field() -> None:
    await make_survey()
    before = await Actor.all().count()
    with pytest.raises(InvalidActor) as caught:
        await create_actor(
            draft(
                name="   ",
                kind=None,
                services=(),
                latitude=Unread("quarante-cinq"),
                checked_on=Unread("31/02/2026"),
                neighbourhood="atlantide",
            )
        )
    errors = {name: error.key for name, error in caught.value.errors.items()}
    assert errors == {
        "name": "actors.required",
        "kind": "actors.bad_kind",
        "services": "actors.offer_required",
        "latitude": "actors.bad_latitude",
        "longitude": "actors.coordinates_pair",
        "checked_on": "actors.bad_date",
        "neighbourhood": "actors.bad_neighbourhood",
    }
    assert await Actor.all().count() == before


async def test_update_actor_refuses_a_resident_without_consent_and_keeps_the_entry() -> None:
    await make_survey()
    actor = await create_actor(draft())
    with pytest.raises(InvalidActor) as caught:
        await update_actor(actor.id, draft(name="Marie", kind=ActorKind.RESIDENT))
    assert set(caught.value.errors) == {"consent"}
    assert (await Actor.get(id=actor.id)).kind == ActorKind.ASSOCIATION
    await update_actor(actor.id, draft(name="Marie", kind=ActorKind.RESIDENT, consent=True))
    assert (await Actor.get(id=actor.id)).kind == ActorKind.RESIDENT
