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
from dataclasses import dataclass, field
from typing import Any

from analysis.matching import OfferMatcher
from survey.domain.actions import ActionDraft, create_action
from survey.domain.actors import actor_row
from survey.domain.actors_offers import KindOffer, kinds_answering
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.needs import NeedView, needs_of_run
from survey.domain.queries import actor_need_links
from survey.enums import ActionStatus, LinkState, QuestionKind
from survey.errors import NotFound, SurveyError
from survey.i18n import translate
from survey.models.actors import Actor, ActorNeedLink
from survey.models.needs import AnalysisRun, Need

TOP = 5


def offer_text(actor: dict[str, Any]) -> str:
    """What an actor offers, as matched and given as reasons: its name, then one line per
    service, skill and resource."""
    lines = [actor["name"], *actor["services"], *actor["skills"], *actor["resources"]]
    return "\n".join(" ".join(str(line).split()) for line in lines if line and str(line).strip())


def context_lines(actor: dict[str, Any]) -> list[str]:
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
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT r.answers->>$3 AS place, count(*) AS n FROM need_answers na"
            " JOIN responses r ON r.id = na.response_id"
            " WHERE na.run_id = $1 AND na.need_id = $2 AND r.answers ? $3"
            " GROUP BY 1 ORDER BY 2 DESC, 1",
            run.id,
            need_id,
            code,
        )
    return [(str(r["place"]), int(r["n"])) for r in rows]


_ACTORS = """
SELECT a.id, a.name, a.kind, a.services, a.skills, a.resources, a.themes, a.audience,
       a.neighbourhood, a.commune, a.phone, a.email, a.hours, a.public,
       coalesce((SELECT array_agg(coalesce(n.staff_label, n.label, l.need_label))
                 FROM actor_need_links l LEFT JOIN needs n ON n.id = l.need_id
                 WHERE l.actor_id = a.id AND l.state = 'confirmed'), '{}') AS taught
FROM actors a WHERE NOT a.archived ORDER BY a.id
"""


async def _live_actors() -> list[dict[str, Any]]:
    async with connection() as conn:
        rows = await conn.fetch(_ACTORS)
    items = [actor_row(row) for row in rows]
    for item in items:
        item["taught"] = list(item["taught"])
    return items


@dataclass(frozen=True)
class Suggestion:
    actor: dict[str, Any]
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
    actors: list[dict[str, Any]], text: str, place: str, exclude: set[int], top: int
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
    actors = await _live_actors()
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


# The newest finished run of each question of each survey, and its needs with live sizes.
_NEEDS = """
WITH latest AS (
    SELECT DISTINCT ON (survey_id, question_code) id, survey_id, question_code
    FROM analysis_runs ar JOIN analysis_run_states s ON s.run_id = ar.id
    WHERE s.state = 'done' AND NOT EXISTS (
        -- The kinds of help residents offer are not needs.
        SELECT 1 FROM sections sc JOIN questions q ON q.section_id = sc.id
        WHERE sc.survey_id = ar.survey_id AND q.code = ar.question_code
          AND (q.settings->>'offers') = 'true')
    ORDER BY survey_id, question_code, finished_at DESC NULLS LAST, id DESC
)
SELECT n.id, coalesce(n.staff_label, n.label) AS label, l.id AS run_id, l.survey_id,
       l.question_code, s.slug, s.title_fr, s.title_en, count(na.id) AS size
FROM latest l
JOIN surveys s ON s.id = l.survey_id
JOIN needs n ON n.run_id = l.id AND n.is_need
JOIN need_answers na ON na.need_id = n.id
GROUP BY n.id, l.id, l.survey_id, l.question_code, s.slug, s.title_fr, s.title_en
HAVING count(na.id) >= $1
ORDER BY count(na.id) DESC, n.id
"""
_PLACES = """
SELECT na.need_id, r.answers->>q.code AS place, count(*) AS n
FROM need_answers na
JOIN responses r ON r.id = na.response_id
JOIN sections sc ON sc.survey_id = r.survey_id
JOIN questions q ON q.section_id = sc.id AND q.kind = 'territory'
WHERE na.need_id = ANY($1::int[]) AND r.answers ? q.code
GROUP BY 1, 2
"""


async def gap_view(threshold: int) -> GapView:
    """Needs of at least ``threshold`` residents with no confirmed actor, largest first,
    with their residents per neighbourhood (small groups hidden)."""
    async with connection() as conn:
        needs = await conn.fetch(_NEEDS, max(1, threshold))
        confirmed = {
            r["need_id"]
            for r in await conn.fetch(
                "SELECT DISTINCT need_id FROM actor_need_links"
                " WHERE state = 'confirmed' AND need_id IS NOT NULL"
            )
        }
        open_needs = [n for n in needs if n["id"] not in confirmed]
        counts = await conn.fetch(_PLACES, [n["id"] for n in open_needs])
    per_need: dict[int, dict[str, int | None]] = {}
    for row in counts:
        n = int(row["n"])
        per_need.setdefault(int(row["need_id"]), {})[str(row["place"])] = (
            n if n >= threshold else None
        )
    places = sorted(
        {p for d in per_need.values() for p in d},
        key=lambda p: -sum(v or 0 for d in per_need.values() for q, v in d.items() if q == p),
    )
    offers = await kinds_answering([n["label"] for n in open_needs])
    gaps = [
        Gap(
            survey_slug=n["slug"],
            survey_title={"fr": n["title_fr"], "en": n["title_en"]},
            run_id=int(n["run_id"]),
            need_id=int(n["id"]),
            label=n["label"],
            size=int(n["size"]),
            places=per_need.get(int(n["id"]), {}),
            offers=kinds,
        )
        for n, kinds in zip(open_needs, offers, strict=True)
    ]
    return GapView(gaps, places, answered=len(needs) - len(open_needs), threshold=threshold)


# ----------------------------------------------------------------------- the fiche projet

FICHE_TEXT_MAX = 3000
FICHE_FIELDS = ("title", "target", "hours", "cost", "funders", "notes")


@dataclass(frozen=True)
class Fiche:
    """A project sheet drafted from a need: its numbers and quotes, and staff's text."""

    need: NeedView
    places: list[tuple[str, int | None]]
    partners: list[dict[str, Any]]
    volunteers: list[dict[str, Any]]
    values: dict[str, str]
    chosen: set[int]


async def draft_fiche(
    definition: SurveyDef,
    run: AnalysisRun,
    need_id: int,
    form: dict[str, Any] | None,
    threshold: int,
    language: str = "fr",
) -> Fiche:
    """The fiche of a need: confirmed actors as partners (residents as volunteers),
    neighbourhoods with small groups hidden, and staff's text (prefilled when ``form`` is
    ``None``, in ``language``; every text is cut to a printable length)."""
    suggestions = await need_suggestions(definition, run, need_id, top=3)
    need = suggestions.need
    linked = [s.actor for s in suggestions.confirmed] + [s.actor for s in suggestions.suggested]
    if form is None:
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
        chosen = {int(v) for v in form.get("partners", []) if str(v).isdigit() and len(str(v)) < 10}
        values = {name: str(form.get(name, "")).strip()[:FICHE_TEXT_MAX] for name in FICHE_FIELDS}
    places = [(code, n if n >= threshold else None) for code, n in suggestions.places]
    partners = [a for a in linked if a["kind"] != "resident"]
    volunteers = [a for a in linked if a["kind"] == "resident"]
    return Fiche(need, places, partners, volunteers, values, chosen)
