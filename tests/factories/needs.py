"""Surveys whose free-text answers make known needs."""

from __future__ import annotations

import uuid

from survey.domain.definitions import SurveyDef
from survey.domain.responses import load_responses
from tests.factories import make_survey

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
