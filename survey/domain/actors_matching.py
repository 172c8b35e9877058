"""Who may answer a need: suggestions from the directory, staff decisions, actions, gaps.

The bridge between the database and ``analysis.matching``: a need's text is its name, its
keywords and its quotes; an actor's offer is its name and one line per service, skill and
resource, its themes and audience, plus the names of the needs staff already confirmed it
for (so their choices teach the ranking). Decisions are kept on the need itself and
follow it through renames, merges, splits and re-runs (``needs_carry``). Rejected actors
are never suggested again for that need.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from analysis.matching import OfferMatcher
from survey.domain.actions import ActionDraft, create_action
from survey.domain.actors_offers import KindOffer, kinds_answering
from survey.domain.definitions import SurveyDef
from survey.domain.needs import NeedView, needs_of_run
from survey.domain.queries import actor_need_links, need_answers
from survey.domain.queries import actors as directory
from survey.domain.queries import needs as needs_queries
from survey.domain.queries.actors import ActorRow
from survey.enums import ActionStatus, LinkState, QuestionKind
from survey.errors import NotFound, SurveyError
from survey.i18n import translate
from survey.models.actors import Actor, ActorNeedLink
from survey.models.needs import AnalysisRun, Need

TOP = 5


def offer_text(actor: Mapping[str, Any]) -> str:
    """What an actor offers, as matched and given as reasons: its name, then one line per
    service, skill and resource."""
    lines = [actor["name"], *actor["services"], *actor["skills"], *actor["resources"]]
    return "\n".join(" ".join(str(line).split()) for line in lines if line and str(line).strip())


def context_lines(actor: Mapping[str, Any]) -> list[str]:
    """What counts in an actor's score but is not an offer: its themes, its public, and the
    needs staff confirmed it for (their choices teach the ranking)."""
    lines = [", ".join(actor["themes"]), actor["audience"], *actor.get("taught", [])]
    return [line for line in lines if line]


def need_text(need: NeedView) -> str:
    return "\n".join([need.label, " ".join(need.keywords), *need.quotes[:5]])


def territory_code(definition: SurveyDef) -> str | None:
    return next((q.code for q in definition.questions if q.kind == QuestionKind.TERRITORY), None)


async def need_places(run: AnalysisRun, code: str | None, need_id: int) -> list[tuple[str, int]]:
    """(place, residents) of a need's answers, most first."""
    if code is None:
        return []
    places = await need_answers.places_of_need(run.id, need_id, code)
    return [(p.place, p.residents) for p in places]


@dataclass(frozen=True)
class Suggestion:
    actor: ActorRow
    score: float
    reason: str
    same_place: bool
    state: str | None = None
    link_id: int | None = None
    action_id: int | None = None


@dataclass(frozen=True)
class NeedSuggestions:
    need: NeedView
    places: list[tuple[str, int]]
    confirmed: list[Suggestion]
    suggested: list[Suggestion]
    rejected: list[Suggestion]


def _rank(
    actors: list[ActorRow], text: str, place: str, exclude: set[int], top: int
) -> list[tuple[int, float, str, bool]]:
    """(actor index, score, reason, same place) of the best actors, outside ``exclude``."""
    offers = [offer_text(a) for a in actors]
    places = [a["neighbourhood"] for a in actors]
    matcher = OfferMatcher().fit(offers, places, taught=[context_lines(a) for a in actors])
    ranked = matcher.rank([text], [place], top=top + len(exclude))[0]
    kept = [(m.actor, m.score, m.reason, m.same_place) for m in ranked if m.actor not in exclude]
    return kept[:top]


