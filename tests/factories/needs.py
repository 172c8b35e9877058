"""Surveys whose free-text answers make known needs."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

from survey.domain import jobs
from survey.domain import needs as domain
from survey.domain.answering import load_responses
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.models.needs import AnalysisRun, Need, NeedAnswer
from tests.factories import finish_jobs, make_survey
from tests.factories.resident import random_items

_counter = itertools.count(1)

CHILDCARE = [
    "Pas assez de places en crèche pour les bébés",
    "Une crèche, on attend une place depuis un an",
    "Des places de crèche et une garderie le mercredi",
    "Une crèche ouverte plus tôt le matin",
    "Il manque une crèche dans le quartier",
    "La crèche municipale est pleine, aucune place",
]


BUSES = [
    "Des bus le soir après 20h",
    "Le bus ne passe plus le dimanche",
    "Plus de bus pour aller en ville le soir",
    "Un bus toutes les heures c'est trop peu",
    "Le dernier bus part à 19h",
    "Des bus plus fréquents vers la gare",
]


DOCTORS = [
    "Un médecin généraliste, le nôtre est parti à la retraite",
    "Trouver un médecin traitant",
    "Il faut six mois pour voir un médecin",
    "Pas de médecin dans le quartier, il faut aller loin",
    "Un cabinet médical avec des médecins",
    "Les médecins ne prennent plus de nouveaux patients",
]


async def survey_with_answers(texts: list[str], territory: list[str] | None = None) -> SurveyDef:
    definition = await make_survey()
    items = [
        {
            "key": str(uuid.uuid4()),
            "submitted_at": "2026-10-20T10:00:00+00:00",
            "answers": {
                "manque": text,
                "quartier": (territory or ["centre", "bissy"])[i % len(territory or [1, 2])],
            },
        }
        for i, text in enumerate(texts)
    ]
    await load_responses(definition, items)
    return definition


async def run_jobs() -> None:
    await finish_jobs(domain.JOB_KIND)


async def finished_run(survey_id: int, question_code: str = "manque", **result: Any) -> AnalysisRun:
    """A finished run of the analysis, with no need yet (the test adds its own): its job is
    done, so the run is. Its result (``result``: ``n_answers``...) is recorded before its job
    is queued, so whichever worker takes the job, here or the served app's, ends it at once
    as the job of a run that recorded its end, and never clusters the answers."""
    run = await AnalysisRun.create(
        survey_id=survey_id,
        question_code=question_code,
        finished_at=dt.datetime.now(dt.UTC),
        **result,
    )
    run.job_id = await jobs.enqueue(domain.JOB_KIND, {"run": run.id})
    await run.save(update_fields=["job_id"])
    await run_jobs()
    return run


async def waiting_run(survey_id: int, question_code: str = "manque") -> AnalysisRun:
    """A queued run that no worker takes (its job is due tomorrow)."""
    run = await AnalysisRun.create(survey_id=survey_id, question_code=question_code)
    run.job_id = await jobs.enqueue(domain.JOB_KIND, {"run": run.id}, delay=86_400)
    await run.save(update_fields=["job_id"])
    return run


async def finish_waiting(run: AnalysisRun) -> None:
    """The waiting run finishes (with no need): its end recorded, its job is due now and
    ends at once, whichever worker takes it."""
    await AnalysisRun.filter(id=run.id).update(finished_at=dt.datetime.now(dt.UTC))
    async with connection() as conn:
        await conn.execute("UPDATE jobs SET run_after = now() WHERE id = $1", run.job_id)
    await run_jobs()


async def survey_with_need(
    label: str, texts: list[str], place: str = "hauts"
) -> tuple[SurveyDef, AnalysisRun, Need]:
    """A survey whose answers all went to one need of a finished run."""
    definition = await make_survey()
    items = random_items(definition, len(texts), seed=next(_counter))
    for item, text in zip(items, texts, strict=True):
        item["answers"]["manque"] = text
        item["answers"]["quartier"] = place
    await load_responses(definition, items)
    async with connection() as conn:
        ids = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM responses WHERE survey_id = $1 ORDER BY id", definition.id
            )
        ]
    run = await finished_run(definition.id, "manque", n_answers=len(ids))
    need = await Need.create(
        run=run, label=label, keywords=["bus", "soir"], quote_response_ids=ids[:3], size=len(ids)
    )
    for rid in ids:
        await NeedAnswer.create(run=run, response_id=rid, need=need)
    return definition, run, need


BUS_TEXTS = [
    "Des bus le soir, après 20h il n'y a plus rien",
    "Le dernier bus part trop tôt pour rentrer du travail",
    "Plus de bus le dimanche",
    "Un transport pour remonter chez nous le soir",
    "On attend le bus 25 minutes",
    "Une navette pour aller au marché",
]
