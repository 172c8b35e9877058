"""The action list and the council dashboard: staff close the loop from needs and decisions.

An action is written from a typed ``ActionDraft``; its checks return keyed errors per
attribute (``InvalidAction``) so pages show each message next to its field. Counting and
grouping are done by PostgreSQL; the winners of a closed consultation are read from its
frozen results, never recounted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from survey.domain.db import connection
from survey.domain.forms import FieldError
from survey.domain.outcomes import outcome_of
from survey.domain.queries import actions as queries
from survey.domain.queries import consultations as consultation_rows
from survey.domain.queries import needs as need_rows
from survey.domain.queries import surveys as survey_rows
from survey.domain.staff_forms import InvalidFields, Unread, field_error
from survey.enums import ActionStatus
from survey.errors import NotFound
from survey.models.actions import Action
from survey.models.councils import Council

TITLE_MAX = 200
RESPONSIBLE_MAX = 200
TEXT_MAX = 5000
STATUSES = tuple(ActionStatus)


class InvalidAction(InvalidFields):
    """Some values of an action are invalid; ``errors`` maps the ``ActionDraft`` attribute
    (``title``, ``survey_id``...) to its error."""

    summary_key = "actions.form_errors"


@dataclass(frozen=True)
class ActionDraft:
    """An action as staff describe it; texts as typed (blanks around them are dropped).

    ``status`` is None when what was chosen is not one of ``STATUSES``. ``need_id`` and
    ``consultation_id`` are the links an action carries from the need or decision it came
    from: None when there is none, and a link to a row that is gone is dropped."""

    title: str
    status: ActionStatus | None = ActionStatus.TODO
    decision: str = ""
    responsible: str = ""
    notes: str = ""
    due_date: dt.date | Unread | None = None
    survey_id: int | Unread | None = None
    need_id: int | None = None
    consultation_id: int | None = None


def _text(value: str, name: str, errors: dict[str, FieldError], *, limit: int) -> str:
    value = value.strip()
    if len(value) > limit:
        errors[name] = field_error("actions.too_long", max=limit)
    return value


async def _clean(draft: ActionDraft) -> dict[str, Any]:
    """The column values of a draft, or ``InvalidAction`` with every error at once."""
    errors: dict[str, FieldError] = {}
    values: dict[str, Any] = {
        "title": _text(draft.title, "title", errors, limit=TITLE_MAX),
        "decision": _text(draft.decision, "decision", errors, limit=TEXT_MAX),
        "responsible": _text(draft.responsible, "responsible", errors, limit=RESPONSIBLE_MAX),
        "notes": _text(draft.notes, "notes", errors, limit=TEXT_MAX),
    }
    if not values["title"] and "title" not in errors:
        errors["title"] = field_error("actions.required")
    if draft.status is None:
        errors["status"] = field_error("actions.bad_status")
    values["status"] = draft.status
    values["due_date"] = None
    if isinstance(draft.due_date, Unread):
        errors["due_date"] = field_error("actions.bad_date")
    else:
        values["due_date"] = draft.due_date
    survey_id = draft.survey_id
    values["survey_id"] = survey_id if isinstance(survey_id, int) else None
    values["need_id"] = draft.need_id
    values["consultation_id"] = draft.consultation_id
    found = await queries.links_exist(
        values["survey_id"], values["need_id"], values["consultation_id"]
    )
    if survey_id is not None and not found.survey:
        errors["survey_id"] = field_error("actions.bad_survey")
    # Links carried from where the action came: a stale or forged one is dropped, not shown
    # as an error.
    if not found.need:
        values["need_id"] = None
    if not found.consultation:
        values["consultation_id"] = None
    if errors:
        raise InvalidAction(errors)
    return values


async def create_action(draft: ActionDraft) -> Action:
    """Add an action to the list."""
    return await Action.create(**await _clean(draft))


async def get_action(action_id: int) -> Action:
    action = await Action.get_or_none(id=action_id)
    if action is None:
        raise NotFound("actions.not_found")
    return action


async def update_action(action_id: int, draft: ActionDraft) -> Action:
    """Save an existing action as edited."""
    action = await get_action(action_id)
    action.update_from_dict(await _clean(draft))
    await action.save()
    return action


def draft_of(action: Action) -> ActionDraft:
    """An action as its edit form starts from."""
    return ActionDraft(
        title=action.title,
        status=ActionStatus(action.status),
        decision=action.decision,
        responsible=action.responsible,
        notes=action.notes,
        due_date=action.due_date,
        survey_id=action.survey_id,
        need_id=action.need_id,
        consultation_id=action.consultation_id,
    )


# ------------------------------------------------------------------------- the list


@dataclass(frozen=True)
class ActionGroup:
    status: str
    count: int
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class ActionList:
    groups: list[ActionGroup]
    surveys: list[dict[str, Any]]
    survey_id: int | None
    status: str | None
    total: int


async def survey_choices() -> list[dict[str, Any]]:
    """Surveys an action may belong to (id and titles), newest first."""
    return [r._asdict() for r in await survey_rows.titles()]


async def list_actions(
    survey_id: int | None = None, status: ActionStatus | None = None
) -> ActionList:
    """Actions grouped by status, optionally of one survey and one status."""
    rows = await queries.listing(survey_id, status, STATUSES)
    groups: list[ActionGroup] = []
    for row in rows:
        if not groups or groups[-1].status != row.status:
            groups.append(ActionGroup(row.status, row.in_status, []))
        groups[-1].rows.append(row._asdict())
    return ActionList(
        groups=groups,
        surveys=await survey_choices(),
        survey_id=survey_id,
        status=status,
        total=len(rows),
    )


@dataclass(frozen=True)
class SurveyAction:
    """An action as the survey report shows it: what, where it stands, by when."""

    title: str
    status: str
    due_date: dt.date | None
    responsible: str


async def survey_actions(survey_id: int) -> list[SurveyAction]:
    """The actions of a survey for its report, dropped ones last."""
    return [SurveyAction(**r._asdict()) for r in await queries.for_survey(survey_id, STATUSES)]


# ------------------------------------------------------------- from a council decision


def winners(results: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The winning option(s) of a frozen result, as ``outcomes`` decides them: the first
    tier, or the funded projects.

    Statements have no winner here: they map opinions, they do not decide an action.
    """
    outcome = outcome_of(results)
    if results is None or outcome is None or outcome.method == "statements":
        return []
    options = results.get("options", [])
    return [options[p.option] for p in outcome.winners]