async def need_suggestions(
    definition: SurveyDef, run: AnalysisRun, need_id: int, top: int = TOP
) -> NeedSuggestions:
    """The decisions taken on a need and the best other actors for it, with their reasons."""
    need = next((n for n in await needs_of_run(run) if n.id == need_id), None)
    if need is None:
        raise NotFound("analysis.need_not_found")
    places = await need_places(run, territory_code(definition), need_id)
    actors = await directory.live_with_taught()
    links = {
        link.actor_id: link
        for link in await ActorNeedLink.filter(survey_id=definition.id, need_id=need.id)
    }
    position = {a["id"]: i for i, a in enumerate(actors)}
    decided = {position[i] for i in links if i in position}
    ranked = []
    if actors:
        ranked = await asyncio.to_thread(
            _rank, actors, need_text(need), places[0][0] if places else "", decided, top
        )
    confirmed: list[Suggestion] = []
    rejected: list[Suggestion] = []
    for actor_id, link in links.items():
        if actor_id not in position:
            continue
        item = Suggestion(
            actor=actors[position[actor_id]],
            score=link.score,
            reason=link.reason,
            same_place=bool(places) and actors[position[actor_id]]["neighbourhood"] == places[0][0],
            state=str(link.state),
            link_id=link.id,
            action_id=link.action_id,
        )
        (confirmed if link.state == LinkState.CONFIRMED else rejected).append(item)
    suggested = [
        Suggestion(actor=actors[i], score=score, reason=reason, same_place=same)
        for i, score, reason, same in ranked
    ]
    return NeedSuggestions(need, places, confirmed, suggested, rejected)


async def decide(
    definition: SurveyDef,
    run: AnalysisRun,
    need_id: int,
    actor_id: int,
    state: str,
    *,
    reason: str = "",
    score: float = 0.0,
) -> None:
    """Confirm or reject an actor for a need (``clear`` forgets the decision)."""
    need = next((n for n in await needs_of_run(run) if n.id == need_id), None)
    if need is None:
        raise NotFound("analysis.need_not_found")
    if not await Actor.exists(id=actor_id, archived=False):
        raise NotFound("actors.not_found")
    if state == "clear":
        await ActorNeedLink.filter(actor_id=actor_id, need_id=need.id).delete()
        return
    if state not in tuple(LinkState):
        raise SurveyError("actors.bad_decision")
    await ActorNeedLink.update_or_create(
        defaults={
            "state": state,
            "survey_id": definition.id,
            "question_code": run.question_code,
            "need_label": need.label[:200],
            "reason": " ".join(reason.split())[:1000],
            "score": score if 0.0 <= score <= 10.0 else 0.0,
        },
        actor_id=actor_id,
        need_id=need.id,
    )


async def action_from_link(definition: SurveyDef, link_id: int) -> int:
    """Turn a confirmed link into an action with the actor in charge; return the action id."""
    link = await ActorNeedLink.get_or_none(
        id=link_id, survey_id=definition.id, state=LinkState.CONFIRMED
    ).prefetch_related("actor")
    if link is None:
        raise NotFound("actors.link_not_found")
    if link.action_id is not None:
        return link.action_id
    need = await Need.get_or_none(id=link.need_id) if link.need_id is not None else None
    name = (need.staff_label or need.label) if need is not None else link.need_label
    action = await create_action(
        ActionDraft(
            title=f"{name} – {link.actor.name}"[:200],
            decision=link.reason,
            responsible=link.actor.name[:200],
            status=ActionStatus.TODO,
            survey_id=definition.id,
            need_id=link.need_id or None,
        )
    )
    link.action_id = action.id
    await link.save(update_fields=["action_id"])
    return action.id


async def actor_decisions(actor_id: int) -> list[actor_need_links.ActorDecision]:
    """The decisions taken on an actor, each with its need as it stands now (gone from the
    newest analysis, or not found by one yet)."""
    return await actor_need_links.of_actor(actor_id)


# --------------------------------------------------------------------------- the gap view


