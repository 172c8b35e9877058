"""The draw verbs called with typed commands: the rules each command is checked against, the
place of each error, the draw recorded once per key, the queued draw's command kept."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest

from analysis import sortition_lib
from survey.domain import sortition
from survey.domain.db import connection
from survey.domain.forms import FieldError
from survey.domain.sortition import (
    command_from_payload,
    command_payload,
    draw_sortition,
    queued_draw,
)
from survey.domain.sortition_form import (
    MAX_PANEL,
    MAX_SEED,
    SIMPLE_ALGORITHM,
    DrawCommand,
    DrawField,
    InvalidDraw,
    Quota,
    QuotaPlace,
)
from survey.domain.sortition_plan import plan_sortition
from survey.models.councils import Member
from survey.models.sortition import SortitionDraw
from tests.factories import finish_jobs
from tests.factories.council import make_council
from tests.survey.web.test_sortition import volunteers

pytestmark = pytest.mark.usefixtures("orm")


def by_area(bissy: Quota, centre: Quota) -> dict[str, dict[str, Quota]]:
    return {"quartier": {"bissy": bissy, "centre": centre}}


def command(slug: str, **changes: Any) -> DrawCommand:
    """A draw of 4 by neighbourhood, by the quickest algorithm installed."""
    asked = DrawCommand(
        survey=slug,
        size=4,
        seed=1234,
        question="conseil",
        strata=("quartier",),
        algorithm="legacy" if sortition_lib.AVAILABLE else SIMPLE_ALGORITHM,
        quotas=by_area(Quota(1, 3), Quota(1, 3)),
    )
    return replace(asked, **changes)


async def refused(council_id: int, asked: DrawCommand) -> dict[object, FieldError]:
    with pytest.raises(InvalidDraw) as raised:
        await draw_sortition(council_id, asked, actor="staff@example.org")
    return dict(raised.value.errors)


async def test_draw_sortition_command_draws_within_its_quotas_with_its_seed() -> None:
    definition = await volunteers(bissy=6, centre=6)
    council, _ = await make_council(0)
    asked = command(definition.slug, quotas=by_area(Quota(3, 3), Quota(1, 1)), size=4)
    draw = await draw_sortition(council.id, asked, actor="staff@example.org")
    assert isinstance(draw, SortitionDraw)
    assert (draw.seed, draw.panel_size, draw.pool_size) == (1234, 4, 12)
    assert draw.algorithm == asked.algorithm
    assert draw.quotas["quartier"]["bissy"] == {"min": 3, "max": 3, "pool": 6, "panel": 3}
    members = await Member.filter(council_id=council.id)
    assert Counter(m.strata["quartier"] for m in members) == {"bissy": 3, "centre": 1}
    # The same seed for another council (same pool) draws the same panel.
    other, _ = await make_council(0)
    again = await draw_sortition(other.id, asked, actor="staff@example.org")
    assert isinstance(again, SortitionDraw)
    assert again.selected == draw.selected


async def test_draw_sortition_same_key_draws_once() -> None:
    definition = await volunteers(bissy=6, centre=6)
    council, _ = await make_council(0)
    asked = command(definition.slug, key=uuid.uuid4())
    first = await draw_sortition(council.id, asked, actor="staff@example.org")
    second = await draw_sortition(council.id, asked, actor="staff@example.org")
    assert isinstance(first, SortitionDraw) and isinstance(second, SortitionDraw)
    assert second.id == first.id
    assert await Member.filter(council_id=council.id).count() == 4


async def test_draw_sortition_wrong_choices_are_all_placed_at_once() -> None:
    council, _ = await make_council(0)
    errors = await refused(council.id, command("inconnue", size=0, seed=MAX_SEED))
    assert errors == {
        DrawField.SURVEY: FieldError("sortition.survey_unknown", {}),
        DrawField.SIZE: FieldError("sortition.size_invalid", {"max": MAX_PANEL}),
        DrawField.SEED: FieldError("sortition.seed_invalid", {}),
    }
    definition = await volunteers(bissy=3, centre=3)
    tampered = command(definition.slug, question="quartier", strata=("contact",), size=None)
    errors = await refused(council.id, tampered)
    assert list(errors) == [DrawField.QUESTION, DrawField.STRATA, DrawField.SIZE]
    assert errors[DrawField.STRATA] == FieldError("sortition.not_choice", {})
    assert await SortitionDraw.filter(council_id=council.id).count() == 0


async def test_draw_sortition_wrong_quotas_are_placed_at_their_bound() -> None:
    definition = await volunteers(bissy=6, centre=6)
    council, _ = await make_council(0)
    # Bissy's bounds the wrong way round, the centre's not numbers or too high, and an
    # algorithm this installation does not have: every mistake shows at once.
    quotas = by_area(Quota(3, 2), Quota(None, MAX_PANEL + 1))
    errors = await refused(
        council.id, command(definition.slug, quotas=quotas, seed=MAX_SEED - 1, algorithm="x")
    )
    invalid = FieldError("sortition.quota_invalid", {"max": MAX_PANEL})
    assert errors == {
        QuotaPlace("quartier", "bissy", "min"): FieldError("sortition.min_above_max", {}),
        QuotaPlace("quartier", "centre", "min"): invalid,
        QuotaPlace("quartier", "centre", "max"): invalid,
        DrawField.ALGORITHM: FieldError("sortition.algorithm_unknown", {}),
    }
    # A value of the pool the command gives no bounds for is a mistake too.
    errors = await refused(
        council.id, command(definition.slug, quotas={"quartier": {"bissy": Quota(1, 3)}})
    )
    assert list(errors) == [
        QuotaPlace("quartier", "centre", "min"),
        QuotaPlace("quartier", "centre", "max"),
    ]
    assert await Member.filter(council_id=council.id).count() == 0


async def test_draw_sortition_unreachable_quota_and_small_pool_are_placed() -> None:
    definition = await volunteers(bissy=2, centre=8)
    council, _ = await make_council(0)
    errors = await refused(
        council.id, command(definition.slug, quotas=by_area(Quota(3, 4), Quota(0, 4)))
    )
    assert errors == {
        QuotaPlace("quartier", "bissy", "min"): FieldError(
            "sortition.not_enough_in_pool", {"category": "quartier", "value": "bissy"}
        )
    }
    roomy = by_area(Quota(0, 11), Quota(0, 11))
    errors = await refused(council.id, command(definition.slug, size=11, quotas=roomy))
    assert errors == {DrawField.SIZE: FieldError("sortition.pool_too_small", {"size": 11})}
    assert await SortitionDraw.filter(council_id=council.id).count() == 0


async def test_plan_sortition_proposes_quotas_and_a_seed_for_the_choices() -> None:
    definition = await volunteers(bissy=15, centre=5)
    council, _ = await make_council(0)
    plan = await plan_sortition(
        council.id, DrawCommand(survey=definition.slug, size=4, strata=("quartier",))
    )
    assert (plan.ready, plan.question, plan.pool_size, plan.errors) == (True, "conseil", 20, {})
    proposed = [(row.value, row.pool, row.low, row.high) for row in plan.quotas]
    # In the question's order of choices.
    assert proposed == [("centre", 5, 0, 2), ("bissy", 15, 2, 4)]
    assert 0 <= plan.seed < 10**9
    kept = await plan_sortition(council.id, DrawCommand(survey=definition.slug, size=4, seed=77))
    assert kept.seed == 77
    # No valid size: no quotas to propose, and the error is said.
    unsized = await plan_sortition(council.id, DrawCommand(survey=definition.slug, size=None))
    assert (unsized.ready, unsized.quotas) == (False, [])
    assert list(unsized.errors) == [DrawField.SIZE]


def test_command_payload_gives_the_command_back() -> None:
    asked = command("enquete", key=uuid.uuid4(), quotas=by_area(Quota(None, 2), Quota(0, 4)))
    assert command_from_payload(command_payload(asked)) == asked
    assert command_from_payload(command_payload(command("enquete", size=None))).size is None


async def test_queued_draw_keeps_its_command_and_the_quota_it_could_not_meet() -> None:
    # Of the two Bissy volunteers only one is 30-44: four 30-44 with two from Bissy cannot
    # be drawn, which only the draw itself finds, in the job.
    definition = await volunteers(bissy=2, centre=6)
    council, _ = await make_council(0)
    quotas = {
        "quartier": {"bissy": Quota(2, 2), "centre": Quota(2, 2)},
        "age": {"30-44": Quota(4, 4), "60-74": Quota(0, 0)},
    }
    asked = command(definition.slug, strata=("quartier", "age"), algorithm="maximin", quotas=quotas)
    key = await draw_sortition(council.id, asked, actor="staff@example.org", queue_slow=True)
    assert isinstance(key, uuid.UUID)
    await finish_jobs(sortition.DRAW_JOB)
    status = await queued_draw(council.id, str(key))
    assert status.state == "invalid"
    assert status.command == replace(asked, key=key)
    params = {"category": "age", "value": "30-44", "suggested": 3}
    assert status.errors == {
        QuotaPlace("age", "30-44", "min"): FieldError("sortition.lower_minimum", params)
    }
    assert await SortitionDraw.filter(council_id=council.id).count() == 0


async def test_queued_draw_of_an_earlier_version_is_failed_without_a_command() -> None:
    council, _ = await make_council(0)
    key = str(uuid.uuid4())
    # Its payload held the form as typed, which this version no longer reads.
    payload = {"council": council.id, "key": key, "actor": "x", "raw": {"survey": ["s"]}}
    async with connection() as conn:
        await conn.execute(
            "INSERT INTO jobs (kind, payload, state, progress, error, created_at)"
            " VALUES ($1, $2::jsonb, 'failed', 0, 'KeyError', now())",
            sortition.DRAW_JOB,
            json.dumps(payload),
        )
    status = await queued_draw(council.id, key)
    assert (status.state, status.command) == ("failed", None)
    assert status.errors == {DrawField.ALGORITHM: FieldError("sortition.draw_failed", {})}
