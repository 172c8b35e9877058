"""Demo data: the needs survey of ``fixtures/`` and its responses, loaded idempotently."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

from survey.domain.actors_demo import load_demo_actors
from survey.domain.answering import load_responses
from survey.domain.definitions import create_survey_from_definition, get_definition
from survey.domain.tallies import update_tallies
from survey.models import Survey
from survey.resources import fixtures_dir

FIXTURES = fixtures_dir()
_NAMESPACE = uuid.UUID("5b0f6a52-6f1e-4c56-9d0e-7a0c1d2f3e4b")


async def load_demo(fixtures: Path = FIXTURES, *, zone: ZoneInfo | None = None) -> tuple[str, int]:
    """Create the demo survey if missing and add its responses; return (slug, added).

    With the instance's ``zone``, the dashboard's tallies are counted now (by its days)
    rather than on the first view."""
    definition = json.loads((fixtures / "demo_survey.json").read_text(encoding="utf-8"))
    if not await Survey.exists(slug=definition["slug"]):
        await create_survey_from_definition(definition)
    survey_def = await get_definition(definition["slug"])
    responses_file = fixtures / "demo_responses.json"
    if not responses_file.exists():
        return survey_def.slug, 0
    items = json.loads(responses_file.read_text(encoding="utf-8"))
    # Keys derived from the position make a second load add nothing.
    for index, item in enumerate(items):
        item["key"] = str(uuid.uuid5(_NAMESPACE, f"{survey_def.slug}/{index}"))
    added = await load_responses(survey_def, items)
    if zone is not None:
        await update_tallies(survey_def, zone)
    await load_demo_actors(survey_def, fixtures)
    return survey_def.slug, added
