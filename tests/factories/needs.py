"""Surveys whose free-text answers make known needs."""

from __future__ import annotations

import itertools
import uuid

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
    run = await AnalysisRun.create(
        survey_id=definition.id, question_code="manque", state="done", n_answers=len(ids)
    )
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
