"""Test data built through the domain functions (factories, not mocks), one module a kind."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from survey.domain import jobs
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef, create_survey_from_definition, get_definition
from survey.domain.job_kinds import job_registry

ROOT = Path(__file__).resolve().parents[2]
# The instance's zone in tests that do not choose one (the settings' default).
PARIS = ZoneInfo("Europe/Paris")
_counter = itertools.count(1)


def demo_definition(**changes: Any) -> dict[str, Any]:
    data = json.loads((ROOT / "fixtures" / "demo_survey.json").read_text(encoding="utf-8"))
    data["slug"] = f"test-{next(_counter)}-{data['slug']}"[:63]
    data.update(changes)
    return data


async def make_survey(**changes: Any) -> SurveyDef:
    data = demo_definition(**changes)
    await create_survey_from_definition(copy.deepcopy(data))
    return await get_definition(data["slug"])


VALID_ANSWERS: dict[str, list[str]] = {
    "q_quartier": ["bissy"],
    "q_age": ["30-44"],
    "q_foyer": ["famille"],
    "q_arrivee": ["2019-09-01"],
    "q_satisfaction": ["3"],
    "q_manque": ["Une crèche, il n'y a aucune place pour les petits"],
    "q_urgence": ["4"],
    "q_services": ["mediatheque", "__other__"],
    "q_services__other": ["Jardin partagé"],
    "q_priorites__mobilite": ["2"],
    "q_priorites__enfance": ["1"],
    "q_priorites__sante": ["3"],
    "q_priorites__logement": ["5"],
    "q_priorites__lien": ["4"],
    "q_agir": ["Aider aux devoirs le mercredi"],
    "q_heures": ["4"],
    "q_conseil": ["yes"],
    "q_contact": ["marie.dupont@example.org"],
}


async def finish_jobs(
    kind: str, timeout: float = 180.0, *, registry: jobs.JobRegistry | None = None
) -> None:
    """Run the due jobs of ``kind`` here (with ``registry``, by default one of every kind and
    no mail server) until none is left, and wait for those that another process of the test
    session (the served app of the browser tests) took meanwhile."""
    registry = registry or job_registry(None)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await jobs.run_next(registry, [kind], time_zone=PARIS) is not None:
            continue
        async with connection() as conn:
            busy = await conn.fetchval(
                "SELECT count(*) FROM jobs WHERE kind = $1 AND (state = 'running'"
                " OR (state = 'queued' AND run_after <= now()))",
                kind,
            )
        if not busy:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{kind} jobs still unfinished after {timeout} s")
