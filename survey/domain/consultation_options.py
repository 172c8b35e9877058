"""The options of a consultation (a statement for the statements method): added by hand or
from needs, edited and removed while a draft, proposed by members and moderated by staff."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from analysis.masking import mask_personal_data
from analysis.voting import METHODS
from survey.domain.consultations import (
    ConsultationOverview,
    check_editable,
    consultation_overview,
    get_consultation,
)
from survey.domain.councils import (
    NAME_MAX,
    STATEMENT_MAX,
    TEXT_MAX,
    InvalidForm,
    checked_text,
    error,
    log_event,
)
from survey.domain.db import connection
from survey.domain.forms import FieldError
from survey.domain.queries import consultation_options as queries
from survey.domain.queries import needs as need_rows
from survey.enums import ConsultationState, OptionStatus
from survey.errors import Conflict, NotFound, SurveyError
from survey.models.councils import Consultation, ConsultationOption, Member


@dataclass(frozen=True)
class OptionDraft:
    """An option as staff type it; ``cost`` is ``None`` when none or no number was typed."""

    title: str
    description: str = ""
    cost: float | None = None


async def add_option(
    council_id: int, consultation_id: int, draft: OptionDraft, *, actor: str
) -> ConsultationOption:
    """Add an option written by hand (title, description, cost for budgets)."""
    consultation = await get_consultation(council_id, consultation_id)
    voting = METHODS[consultation.method]
    is_statement = voting.proposals
    check_editable(consultation, while_open=is_statement)
    errors: dict[str, FieldError] = {}
    limit = STATEMENT_MAX if is_statement else NAME_MAX
    title = checked_text(draft.title, "title", errors, required=True, limit=limit)
    description = checked_text(
        draft.description, "description", errors, required=False, limit=TEXT_MAX
    )
    cost = None
    if voting.costs:
        cost = draft.cost
        if cost is None:
            errors["cost"] = error("council.cost_invalid")
    if errors:
        raise InvalidForm(errors)
    created = await create_options(
        consultation, [(title, description, None)], costs=[cost], actor=actor
    )
    return created[0]


async def create_options(
    consultation: Consultation,
    items: Iterable[tuple[str, str, int | None]],
    *,
    costs: Iterable[float | None] | None = None,
    quotes: Iterable[list[str]] | None = None,
    actor: str,
) -> list[ConsultationOption]:
    """Add options from ``(label, description, need_id)`` items (needs or typed by hand)."""
    check_editable(consultation, while_open=METHODS[consultation.method].proposals)
    rows = list(items)
    cost_list = list(costs) if costs is not None else [None] * len(rows)
    quote_list = list(quotes) if quotes is not None else [[] for _ in rows]
    created: list[int] = []
    async with connection() as conn, conn.transaction():
        start = await queries.next_position(conn, consultation.id)
        for offset, ((label, description, need_id), cost, quoted) in enumerate(
            zip(rows, cost_list, quote_list, strict=True)
        ):
            created.append(
                await queries.insert(
                    conn,
                    consultation.id,
                    start + offset,
                    label[:STATEMENT_MAX],
                    description,
                    cost,
                    need_id,
                    [mask_personal_data(q) for q in quoted],
                )
            )
        await log_event(
            conn,
            consultation.council_id,
            "options_added",
            actor=actor,
            consultation_id=consultation.id,
            details={"options": [r[0] for r in rows]},
        )
    return await ConsultationOption.filter(id__in=created).order_by("position")


async def get_option(
    council_id: int, consultation_id: int, option_id: int, *, masked: bool = False
) -> ConsultationOption:
    """An approved option of a consultation of ``council_id`` (quotes as stored, or masked
    for display)."""
    consultation = await get_consultation(council_id, consultation_id)
    option = await ConsultationOption.get_or_none(
        id=option_id, consultation_id=consultation.id, status=OptionStatus.APPROVED
    )
    if option is None:
        raise NotFound("council.option_not_found")
    if masked:
        option.quotes = [mask_personal_data(str(q)) for q in option.quotes]
    return option


async def need_name(option: ConsultationOption) -> str | None:
    """The current (reviewed) name of the need an option came from, if it still exists."""
    if option.need_id is None:
        return None
    return await need_rows.current_name(option.need_id, STATEMENT_MAX)


async def update_option(
    council_id: int,
    consultation_id: int,
    option_id: int,
    draft: OptionDraft,
    keep_quotes: Iterable[int],
    *,
    actor: str,
) -> None:
    """Staff edit an option of a draft: title, description, cost, which quotes stay (by
    their position).

    An option made from a need keeps following the need's name only while its title is the
    need's current name."""
    consultation = await get_consultation(council_id, consultation_id)
    check_editable(consultation)
    option = await get_option(council_id, consultation_id, option_id)
    errors: dict[str, FieldError] = {}
    voting = METHODS[consultation.method]
    limit = STATEMENT_MAX if voting.proposals else NAME_MAX
    title = checked_text(draft.title, "title", errors, required=True, limit=limit)
    description = checked_text(
        draft.description, "description", errors, required=False, limit=TEXT_MAX
    )
    cost = option.cost
    if voting.costs:
        cost = draft.cost
        if cost is None:
            errors["cost"] = error("council.cost_invalid")
    if errors:
        raise InvalidForm(errors)
    kept = set(keep_quotes)
    quotes = [q for i, q in enumerate(option.quotes) if i in kept]
    followed = await need_name(option)
    async with connection() as conn, conn.transaction():
        await queries.update(
            conn,
            option.id,
            title,
            description,
            cost,
            quotes,
            follows_need=followed is not None and title == followed,
        )
        await log_event(
            conn,
            council_id,
            "option_edited",
            actor=actor,
            consultation_id=consultation.id,
            details={"option": option.id, "title": title},
        )


