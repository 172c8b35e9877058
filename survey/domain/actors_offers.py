"""Residents' offers of help: a skills network from the answers to a "what would you be ready
to do?" question.

The offers question is a free-text question marked ``offers`` in its settings; a number or
short-text question marked ``availability`` gives the hours a month (the first number typed),
a choice question marked ``offer_consent`` the resident's consent to be contacted about the
offer (separate from the survey's: ``yes``/``equipe`` keeps the contact with staff,
``public`` also lists the offer on the public directory, never with contact details). Staff
set the marks in the builder. The kinds of help are the needs the analysis finds when run on
the offers question. A consenting resident becomes a directory entry tied to their response,
so that erasing or purging the response removes the entry.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass

from analysis.masking import mask_personal_data
from analysis.offers import Availability, availability, kinds_for_needs
from survey.domain.definitions import QuestionDef, SurveyDef, get_definition
from survey.domain.needs import latest_run, needs_of_run
from survey.domain.queries import analysis_runs, need_answers, responses, surveys
from survey.enums import TEXT_KINDS, ActorKind, QuestionKind
from survey.errors import NotFound, SurveyError
from survey.i18n import translate
from survey.models.actors import Actor
from survey.models.needs import AnalysisRun

# Consent answers that let staff contact the resident; "public" also lists the offer.
CONSENTING = frozenset({"yes", "equipe", "public"})
_AVAILABILITY_KINDS = frozenset({QuestionKind.NUMBER, QuestionKind.SHORT_TEXT})
_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]{2,}")


def _marked(
    definition: SurveyDef, setting: str, kinds: frozenset[QuestionKind]
) -> QuestionDef | None:
    return next(
        (q for q in definition.questions if q.kind in kinds and q.settings.get(setting) is True),
        None,
    )


def offer_question(definition: SurveyDef) -> QuestionDef | None:
    return _marked(definition, "offers", TEXT_KINDS)


def _question_of(definition: SurveyDef, kind: QuestionKind) -> QuestionDef | None:
    return next((q for q in definition.questions if q.kind == kind), None)


async def offer_surveys() -> list[tuple[str, dict[str, str]]]:
    """(slug, title) of the surveys that have an offers question, newest first."""
    return [
        (r.slug, {"fr": r.title_fr, "en": r.title_en}) for r in await surveys.with_offers_question()
    ]


@dataclass(frozen=True)
class Offer:
    """One resident's offer, as staff see it (the text masked of personal data)."""

    response_id: int
    text: str
    place: str
    hours: float | None
    consent: str
    reachable: bool
    actor_id: int | None

    @property
    def consenting(self) -> bool:
        return self.consent in CONSENTING


@dataclass(frozen=True)
class Kind:
    """A kind of help: the name the analysis gave (or staff), its offers, where, how long."""

    need_id: int | None
    label: str
    offers: list[Offer]
    places: list[tuple[str, int]]
    hours: Availability
    consenting: int = 0


@dataclass(frozen=True)
class SkillsNetwork:
    question: QuestionDef | None
    run: AnalysisRun | None
    kinds: list[Kind]
    total: int
    consenting: int


async def _offers(definition: SurveyDef, question: QuestionDef) -> list[Offer]:
    def code(q: QuestionDef | None) -> str:
        return q.code if q is not None else ""

    rows = await responses.offers(
        definition.id,
        question.code,
        code(_question_of(definition, QuestionKind.TERRITORY)),
        code(_marked(definition, "availability", _AVAILABILITY_KINDS)),
        code(_marked(definition, "offer_consent", frozenset(QuestionKind))),
        code(_question_of(definition, QuestionKind.CONTACT)),
    )
    return [
        Offer(
            response_id=r.response_id,
            text=mask_personal_data(r.text),
            place=r.place,
            hours=r.hours,
            consent=r.consent,
            reachable=r.reachable,
            actor_id=r.actor_id,
        )
        for r in rows
    ]


def _kind(need_id: int | None, label: str, offers: list[Offer]) -> Kind:
    places = Counter(o.place for o in offers if o.place)
    return Kind(
        need_id=need_id,
        label=label,
        offers=offers,
        places=sorted(places.items(), key=lambda p: (-p[1], p[0])),
        hours=availability([o.hours for o in offers]),
        consenting=sum(o.consenting for o in offers),
    )