@dataclass(frozen=True)
class Gap:
    """A need many residents voiced that no confirmed actor answers yet."""

    survey_slug: str
    survey_title: dict[str, str]
    run_id: int
    need_id: int
    label: str
    size: int
    # Residents per neighbourhood; None when fewer than the small-group threshold.
    places: dict[str, int | None]
    # Kinds of help residents offered that may answer it.
    offers: list[KindOffer] = field(default_factory=list)


@dataclass(frozen=True)
class GapView:
    gaps: list[Gap]
    places: list[str]
    answered: int
    threshold: int


async def gap_view(threshold: int) -> GapView:
    """Needs of at least ``threshold`` residents with no confirmed actor, largest first,
    with their residents per neighbourhood (small groups hidden)."""
    needs = await needs_queries.largest_in_newest_runs(max(1, threshold))
    confirmed = await actor_need_links.confirmed_need_ids()
    open_needs = [n for n in needs if n.id not in confirmed]
    counts = await need_answers.places_by_need([n.id for n in open_needs])
    per_need: dict[int, dict[str, int | None]] = {}
    for row in counts:
        per_need.setdefault(row.need_id, {})[row.place] = (
            row.residents if row.residents >= threshold else None
        )
    places = sorted(
        {p for d in per_need.values() for p in d},
        key=lambda p: -sum(v or 0 for d in per_need.values() for q, v in d.items() if q == p),
    )
    offers = await kinds_answering([n.label for n in open_needs])
    gaps = [
        Gap(
            survey_slug=n.survey_slug,
            survey_title=n.survey_title,
            run_id=n.run_id,
            need_id=n.id,
            label=n.label,
            size=n.size,
            places=per_need.get(n.id, {}),
            offers=kinds,
        )
        for n, kinds in zip(open_needs, offers, strict=True)
    ]
    return GapView(gaps, places, answered=len(needs) - len(open_needs), threshold=threshold)


# ----------------------------------------------------------------------- the fiche projet

FICHE_TEXT_MAX = 3000
FICHE_FIELDS = ("title", "target", "hours", "cost", "funders", "notes")


@dataclass(frozen=True)
class FicheDraft:
    """Staff's text of a fiche as typed, and the ids of the partners they kept."""

    title: str = ""
    target: str = ""
    hours: str = ""
    cost: str = ""
    funders: str = ""
    notes: str = ""
    partners: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Fiche:
    """A project sheet drafted from a need: its numbers and quotes, and staff's text."""

    need: NeedView
    places: list[tuple[str, int | None]]
    partners: list[ActorRow]
    volunteers: list[ActorRow]
    values: dict[str, str]
    chosen: set[int]


async def draft_fiche(
    definition: SurveyDef,
    run: AnalysisRun,
    need_id: int,
    draft: FicheDraft | None,
    threshold: int,
    language: str = "fr",
) -> Fiche:
    """The fiche of a need: confirmed actors as partners (residents as volunteers),
    neighbourhoods with small groups hidden, and staff's text (prefilled when ``draft`` is
    ``None``, in ``language``; every text is cut to a printable length)."""
    suggestions = await need_suggestions(definition, run, need_id, top=3)
    need = suggestions.need
    linked = [s.actor for s in suggestions.confirmed] + [s.actor for s in suggestions.suggested]
    if draft is None:
        chosen = {s.actor["id"] for s in suggestions.confirmed}
        values = {
            "title": translate(language, "actors.fiche_default_title", need=need.label)[:200],
            "target": "",
            "hours": "",
            "cost": "",
            "funders": translate(language, "actors.fiche_default_funders"),
            "notes": "",
        }
    else:
        chosen = set(draft.partners)
        values = {name: getattr(draft, name).strip()[:FICHE_TEXT_MAX] for name in FICHE_FIELDS}
    places = [(code, n if n >= threshold else None) for code, n in suggestions.places]
    partners = [a for a in linked if a["kind"] != "resident"]
    volunteers = [a for a in linked if a["kind"] == "resident"]
    return Fiche(need, places, partners, volunteers, values, chosen)
