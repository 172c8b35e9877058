"""The demo's whole loop: its needs analysed, a council that voted on them, actions taken,
and the follow-up page published, so that ``/s/besoins-quartiers/suivi`` shows a decision
and actions from the first start. Loaded once: a second call finds its council and stops.
"""

from __future__ import annotations

import asyncio
import time

from survey.domain import jobs
from survey.domain.consultations import (
    ConsultationDraft,
    create_consultation,
    list_options,
    open_consultation,
    publish_results,
)
from survey.domain.council_ballots import record_paper_ballot
from survey.domain.council_results import close_consultation
from survey.domain.councils import NewCouncil, NewMember, add_member, create_council
from survey.domain.definitions import get_definition
from survey.domain.followup import PARTS, set_followup
from survey.domain.needs import (
    JOB_KIND,
    latest_run,
    needs_of_run,
    run_analysis,
    run_state,
    start_analysis,
)
from survey.domain.needs_ballot import NeedsPick, create_options_from_needs
from survey.enums import JobState
from survey.models.actions import Action
from survey.models.councils import Council
from survey.models.needs import AnalysisRun

COUNCIL = "Conseil citoyen des quartiers (démo)"
QUESTION = "manque"
# How long the demo waits for its analysis when another process runs it.
ANALYSIS_WAIT = 600.0
ACTOR = "demo"
# The members' grades for the four largest needs, best first (majority judgment, 0 to 6):
# the first need is rated highest by most members, so the result reads clearly.
GRADES = [
    [6, 4, 3, 2],
    [5, 5, 2, 3],
    [6, 3, 4, 1],
    [4, 4, 3, 3],
    [5, 2, 5, 2],
    [6, 5, 3, 4],
    [3, 4, 2, 2],
    [5, 3, 3, 5],
    [4, 5, 4, 1],
]
NAMES = [
    "Amina B.",
    "Bernard C.",
    "Chloé D.",
    "David E.",
    "Élise F.",
    "Farid G.",
    "Gisèle H.",
    "Hugo I.",
    "Inès J.",
]
TERRITORIES = [
    "bissy",
    "biollay",
    "hauts",
    "centre",
    "merande",
    "charmettes",
    "centre",
    "hauts",
    "bissy",
]


async def _analysed(slug: str) -> AnalysisRun | None:
    """The latest finished analysis of the demo's "what do you miss" question, run here
    (inline, not waiting for a worker) when there is none.

    A served process sharing the database may take the job first (its worker is woken as
    soon as the job is queued): then this waits for its end, at most ``ANALYSIS_WAIT``."""
    definition = await get_definition(slug)
    run = await latest_run(definition.id, QUESTION)
    if run is None:
        started = await start_analysis(slug, QUESTION)
        analyses = jobs.JobRegistry()
        analyses.add(JOB_KIND, run_analysis)
        deadline = time.monotonic() + ANALYSIS_WAIT
        while time.monotonic() < deadline:
            ran = await jobs.run_next(analyses)
            if await run_state(started) not in (JobState.QUEUED, JobState.RUNNING):
                break
            if ran is None:
                await asyncio.sleep(0.2)
        run = await latest_run(definition.id, QUESTION)
    return run


async def load_demo_followup(slug: str, *, address: str = "") -> bool:
    """Build the demo's council decision, actions and follow-up page; False when they were
    there already (or the analysis could not run)."""
    if await Council.exists(name=COUNCIL):
        return False
    run = await _analysed(slug)
    if run is None:
        return False
    needs = [n for n in await needs_of_run(run) if n.is_need][:4]
    if len(needs) < 2:
        return False
    definition = await get_definition(slug)
    council = await create_council(
        NewCouncil(COUNCIL, "Neuf habitants tirés au sort parmi les volontaires."),
        actor=ACTOR,
    )
    members = [
        await add_member(council.id, NewMember(name, territory=territory), actor=ACTOR)
        for name, territory in zip(NAMES, TERRITORIES, strict=True)
    ]
    consultation = await create_consultation(
        council.id,
        ConsultationDraft(
            "Quels besoins traiter en premier ?",
            "majority_judgment",
            description="Donnez une mention à chaque besoin entendu dans l'enquête.",
            secret=True,
        ),
        actor=ACTOR,
    )
    await create_options_from_needs(
        council.id,
        consultation.id,
        NeedsPick(slug, QUESTION, tuple(str(n.id) for n in needs)),
        actor=ACTOR,
    )
    await open_consultation(council.id, consultation.id, actor=ACTOR)
    options = await list_options(consultation.id)
    for member, grades in zip(members, GRADES, strict=True):
        marks = {o.id: grade for o, grade in zip(options, grades, strict=False)}
        await record_paper_ballot(council.id, consultation.id, member.id, marks, actor=ACTOR)
    await close_consultation(council.id, consultation.id, actor=ACTOR)
    await publish_results(council.id, consultation.id, actor=ACTOR)
    first, second = needs[0], needs[1]
    await Action.create(
        survey_id=definition.id,
        need_id=first.id,
        consultation_id=consultation.id,
        title=f"Réponse au besoin « {first.label} » : groupe de travail avec les partenaires",
        decision="Le conseil a classé ce besoin en premier.",
        responsible="Service vie des quartiers",
        status="doing",
    )
    await Action.create(
        survey_id=definition.id,
        need_id=second.id,
        consultation_id=consultation.id,
        title=f"Besoin « {second.label} » : réunion publique d'information",
        responsible="Centre social",
        status="todo",
    )
    await set_followup(slug, published=True, parts=frozenset(PARTS), address=address)
    return True