async def decision_draft(consultation_id: int | None, option_id: int | None = None) -> ActionDraft:
    """A new action prefilled from a closed consultation's winning option (blank without a
    consultation).

    ``option_id`` picks one of several winners (funded projects, ties); by default the first.
    """
    if consultation_id is None:
        return ActionDraft(title="")
    async with connection() as conn:
        row = await consultation_rows.closed(conn, consultation_id)
        if row is None:
            raise NotFound("actions.decision_not_found")
        won = winners(row.results)
        chosen = next((o for o in won if str(o["id"]) == str(option_id)), won[0] if won else None)
        if chosen is None:
            return ActionDraft(title="", decision=row.title, consultation_id=row.id)
        need_id = survey_id = None
        if chosen.get("need_id"):
            survey_id = await need_rows.survey_of(conn, chosen["need_id"])
            if survey_id is not None:
                need_id = int(chosen["need_id"])
    return ActionDraft(
        title=str(chosen["title"])[:TITLE_MAX],
        decision=str(chosen.get("description") or chosen["title"]),
        survey_id=survey_id,
        need_id=need_id,
        consultation_id=row.id,
    )


async def need_draft(need_id: int | None) -> ActionDraft:
    """A new action prefilled from a need: its reviewed name, its survey (blank without a
    need)."""
    if need_id is None:
        return ActionDraft(title="")
    row = await need_rows.sized(need_id)
    if row is None:
        raise NotFound("analysis.need_not_found")
    return ActionDraft(title=str(row.label)[:TITLE_MAX], survey_id=row.survey_id, need_id=row.id)


@dataclass(frozen=True)
class ActionPage:
    """What the action form shows besides the fields: choices and where it came from."""

    surveys: list[dict[str, Any]]
    consultation: dict[str, Any] | None
    need: dict[str, Any] | None


async def action_page(*, consultation_id: int | None, need_id: int | None) -> ActionPage:
    """Choices for the form and the decision and need it links to, if any."""
    async with connection() as conn:
        consultation = await consultation_rows.with_council(conn, consultation_id)
        need = await need_rows.named(conn, need_id)
    return ActionPage(
        surveys=await survey_choices(),
        consultation=consultation._asdict() if consultation else None,
        need=need._asdict() if need else None,
    )


# --------------------------------------------------------------- the council dashboard


@dataclass(frozen=True)
class CouncilDashboard:
    council: Council
    consultations: list[dict[str, Any]]
    totals: dict[str, Any]
    actions: list[dict[str, Any]]
    action_counts: dict[str, int] = field(default_factory=dict)


async def council_dashboard(council_id: int) -> CouncilDashboard:
    """Participation, quorum and winners of every consultation, and their actions."""
    council = await Council.get_or_none(id=council_id)
    if council is None:
        raise NotFound("council.not_found")
    async with connection() as conn:
        rows = await consultation_rows.of_council(conn, council.id)
        totals = await consultation_rows.council_totals(conn, council.id)
        actions = await queries.for_council(conn, council.id, STATUSES)
        counts = await queries.counts_for_council(conn, council.id)
    consultations = []
    for row in rows:
        item = row._asdict()
        item["winners"] = winners(row.results) if row.state == "closed" else []
        del item["results"]
        consultations.append(item)
    return CouncilDashboard(
        council=council,
        consultations=consultations,
        totals=totals._asdict(),
        actions=[a._asdict() for a in actions],
        action_counts=counts,
    )
