"""The demo directory's four confirmed matches land on the needs its analysis finds, found
by the words of their answers, whatever those needs are named."""

from __future__ import annotations

import json
import re

import pytest

from survey.domain import needs as domain
from survey.domain.actors_demo import link_demo_matches
from survey.domain.definitions import get_definition
from survey.domain.demo import load_demo
from survey.domain.demo_followup import load_demo_followup
from survey.models.actors import ActorNeedLink
from survey.models.needs import Need
from survey.resources import fixtures_dir

pytestmark = pytest.mark.usefixtures("orm")


def _matches() -> list[dict[str, object]]:
    data = json.loads((fixtures_dir() / "demo_actors.json").read_text(encoding="utf-8"))
    return list(data["matches"])


def _uses(text: str, words: object) -> bool:
    # PostgreSQL's word bounds, in Python's spelling.
    patterns = [str(w).replace(r"\m", r"\b").replace(r"\M", r"\b") for w in words]  # type: ignore[attr-defined]
    return any(re.search(p, text, re.IGNORECASE) for p in patterns)


async def _linked(survey_id: int) -> dict[str, int | None]:
    links = await ActorNeedLink.filter(survey_id=survey_id, state="confirmed").prefetch_related(
        "actor"
    )
    return {link.actor.name: link.need_id for link in links}


async def test_demo_has_its_four_confirmed_matches_after_its_analysis() -> None:
    slug, _ = await load_demo()
    # Other tests of the session may have built the demo's follow-up already.
    await load_demo_followup(slug)
    definition = await get_definition(slug)
    await link_demo_matches(definition)
    run = await domain.latest_run(definition.id, "manque")
    assert run is not None
    in_run = {n.id for n in await Need.filter(run_id=run.id, is_need=True)}
    linked = await _linked(definition.id)
    matches = _matches()
    assert sorted(linked) == sorted(str(m["actor"]) for m in matches)
    assert all(need_id in in_run for need_id in linked.values()), linked
    # Each took a need whose residents write its words.
    for match in matches:
        need_id = linked[str(match["actor"])]
        assert need_id is not None
        texts = [t for _, t in await domain.need_answers(run, need_id)]
        texts += [t for _, t in await domain.need_mentions(run, need_id)]
        assert sum(_uses(t, match["words"]) for t in texts) >= 1, (match, texts[:5])

    # Labels changed (a re-named need, names the fixture never knew): a new start links
    # the waiting matches again, to the same needs.
    before = dict(linked)
    await ActorNeedLink.filter(survey_id=definition.id).update(need_id=None, need_label="Ligne")
    for index, need in enumerate(await Need.filter(run_id=run.id)):
        need.staff_label = f"Besoin n°{index}"
        await need.save(update_fields=["staff_label"])
    await load_demo()
    assert await _linked(definition.id) == before
    labels = await ActorNeedLink.filter(survey_id=definition.id).values_list(
        "need_label", flat=True
    )
    assert all(str(label).startswith("Besoin n°") for label in labels)