async def skills_network(definition: SurveyDef) -> SkillsNetwork:
    """The residents' offers of a survey grouped into kinds of help (the needs of the
    newest analysis of the offers question), largest first; offers not grouped yet last."""
    question = offer_question(definition)
    if question is None:
        return SkillsNetwork(None, None, [], 0, 0)
    offers = await _offers(definition, question)
    run = await latest_run(definition.id, question.code)
    kinds: list[Kind] = []
    grouped: set[int] = set()
    if run is not None:
        by_need: dict[int, set[int]] = {}
        for row in await need_answers.members_of_run(run.id):
            by_need.setdefault(row.need_id, set()).add(row.response_id)
        for need in await needs_of_run(run):
            ids = by_need.get(need.id, set())
            if not need.is_need or not ids:
                continue
            kinds.append(_kind(need.id, need.label, [o for o in offers if o.response_id in ids]))
            grouped |= ids
    rest = [o for o in offers if o.response_id not in grouped]
    if rest:
        kinds.append(_kind(None, "", rest))
    consenting = sum(o.consenting for o in offers)
    return SkillsNetwork(question, run, kinds, len(offers), consenting)


async def actor_from_offer(definition: SurveyDef, response_id: int) -> Actor:
    """Add a consenting resident's offer to the directory (once): kind "resident", their
    neighbourhood and hours, their contact for staff only, public when they chose it."""
    question = offer_question(definition)
    if question is None:
        raise NotFound("actors.offer_not_found")
    offer = next(
        (o for o in await _offers(definition, question) if o.response_id == response_id), None
    )
    if offer is None:
        raise NotFound("actors.offer_not_found")
    if not offer.consenting:
        raise SurveyError("actors.offer_no_consent")
    existing = await Actor.get_or_none(response_id=response_id)
    if existing is not None:
        return existing
    contact = ""
    code = _question_of(definition, QuestionKind.CONTACT)
    if code is not None:
        contact = (await responses.answer_text(response_id, code.code)).strip()
    email = contact if _EMAIL.fullmatch(contact) else ""
    phone = contact if contact and not email and len(contact) <= 40 else ""
    territory = _question_of(definition, QuestionKind.TERRITORY)
    place_names = {c.code: c.text("fr") for c in territory.choices} if territory else {}
    place = place_names.get(offer.place, "")
    name_key = "actors.offer_actor_name" if place else "actors.offer_actor_name_anywhere"
    hours = ""
    if offer.hours:
        hours = translate("fr", "actors.offer_hours", n=f"{offer.hours:g}")
    return await Actor.create(
        name=translate("fr", name_key, place=place)[:200],
        kind=ActorKind.RESIDENT,
        services=[offer.text[:300]],
        neighbourhood=offer.place[:64],
        hours=hours,
        email=email[:200],
        phone=phone,
        source=translate("fr", "actors.offer_source", survey=definition.title.get("fr", ""))[:200],
        public=offer.consent == "public",
        consent=True,
        response_id=response_id,
    )


# ------------------------------------------------------- offers that may answer needs


@dataclass(frozen=True)
class KindOffer:
    """A kind of help of some survey that may answer a need, with its number of offers."""

    survey_slug: str
    label: str
    offers: int
    consenting: int
    score: float


async def _all_kinds() -> list[tuple[str, Kind]]:
    """The kinds of help of every survey whose offers were grouped."""
    slugs = await analysis_runs.slugs_with_offers_run()
    kinds: list[tuple[str, Kind]] = []
    for slug in slugs:
        network = await skills_network(await get_definition(slug))
        kinds.extend((slug, k) for k in network.kinds if k.need_id is not None)
    return kinds


async def kinds_answering(needs: list[str], top: int = 2) -> list[list[KindOffer]]:
    """For each need text, the residents' kinds of help (of every survey) that may answer it."""
    kinds = await _all_kinds()
    if not kinds or not needs:
        return [[] for _ in needs]
    texts = ["\n".join([k.label, *(o.text for o in k.offers[:20])]) for _, k in kinds]
    ranked = await asyncio.to_thread(kinds_for_needs, needs, texts, top=top)
    return [
        [
            KindOffer(
                kinds[m.kind][0],
                kinds[m.kind][1].label,
                len(kinds[m.kind][1].offers),
                kinds[m.kind][1].consenting,
                m.score,
            )
            for m in row
        ]
        for row in ranked
    ]