async def remove_option(
    council_id: int, consultation_id: int, option_id: int, *, actor: str
) -> None:
    """Take an option off a draft's ballot."""
    consultation = await get_consultation(council_id, consultation_id)
    check_editable(consultation)
    option = await get_option(council_id, consultation_id, option_id)
    async with connection() as conn, conn.transaction():
        await queries.delete(conn, option.id)
        await log_event(
            conn,
            council_id,
            "option_removed",
            actor=actor,
            consultation_id=consultation.id,
            details={"option": option.id, "title": option.title},
        )


async def propose_statement(member: Member, consultation_id: int, text: str) -> None:
    """A member proposes a statement; it waits for staff moderation."""
    consultation = await Consultation.get_or_none(
        id=consultation_id,
        council_id=member.council_id,
    )
    if consultation is None:
        raise NotFound("council.consultation_not_found")
    if not METHODS[consultation.method].proposals:
        raise SurveyError("vote.no_proposals")
    if consultation.state != ConsultationState.OPEN:
        raise Conflict("vote.closed")
    text = text.strip()
    if not text:
        raise InvalidForm({"statement": error("council.required")})
    if len(text) > STATEMENT_MAX:
        raise InvalidForm({"statement": error("council.too_long", max=STATEMENT_MAX)})
    async with connection() as conn, conn.transaction():
        await queries.insert_pending(conn, consultation.id, text, member.id)


async def moderate_statement(
    council_id: int, consultation_id: int, option_id: int, *, approve: bool, actor: str
) -> None:
    """Staff accept or reject a statement proposed by a member."""
    consultation = await get_consultation(council_id, consultation_id)
    check_editable(consultation, while_open=True)
    status = OptionStatus.APPROVED if approve else OptionStatus.REJECTED
    async with connection() as conn, conn.transaction():
        if not await queries.moderate(conn, option_id, consultation.id, str(status)):
            raise NotFound("council.option_not_found")
        await log_event(
            conn,
            council_id,
            "statement_" + str(status),
            actor=actor,
            consultation_id=consultation.id,
            details={"option": option_id},
        )


@dataclass(frozen=True)
class OptionOverview:
    """What the staff page of one option shows: its consultation, the option (quotes masked)
    and the current name of the need it came from."""

    consultation: ConsultationOverview
    option: ConsultationOption
    need_name: str | None


async def option_overview(council_id: int, consultation_id: int, option_id: int) -> OptionOverview:
    """An option of a consultation of ``council_id``, for its staff page."""
    overview = await consultation_overview(council_id, consultation_id)
    option = await get_option(council_id, consultation_id, option_id, masked=True)
    return OptionOverview(overview, option, await need_name(option))
