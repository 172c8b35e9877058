"""Demo directory: about forty fictional actors around the demo's neighbourhoods, schematic
outlines of those neighbourhoods, and a few confirmed matches, loaded idempotently.

Each match names words its need's answers use ("bus", "médecin"): once the demo question
is analysed, the match takes the need whose residents use them most, whatever the analysis
names it, and then follows that need through reviews and re-runs.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from survey.domain.actors_map import save_outlines
from survey.domain.definitions import SurveyDef
from survey.domain.needs import latest_run
from survey.domain.queries import need_terms
from survey.domain.queries import needs as need_rows
from survey.enums import LinkState
from survey.models.actors import Actor, ActorNeedLink, TerritoryOutline
from survey.resources import fixtures_dir

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
        # Waiting for the analysis that finds its need; one decision per actor and question.
        named = {
            "actor_id": actor.id,
            "survey_id": definition.id,
            "question_code": match["question"],
        }
        if not await ActorNeedLink.exists(**named):
            await ActorNeedLink.create(
                **named,
                need_label=match["need"],
                state=LinkState.CONFIRMED,
                reason=actor.services[0] if actor.services else "",
            )
    await link_demo_matches(definition, fixtures)
    return added


async def link_demo_matches(definition: SurveyDef, fixtures: Path | None = None) -> int:
    """Give each demo match still waiting for its need the need of the latest analysis of
    its question whose residents' answers most use its words; return how many found one."""
    path = (fixtures or fixtures_dir()) / "demo_actors.json"
    if not path.exists():
        return 0
    found = 0
    for match in json.loads(path.read_text(encoding="utf-8")).get("matches", []):
        run = await latest_run(definition.id, match["question"])
        actor = await Actor.get_or_none(source_key=f"demo:{match['actor']}")
        if run is None or actor is None:
            continue
        link = await ActorNeedLink.get_or_none(
            actor_id=actor.id,
            survey_id=definition.id,
            question_code=match["question"],
            need_id=None,
        )
        if link is None:
            continue
        need_id = await need_terms.need_citing_most(run.id, match["question"], match["words"])
        name = None if need_id is None else await need_rows.current_name(need_id, 200)
        if need_id is None or name is None:
            continue
        if await ActorNeedLink.exists(actor_id=actor.id, need_id=need_id):
            # Staff decided on that need already: their decision stands.
            await link.delete()
            continue
        link.need_id, link.need_label = need_id, name
        await link.save(update_fields=["need_id", "need_label"])
        found += 1
    return found
