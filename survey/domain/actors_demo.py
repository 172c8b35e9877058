"""Demo directory: about forty fictional actors around the demo's neighbourhoods, schematic
outlines of those neighbourhoods, and a few confirmed matches, loaded idempotently.

The matches name the needs the demo's analysis finds with its default seed; the first
analysis of the demo question gives each the need of its name, which it then follows.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from survey.domain.actors_map import save_outlines
from survey.domain.definitions import SurveyDef
from survey.domain.needs import latest_run
from survey.domain.needs_carry import attach_named_links
from survey.enums import LinkState
from survey.models.actors import Actor, ActorNeedLink, TerritoryOutline
from survey.models.needs import Need

_FIELDS = (
    "name", "kind", "services", "skills", "resources", "themes", "audience", "neighbourhood",
    "commune", "address", "latitude", "longitude", "hours", "phone", "email", "website",
    "source", "public", "consent",
)  # fmt: skip


async def load_demo_actors(definition: SurveyDef, fixtures: Path) -> int:
    """Add the demo actors missing from the directory and their matches; return how many
    actors were added."""
    path = fixtures / "demo_actors.json"
    if not path.exists():
        return 0
    outlines = fixtures / "demo_outlines.json"
    # Schematic outlines of the neighbourhoods, unless staff uploaded their own.
    if outlines.exists() and not await TerritoryOutline.exists():
        await save_outlines(outlines.read_bytes(), outlines.name)
    data = json.loads(path.read_text(encoding="utf-8"))
    added = 0
    by_name: dict[str, Actor] = {}
    for item in data["actors"]:
        key = f"demo:{item['name']}"
        actor = await Actor.get_or_none(source_key=key)
        if actor is None:
            values = {name: item[name] for name in _FIELDS if name in item}
            checked = dt.date.fromisoformat(item["checked_on"]) if item.get("checked_on") else None
            actor = await Actor.create(source_key=key, checked_on=checked, **values)
            added += 1
        by_name[item["name"]] = actor
    for match in data.get("matches", []):
        actor = by_name.get(match["actor"])
        if actor is None:
            continue
        # Named, waiting for the analysis that finds the need; kept once it has it.
        named = {
            "actor_id": actor.id,
            "survey_id": definition.id,
            "question_code": match["question"],
            "need_label": match["need"],
        }
        if not await ActorNeedLink.exists(**named):
            await ActorNeedLink.create(
                **named,
                state=LinkState.CONFIRMED,
                reason=actor.services[0] if actor.services else "",
            )
    for question in {match["question"] for match in data.get("matches", [])}:
        run = await latest_run(definition.id, question)
        if run is not None:
            await attach_named_links(run, await Need.filter(run_id=run.id))
    return added
