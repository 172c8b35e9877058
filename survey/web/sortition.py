"""Stratified draw of a council's panel among a survey's volunteers (staff pages).

The form's fields are named here: ``min:<question>:<value>`` and ``max:<question>:<value>``
for a value's quota bounds, the others for the draw command's fields. The view reads them
into a ``DrawCommand``, and shows the domain's errors next to the field they are about, with
what was typed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from survey.domain.forms import FieldError, RawForm
from survey.domain.sortition import draw_report, draw_sortition, queued_draw
from survey.domain.sortition_form import (
    DEFAULT_PANEL,
    DrawCommand,
    DrawErrors,
    ErrorPlace,
    InvalidDraw,
    Quota,
    QuotaPlace,
)
from survey.domain.sortition_plan import plan_sortition
from survey.i18n import LANGUAGES
from survey.web.common import (
    STAFF,
    access,
    current_user,
    form_values,
    path_id,
    read_form,
    redirect,
    render,
)

# As many digits as a valid value may have, or more: a longer text is not read as a number
# (the rules then refuse it), so int() never reads an endless one.
_SIZE_DIGITS, _SEED_DIGITS, _QUOTA_DIGITS = 5, 16, 16


def _first(raw: RawForm, name: str) -> str:
    values = raw.get(name) or [""]
    return values[0].strip()


def _whole(text: str, digits: int) -> int | None:
    """A whole number typed in at most ``digits`` digits, else None."""
    return int(text) if text.isdecimal() and len(text) <= digits else None


def _quota_name(bound: str, category: str, value: str) -> str:
    return f"{bound}:{category}:{value}"


def _field_name(place: ErrorPlace) -> str:
    if not isinstance(place, QuotaPlace):
        return place.value
    if place.value is None:
        return f"quota:{place.category}"
    return _quota_name(place.bound, place.category, place.value)


def draw_command(raw: RawForm) -> DrawCommand:
    """The draw command a form (or a query string) asks for."""
    bounds: dict[tuple[str, str], dict[str, int | None]] = {}
    for name in raw:
        bound, _, place = name.partition(":")
        category, colon, value = place.partition(":")
        if bound in ("min", "max") and colon:
            bounds.setdefault((category, value), {})[bound] = _whole(
                _first(raw, name), _QUOTA_DIGITS
            )
    quotas: dict[str, dict[str, Quota]] = {}
    for (category, value), typed in bounds.items():
        quotas.setdefault(category, {})[value] = Quota(typed.get("min"), typed.get("max"))
    try:
        key: uuid.UUID | None = uuid.UUID(_first(raw, "key")[:36])
    except ValueError:
        key = None
    return DrawCommand(
        survey=_first(raw, "survey"),
        size=_whole(_first(raw, "size"), _SIZE_DIGITS),
        seed=_whole(_first(raw, "seed"), _SEED_DIGITS),
        question=_first(raw, "question"),
        strata=tuple(raw.get("strata", [])),
        algorithm=_first(raw, "algorithm"),
        quotas=quotas,
        key=key,
    )


def _form_of(command: DrawCommand) -> RawForm:
    """The form that asks for ``command`` (a queued draw's, to show it again)."""

    def text(number: int | None) -> list[str]:
        return ["" if number is None else str(number)]

    raw: RawForm = {
        "survey": [command.survey],
        "question": [command.question],
        "strata": list(command.strata),
        "size": text(command.size),
        "seed": text(command.seed),
        "algorithm": [command.algorithm],
    }
    for category, values in command.quotas.items():
        for value, quota in values.items():
            raw[_quota_name("min", category, value)] = text(quota.minimum)
            raw[_quota_name("max", category, value)] = text(quota.maximum)
    return raw


@dataclass(frozen=True)
class QuotaInput:
    """A value's row of quota fields: its pool count, the fields' names and their text."""

    category: str
    value: str
    pool: int
    min_name: str
    max_name: str
    low: str
    high: str


@dataclass(frozen=True)
class DrawForm:
    """The fields as the page shows them: what was typed (kept even when wrong), else the
    proposal; the errors by field name."""

    survey: str
    size: str
    seed: str
    quotas: list[QuotaInput]
    errors: dict[str, FieldError]


async def _page(
    request: Request,
    council_id: int,
    raw: RawForm,
    errors: DrawErrors | None,
    *,
    key: str,
    status_code: int = 200,
) -> Response:
    """The draw page for a form as typed, with ``errors`` (by default, those of its choices
    once a survey is asked for: on the first visit nothing was typed yet)."""
    raw = {"size": [str(DEFAULT_PANEL)], **raw}
    plan = await plan_sortition(council_id, draw_command(raw))
    if errors is None:
        errors = plan.errors if "survey" in raw else {}

    def typed(name: str, proposed: int) -> str:
        return _first(raw, name) if name in raw else str(proposed)

    rows = []
    for row in plan.quotas:
        low_name = _quota_name("min", row.category, row.value)
        high_name = _quota_name("max", row.category, row.value)
        rows.append(
            QuotaInput(
                row.category,
                row.value,
                row.pool,
                low_name,
                high_name,
                typed(low_name, row.low),
                typed(high_name, row.high),
            )
        )
    form = DrawForm(
        survey=_first(raw, "survey"),
        size=_first(raw, "size"),
        seed=_first(raw, "seed") or str(plan.seed),
        quotas=rows,
        errors={_field_name(place): error for place, error in errors.items()},
    )
    return render(
        request, "staff/sortition.html", status_code=status_code, plan=plan, form=form, key=key
    )


@access(STAFF)
async def sortition_page(request: Request) -> Response:
    # A new key per form shown: posting the same form twice draws once.
    raw = form_values(request.query_params)
    return await _page(request, path_id(request, "council"), raw, None, key=str(uuid.uuid4()))


@access(STAFF)
async def sortition_draw(request: Request) -> Response:
    raw = form_values(await read_form(request))
    council_id = path_id(request, "council")
    user = await current_user(request)
    try:
        draw = await draw_sortition(
            council_id, draw_command(raw), actor=user.email if user else "", queue_slow=True
        )
    except InvalidDraw as exc:
        key = _first(raw, "key") or str(uuid.uuid4())
        return await _page(request, council_id, raw, exc.errors, key=key, status_code=422)
    if isinstance(draw, uuid.UUID):  # a slow draw, left to the job queue
        lang = request.query_params.get("lang")
        query = f"?lang={lang}" if lang in LANGUAGES else ""
        return redirect(f"/staff/councils/{council_id}/sortition/queued/{draw}{query}")
    return redirect(f"/staff/councils/{council_id}/sortition/{draw.id}")


@access(STAFF)
async def sortition_queued(request: Request) -> Response:
    """A queued draw: wait (a refresh link; with JavaScript the page reloads itself), then
    the report or the form's errors."""
    council_id = path_id(request, "council")
    status = await queued_draw(council_id, str(request.path_params.get("key", ""))[:64])
    if status.draw_id is not None:
        return redirect(f"/staff/councils/{council_id}/sortition/{status.draw_id}")
    if status.errors:
        # The form again, with what was asked and a new key: sending it is a new request.
        raw = _form_of(status.command) if status.command else {}
        return await _page(
            request, council_id, raw, status.errors, key=str(uuid.uuid4()), status_code=422
        )
    return render(request, "staff/sortition_queued.html", council_id=council_id, state=status.state)


@access(STAFF)
async def sortition_result(request: Request) -> Response:
    report = await draw_report(path_id(request, "council"), path_id(request, "run"))
    return render(request, "staff/sortition_draw.html", report=report)


routes: list[BaseRoute] = [
    Route("/staff/councils/{council}/sortition", sortition_page, methods=["GET"]),
    Route("/staff/councils/{council}/sortition", sortition_draw, methods=["POST"]),
    Route("/staff/councils/{council}/sortition/{run}", sortition_result, methods=["GET"]),
    Route("/staff/councils/{council}/sortition/queued/{key}", sortition_queued, methods=["GET"]),
]
