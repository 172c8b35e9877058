"""Citizen councils: staff pages (councils, members, consultations, results) and members'
pages (login by link or printed code, ballots, receipts), all working without JavaScript."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import segno
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from analysis.charts import council as council_charts
from survey.domain import accounts, council_polis
from survey.domain import council_results as results_domain
from survey.domain.council_ballots import cast_ballot as cast_member_ballot
from survey.domain.council_ballots import (
    display_change_code,
    format_amount,
    named_ballot_marks,
    parse_ballot,
    record_paper_ballot,
)
from survey.domain.councils import (
    InvalidForm,
    add_member,
    add_option,
    ballot_context,
    consultation_overview,
    council_overview,
    create_consultation,
    create_council,
    get_consultation,
    get_member,
    get_option,
    list_councils,
    member_by_code,
    member_by_token,
    member_consultations,
    member_rows,
    moderate_statement,
    need_name,
    open_consultation,
    propose_statement,
    publish_results,
    remove_member,
    remove_option,
    update_option,
)
from survey.domain.forms import FieldError, RawForm
from survey.domain.outcomes import outcome_text
from survey.errors import Conflict, Forbidden, NotFound, SurveyError
from survey.i18n import translate
from survey.models.councils import Consultation, VotingMethod
from survey.web.charts import Chart
from survey.web.common import (
    MAX_FORM_BYTES,
    MEMBER,
    MEMBER_LOGIN,
    PUBLIC,
    STAFF,
    access,
    check_csrf,
    current_user,
    form_values,
    language,
    path_id,
    read_form,
    redirect,
    render,
)
from survey.web.limits import BodyTooLarge, takes_files

# Grade index 6 is "Excellent": shown best first on the ballot.
GRADES_BEST_FIRST = tuple(range(6, -1, -1))
METHODS = tuple(VotingMethod)
_DEFAULT_UPLOAD_BYTES = 5 * 1024 * 1024


def _fields(form: Any) -> dict[str, str]:
    return {k: str(v) for k, v in form.items() if k != "csrf"}


async def _actor(request: Request) -> str:
    user = await current_user(request)
    return user.email if user else ""


def _staff_base(council_id: int) -> str:
    return f"/staff/councils/{council_id}"


# -------------------------------------------------------------------------- staff pages


@access(STAFF)
async def councils_page(request: Request) -> Response:
    return render(request, "staff/councils.html", rows=await list_councils(), form={}, errors={})


@access(STAFF)
async def council_create(request: Request) -> Response:
    form = _fields(await read_form(request))
    try:
        council = await create_council(form, actor=await _actor(request))
    except InvalidForm as exc:
        return render(
            request,
            "staff/councils.html",
            status_code=422,
            rows=await list_councils(),
            form=form,
            errors=exc.errors,
        )
    return redirect(_staff_base(council.id))


async def _council_page(
    request: Request,
    council_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
    status: int = 200,
) -> Response:
    overview = await council_overview(council_id)
    return render(
        request,
        "staff/council.html",
        status_code=status,
        overview=overview,
        member_rows=await member_rows(council_id, overview.members, language(request)),
        form=form or {},
        errors=errors or {},
        link_base=str(request.base_url).rstrip("/"),
    )


@access(STAFF)
async def council_page(request: Request) -> Response:
    return await _council_page(request, path_id(request, "council"))


@access(STAFF)
async def member_add(request: Request) -> Response:
    form = _fields(await read_form(request))
    council_id = path_id(request, "council")
    try:
        await add_member(council_id, form, actor=await _actor(request))
    except InvalidForm as exc:
        return await _council_page(request, council_id, form=form, errors=exc.errors, status=422)
    return redirect(_staff_base(council_id) + "#members")


@access(STAFF)
async def member_remove(request: Request) -> Response:
    await read_form(request)
    council_id = path_id(request, "council")
    await remove_member(council_id, path_id(request, "member"), actor=await _actor(request))
    return redirect(_staff_base(council_id) + "#members")


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=3, border=2)


@access(STAFF)
async def codes_sheet(request: Request) -> Response:
    overview = await council_overview(path_id(request, "council"))
    base = str(request.base_url).rstrip("/")
    sheets = [
        {
            "member": m,
            "link": f"{base}/c/k/{m.token}",
            "qr": _qr_svg(f"{base}/c/k/{m.token}"),
        }
        for m in overview.members
    ]
    return render(
        request,
        "staff/council_codes.html",
        council=overview.council,
        sheets=sheets,
        login_url=f"{base}{MEMBER_LOGIN}",
    )


@access(STAFF)
async def consultation_new(request: Request) -> Response:
    overview = await council_overview(path_id(request, "council"))
    return render(
        request,
        "staff/council_consultation_new.html",
        council=overview.council,
        # Members may change their vote until closing unless staff untick it.
        form={"secret": "1", "allow_change": "1"},
        errors={},
        methods=METHODS,
    )


@access(STAFF)
async def consultation_create(request: Request) -> Response:
    form = _fields(await read_form(request))
    council_id = path_id(request, "council")
    try:
        consultation = await create_consultation(council_id, form, actor=await _actor(request))
    except InvalidForm as exc:
        overview = await council_overview(council_id)
        return render(
            request,
            "staff/council_consultation_new.html",
            status_code=422,
            council=overview.council,
            form=form,
            errors=exc.errors,
            methods=METHODS,
        )
    return redirect(f"{_staff_base(council_id)}/consultations/{consultation.id}")


async def _consultation_page(
    request: Request,
    council_id: int,
    consultation_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    overview = await consultation_overview(council_id, consultation_id)
    return render(
        request,
        "staff/council_consultation.html",
        status_code=status,
        o=overview,
        c=overview.consultation,
        form=form or {},
        errors=errors or {},
        notice=notice,
        format_amount=format_amount,
        polis=await council_polis.imported_counts(consultation_id),
    )


@access(STAFF)
async def consultation_page(request: Request) -> Response:
    return await _consultation_page(
        request, path_id(request, "council"), path_id(request, "consultation")
    )


@access(STAFF)
async def option_add(request: Request) -> Response:
    form = _fields(await read_form(request))
    council_id, consultation_id = path_id(request, "council"), path_id(request, "consultation")
    try:
        await add_option(council_id, consultation_id, form, actor=await _actor(request))
    except InvalidForm as exc:
        return await _consultation_page(
            request, council_id, consultation_id, form=form, errors=exc.errors, status=422
        )
    except Conflict as exc:
        return await _consultation_page(
            request, council_id, consultation_id, form=form, notice=exc.key, status=409
        )
    return redirect(f"{_staff_base(council_id)}/consultations/{consultation_id}#options")


def _option_base(council_id: int, consultation_id: int) -> str:
    return f"{_staff_base(council_id)}/consultations/{consultation_id}"


async def _option_page(
    request: Request,
    *,
    form: dict[str, str] | None = None,
    kept: list[str] | None = None,
    errors: dict[str, FieldError] | None = None,
    status: int = 200,
) -> Response:
    council_id, consultation_id = path_id(request, "council"), path_id(request, "consultation")
    overview = await consultation_overview(council_id, consultation_id)
    option = await get_option(council_id, consultation_id, path_id(request, "id"), masked=True)
    if form is None:
        form = {"title": option.title, "description": option.description}
        if option.cost is not None:
            form["cost"] = format_amount(option.cost)
    return render(
        request,
        "staff/council_option.html",
        status_code=status,
        o=overview,
        c=overview.consultation,
        option=option,
        need_name=await need_name(option),
        form=form,
        kept=kept if kept is not None else [str(i) for i in range(len(option.quotes))],
        errors=errors or {},
    )


@access(STAFF)
async def option_edit_page(request: Request) -> Response:
    return await _option_page(request)


@access(STAFF)
async def option_update(request: Request) -> Response:
    raw = form_values(await read_form(request))
    council_id, consultation_id = path_id(request, "council"), path_id(request, "consultation")
    form = {k: v[0] for k, v in raw.items() if k in ("title", "description", "cost") and v}
    kept = raw.get("quote", [])
    try:
        await update_option(
            council_id,
            consultation_id,
            path_id(request, "id"),
            form,
            kept,
            actor=await _actor(request),
        )
    except InvalidForm as exc:
        return await _option_page(request, form=form, kept=kept, errors=exc.errors, status=422)
    except Conflict as exc:
        return await _consultation_page(
            request, council_id, consultation_id, notice=exc.key, status=409
        )
    return redirect(f"{_option_base(council_id, consultation_id)}#options")


@access(STAFF)
async def option_remove(request: Request) -> Response:
    await read_form(request)
    council_id, consultation_id = path_id(request, "council"), path_id(request, "consultation")
    try:
        await remove_option(
            council_id, consultation_id, path_id(request, "id"), actor=await _actor(request)
        )
    except Conflict as exc:
        return await _consultation_page(
            request, council_id, consultation_id, notice=exc.key, status=409
        )
    return redirect(f"{_option_base(council_id, consultation_id)}#options")


_STATE_ACTIONS = {
    "open": open_consultation,
    "close": results_domain.close_consultation,
    "publish": publish_results,
}


async def _close_page(
    request: Request,
    council_id: int,
    consultation_id: int,
    *,
    errors: dict[str, FieldError] | None = None,
    status: int = 200,
) -> Response:
    overview = await consultation_overview(council_id, consultation_id)
    return render(
        request,
        "staff/council_close.html",
        status_code=status,
        o=overview,
        c=overview.consultation,
        errors=errors or {},
    )


@access(STAFF)
async def close_page(request: Request) -> Response:
    """What closing does, and the box to tick before closing for good."""
    return await _close_page(request, path_id(request, "council"), path_id(request, "consultation"))


@access(STAFF)
async def consultation_state(request: Request) -> Response:
    form = await read_form(request)
    council_id, consultation_id = path_id(request, "council"), path_id(request, "consultation")
    name = str(form.get("action", ""))
    action = _STATE_ACTIONS.get(name)
    if action is None:
        raise SurveyError("error.bad_form")
    if name == "close" and form.get("confirm") != "1":
        # Closing cannot be undone: it needs the box of the confirmation page ticked.
        return await _close_page(
            request,
            council_id,
            consultation_id,
            errors={"confirm": FieldError("decide.close_confirm_required", {})},
            status=422,
        )
    try:
        await action(council_id, consultation_id, actor=await _actor(request))
    except Conflict as exc:
        return await _consultation_page(
            request, council_id, consultation_id, notice=exc.key, status=409
        )
    return redirect(f"{_staff_base(council_id)}/consultations/{consultation_id}")


@access(STAFF)
async def statement_moderate(request: Request) -> Response:
    form = await read_form(request)
    council_id, consultation_id = path_id(request, "council"), path_id(request, "consultation")
    decision = str(form.get("decision", ""))
    if decision not in ("approve", "reject"):
        raise SurveyError("error.bad_form")
    await moderate_statement(
        council_id,
        consultation_id,
        path_id(request, "id"),
        approve=decision == "approve",
        actor=await _actor(request),
    )
    return redirect(f"{_staff_base(council_id)}/consultations/{consultation_id}#statements")


async def _paper_page(
    request: Request,
    council_id: int,
    consultation_id: int,
    *,
    raw: RawForm | None = None,
    errors: dict[str, FieldError] | None = None,
    notice: str | None = None,
    receipt: str | None = None,
    status: int = 200,
) -> Response:
    overview = await consultation_overview(council_id, consultation_id)
    return render(
        request,
        "staff/council_paper.html",
        status_code=status,
        o=overview,
        c=overview.consultation,
        options=overview.options,
        raw=raw or {},
        errors=errors or {},
        notice=notice,
        receipt=receipt,
        grades=GRADES_BEST_FIRST,
        format_amount=format_amount,
        action=f"{_staff_base(council_id)}/consultations/{consultation_id}/paper",
    )


@access(STAFF)
async def paper_page(request: Request) -> Response:
    return await _paper_page(request, path_id(request, "council"), path_id(request, "consultation"))


@access(STAFF)
async def paper_post(request: Request) -> Response:
    raw = form_values(await read_form(request))
    council_id, consultation_id = path_id(request, "council"), path_id(request, "consultation")
    consultation = await get_consultation(council_id, consultation_id)
    overview = await consultation_overview(council_id, consultation_id)
    marks, errors = parse_ballot(
        consultation.method, overview.options, raw, budget=consultation.budget
    )
    member_text = (raw.get("member") or [""])[0]
    member_id = int(member_text) if member_text.isdigit() and len(member_text) < 10 else None
    if errors:
        return await _paper_page(
            request, council_id, consultation_id, raw=raw, errors=errors, status=422
        )
    try:
        receipt = await record_paper_ballot(
            council_id, consultation_id, member_id, marks, actor=await _actor(request)
        )
    except InvalidForm as exc:
        return await _paper_page(
            request, council_id, consultation_id, raw=raw, errors=exc.errors, status=422
        )
    except Conflict as exc:
        return await _paper_page(
            request, council_id, consultation_id, raw=raw, notice=exc.key, status=409
        )
    return await _paper_page(request, council_id, consultation_id, receipt=receipt)


@access(STAFF)
async def staff_results(request: Request) -> Response:
    council_id = path_id(request, "council")
    consultation = await get_consultation(council_id, path_id(request, "consultation"))
    if consultation.results is None:
        raise Conflict("council.not_closed")
    lang = language(request)
    return render(
        request,
        "staff/council_results.html",
        c=consultation,
        council_id=council_id,
        r=consultation.results,
        sections=results_sections(consultation.results, lang),
        outcome=outcome_text(consultation.results, lang),
    )


def _max_upload(request: Request) -> int:
    settings = getattr(request.app.state, "settings", None)
    return int(getattr(settings, "max_upload_bytes", _DEFAULT_UPLOAD_BYTES))


class _UploadRefused(Exception):
    """The request body could not be read as the import form (a message key)."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


async def _read_polis_files(request: Request, limit: int) -> dict[str, bytes]:
    """The two files of the Pol.is form (empty when not chosen), after the CSRF check.

    Each file is read up to one byte past ``limit`` so that the domain can refuse it by name.
    """
    try:
        form = await request.form(max_files=2, max_fields=10, max_part_size=MAX_FORM_BYTES)
    except BodyTooLarge as exc:  # counted while it streamed in: the view takes two files
        raise _UploadRefused("council.polis_upload_too_large", mb=limit // 2**20) from exc
    except HTTPException as exc:
        raise _UploadRefused("council.polis_upload_unreadable") from exc
    try:
        check_csrf(request, form)
        files = {}
        for name in (council_polis.COMMENTS_FIELD, council_polis.VOTES_FIELD):
            upload = form.get(name)
            files[name] = await upload.read(limit + 1) if isinstance(upload, UploadFile) else b""
        return files
    finally:
        await form.close()


async def _polis_page(
    request: Request,
    council_id: int,
    consultation_id: int,
    *,
    errors: dict[str, FieldError] | None = None,
    notice: tuple[str, dict[str, Any]] | None = None,
    report: council_polis.PolisImportReport | None = None,
    status: int = 200,
) -> Response:
    target = await council_polis.import_target(council_id, consultation_id)
    if notice is None and report is None and target.blocker is not None:
        notice = (target.blocker, {})
    limit = _max_upload(request)
    return render(
        request,
        "staff/council_polis_import.html",
        status_code=status,
        council=target.council,
        c=target.consultation,
        blocked=target.blocker is not None,
        errors=errors or {},
        notice=notice,
        report=report,
        max_mb=limit // 2**20,
    )


@access(STAFF)
async def polis_page(request: Request) -> Response:
    return await _polis_page(request, path_id(request, "council"), path_id(request, "consultation"))


@access(STAFF)
@takes_files(2)
async def polis_import(request: Request) -> Response:
    """Import a Pol.is export (comments.csv and votes.csv) into a statements consultation."""
    council_id, consultation_id = path_id(request, "council"), path_id(request, "consultation")
    limit = _max_upload(request)
    try:
        files = await _read_polis_files(request, limit)
    except _UploadRefused as exc:
        return await _polis_page(
            request, council_id, consultation_id, notice=(exc.key, exc.params), status=413
        )
    try:
        report = await council_polis.import_polis_export(
            council_id,
            consultation_id,
            comments=files[council_polis.COMMENTS_FIELD],
            votes=files[council_polis.VOTES_FIELD],
            max_bytes=limit,
            actor=await _actor(request),
        )
    except InvalidForm as exc:
        return await _polis_page(
            request, council_id, consultation_id, errors=exc.errors, status=422
        )
    except Conflict as exc:
        return await _polis_page(
            request, council_id, consultation_id, notice=(exc.key, exc.params), status=409
        )
    return await _polis_page(request, council_id, consultation_id, report=report)


# ------------------------------------------------------------------------ results pages


def _pct(value: float) -> str:
    return f"{value * 100:.0f} %"


def _labels(results: dict[str, Any]) -> list[str]:
    return [o["title"] for o in results["options"]]


def _rank_rows(ranking: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
    """(rank, option index) in ranking order, tied options sharing a rank."""
    rows: list[tuple[int, int]] = []
    place = 1
    for tier in ranking:
        rows.extend((place, option) for option in tier)
        place += len(tier)
    return rows


def _bar(label: str, text: str, parts: Sequence[tuple[str, float]]) -> dict[str, Any]:
    """One row of server-drawn bars: ``parts`` are (CSS class, share 0-1) laid end to end."""
    segments = []
    start = 0.0
    for css, share in parts:
        width = max(0.0, min(100.0 - start, share * 100))
        if width > 0:
            segments.append({"css": css, "x": f"{start:.1f}", "width": f"{width:.1f}"})
        start += width
    return {"label": label, "text": text, "segments": segments}


# A statement is a consensus when at least this share of its ballots take one side (8/0/0:
# every voter agrees), and divides when each side holds at least this share of the sides.
CONSENSUS_SHARE = 0.8
DIVISION_SHARE = 1 / 3


def _statement_reading(agree: int, disagree: int, passed: int) -> str | None:
    """``consensus_agree``, ``consensus_disagree``, ``division`` or nothing to point out."""
    total, sides = agree + disagree + passed, agree + disagree
    if total < 2:
        return None
    if agree >= CONSENSUS_SHARE * total:
        return "consensus_agree"
    if disagree >= CONSENSUS_SHARE * total:
        return "consensus_disagree"
    if sides >= 2 and min(agree, disagree) >= DIVISION_SHARE * sides:
        return "division"
    return None


def _no_groups(results: dict[str, Any], _: Any) -> str:
    """Why no opinion groups are shown: too few ballots or statements, or no distinct groups."""
    ballots = int(results["ballots"])
    statements = len(results["options"])
    if ballots < results_domain.MIN_OPINION_PARTICIPANTS:
        return _(
            "decide.groups_need_ballots", need=results_domain.MIN_OPINION_PARTICIPANTS, n=ballots
        )
    if statements < results_domain.MIN_OPINION_STATEMENTS:
        return _(
            "decide.groups_need_statements",
            need=results_domain.MIN_OPINION_STATEMENTS,
            n=statements,
        )
    return _("decide.groups_none_found", n=ballots)


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def results_sections(
    results: dict[str, Any], lang: str, *, charts: bool = True
) -> list[dict[str, Any]]:
    """Per method: a heading, how it was counted, a table, and either plotly charts with
    their data (staff pages, ``charts=True``) or bars drawn by the server in SVG (``bars``,
    with their ``legend``): the public page needs no JavaScript and no chart library.
    Without plotly charts, a section shows its bars."""
    sections = _results_sections(results, lang)
    if not charts:
        for section in sections:
            section["charts"] = []
    return sections


def _results_sections(results: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    def _(key: str, **params: Any) -> str:
        return translate(lang, key, **params)

    labels = _labels(results)
    n = int(results["ballots"])
    sections: list[dict[str, Any]] = []
    if not labels:
        return sections
    method = results["method"]
    if method == VotingMethod.MAJORITY_JUDGMENT:
        data = results["majority_judgment"]
        mj = results_domain.majority_judgment_result(data)
        grade_names = [_(f"vote.grade_{g}") for g in range(7)]
        rows = [
            [
                rank,
                labels[i],
                grade_names[g] if (g := data["majority_grades"][i]) is not None else "–",
                _pct(data["proponents"][i]),
                _pct(data["opponents"][i]),
            ]
            for rank, i in _rank_rows(data["ranking"])
        ]
        header = [
            _("council.rank"),
            _("council.option"),
            _("council.majority_grade"),
            _("council.proponents"),
            _("council.opponents"),
        ]
        figure = council_charts.merit_profiles_chart(
            mj, labels, grade_names, _("council.chart_merit"), median_label=_("council.median")
        )
        profile_rows = [
            [labels[i], *(int(v) for v in mj.profiles[i][::-1])]
            for _r, i in _rank_rows(data["ranking"])
        ]
        best_first = list(range(len(grade_names)))[::-1]
        sections.append(
            {
                "title": _("council.method_majority_judgment"),
                "explain": _("council.explain_majority_judgment"),
                "header": header,
                "rows": rows,
                "bars": [
                    _bar(
                        labels[i],
                        row[2],
                        [
                            (f"seg-g{g}", _share(mj.profiles[i][g], mj.profiles[i].sum()))
                            for g in best_first
                        ],
                    )
                    for row, (_r, i) in zip(rows, _rank_rows(data["ranking"]), strict=True)
                ],
                "legend": [(f"seg-g{g}", grade_names[g]) for g in best_first],
                "charts": [
                    Chart(
                        figure,
                        _("council.chart_merit"),
                        [_("council.option"), *grade_names[::-1]],
                        profile_rows,
                        lang=lang,
                    ).html()
                ],
            }
        )
    elif method == VotingMethod.APPROVAL:
        data = results["approval"]
        result = results_domain.approval_result(data, n)
        rows = [
            [rank, labels[i], data["totals"][i], _pct(data["shares"][i])]
            for rank, i in _rank_rows(data["ranking"])
        ]
        header = [
            _("council.rank"),
            _("council.option"),
            _("council.approvals"),
            _("council.share"),
        ]
        figure = council_charts.approval_chart(
            result, labels, _("council.chart_approval"), axis_label=_("council.share")
        )
        sections.append(
            {
                "title": _("council.method_approval"),
                "explain": _("council.explain_approval"),
                "header": header,
                "rows": rows,
                "bars": [
                    _bar(labels[i], _pct(data["shares"][i]), [("seg-main", data["shares"][i])])
                    for _r, i in _rank_rows(data["ranking"])
                ],
                "charts": [
                    Chart(figure, _("council.chart_approval"), header, rows, lang=lang).html()
                ],
            }
        )
    elif method == VotingMethod.RANKED:
        data = results["ranked"]
        schulze = results_domain.schulze_result(data["schulze"], n)
        scores = data["borda"]["scores"]
        rows = [
            [rank, labels[i], f"{scores[i]:g}"]
            for rank, i in _rank_rows(data["schulze"]["ranking"])
        ]
        header = [_("council.rank"), _("council.option"), _("council.borda_score")]
        figure = council_charts.pairwise_heatmap(
            schulze,
            labels,
            _("council.chart_pairwise"),
            row_label=_("council.preferred"),
            column_label=_("council.over"),
        )
        pair_rows = [[labels[i], *data["schulze"]["pairwise"][i]] for i in range(len(labels))]
        sections.append(
            {
                "title": _("council.method_ranked"),
                "explain": _("council.explain_ranked"),
                "header": header,
                "rows": rows,
                "bars": [
                    _bar(
                        labels[i],
                        f"{scores[i]:g}",
                        [("seg-main", _share(scores[i], max(scores, default=0)))],
                    )
                    for _r, i in _rank_rows(data["schulze"]["ranking"])
                ],
                "charts": [
                    Chart(
                        figure, _("council.chart_pairwise"), ["", *labels], pair_rows, lang=lang
                    ).html()
                ],
            }
        )
    elif method == VotingMethod.BUDGET:
        data = results["budget"]
        costs = [float(o["cost"] or 0) or 1.0 for o in results["options"]]
        for which in ("equal_shares", "greedy"):
            part = data[which]
            result = results_domain.budget_result(data, which)
            rows = [
                [labels[i], format_amount(costs[i]), data["approvals"][i]] for i in part["funded"]
            ]
            header = [_("council.option"), _("council.cost"), _("council.approvals")]
            title = _(f"council.method_budget_{which}")
            figure = council_charts.budget_chart(
                result,
                labels,
                costs,
                title,
                funded_label=_("council.funded"),
                unfunded_label=_("council.unfunded"),
                cost_label=_("council.cost"),
            )
            sections.append(
                {
                    "title": title,
                    "explain": _(
                        f"council.explain_budget_{which}",
                        budget=format_amount(data["budget"]),
                        spent=format_amount(part["total_cost"]),
                    ),
                    "header": header,
                    "rows": rows,
                    "bars": [
                        _bar(
                            labels[i],
                            format_amount(costs[i]),
                            [("seg-main", _share(costs[i], float(data["budget"] or 0)))],
                        )
                        for i in part["funded"]
                    ],
                    "charts": [Chart(figure, title, header, rows, lang=lang).html()],
                }
            )
    elif method == VotingMethod.STATEMENTS:
        data = results["statements"]
        readings = [
            _statement_reading(data["agree"][i], data["disagree"][i], data["pass"][i])
            for i in range(len(labels))
        ]
        rows = [
            [
                labels[i],
                data["agree"][i],
                data["disagree"][i],
                data["pass"][i],
                _(f"decide.reading_{readings[i]}") if readings[i] else "",
            ]
            for i in range(len(labels))
        ]
        header = [
            _("council.statement"),
            _("vote.agree"),
            _("vote.disagree"),
            _("vote.pass"),
            _("decide.reading"),
        ]
        highlights = [
            {
                "kind": kind,
                "text": labels[i],
                "counts": _(
                    "decide.reading_counts",
                    agree=data["agree"][i],
                    disagree=data["disagree"][i],
                    n=data["agree"][i] + data["disagree"][i] + data["pass"][i],
                    passed=data["pass"][i],
                ),
            }
            for i, kind in enumerate(readings)
            if kind
        ]
        charts = []
        groups: list[dict[str, Any]] = []
        opinion = data.get("opinion")
        undecided = opinion.get("undecided_group") if opinion else None
        if opinion and len(opinion["group_sizes"]) - (undecided is not None) < 2:
            opinion = None  # Frozen before this rule: one opinion group is no grouping.
        if opinion:
            group_names = [
                _("council.group_undecided") if g == undecided else _("council.group", n=g + 1)
                for g in range(len(opinion["group_sizes"]))
            ]
            figure = council_charts.opinion_map(
                opinion["coords"],
                opinion["labels"],
                group_names,
                _("council.chart_opinion"),
                unclustered_label=_("council.unclustered"),
            )
            size_rows = [[g, s] for g, s in zip(group_names, opinion["group_sizes"], strict=True)]
            charts.append(
                Chart(
                    figure,
                    _("council.chart_opinion"),
                    [_("council.group_name"), _("council.group_size")],
                    size_rows,
                    lang=lang,
                ).html()
            )
            for g, name in enumerate(group_names):
                groups.append(
                    {
                        "name": name,
                        "undecided": g == undecided,
                        "size": opinion["group_sizes"][g],
                        "statements": [
                            {
                                "text": labels[s["statement"]],
                                "direction": _(f"vote.{s['direction']}"),
                                "share": _pct(s["probability"]),
                            }
                            for s in opinion["representative"].get(str(g), [])
                        ],
                    }
                )
        consensus: list[dict[str, str]] | None = None
        divisive: list[dict[str, str]] | None = None
        entries = (opinion or {}).get("consensus", []) + (opinion or {}).get("divisive", [])
        # Results frozen before the groups' agreement was kept cannot say either: nothing shown.
        if opinion and entries and all("groups_agree" in e for e in entries):

            def across(entry: dict[str, Any]) -> dict[str, str]:
                shares = entry.get("groups_agree") or []
                return {
                    "text": labels[entry["statement"]],
                    "shares": ", ".join(
                        _("council.group_agrees", group=group_names[g], share=_pct(s))
                        for g, s in enumerate(shares)
                        if s is not None
                    ),
                }

            def shares(entry: dict[str, Any]) -> list[float]:
                return [s for s in entry["groups_agree"] if s is not None]

            # Consensus: every opinion group mostly agrees. Divisive: some group mostly
            # agrees and another does not.
            consensus = [
                across(c)
                for c in opinion.get("consensus", [])
                if shares(c) and len(shares(c)) == len(c["groups_agree"]) and min(shares(c)) > 0.5
            ]
            divisive = [
                across(d)
                for d in opinion.get("divisive", [])
                if shares(d) and max(shares(d)) > 0.5 > min(shares(d))
            ]
        sections.append(
            {
                "title": _("council.method_statements"),
                "bars": [
                    _bar(
                        labels[i],
                        _pct(_share(agree, agree + disagree + passed)),
                        [
                            ("seg-agree", _share(agree, agree + disagree + passed)),
                            ("seg-disagree", _share(disagree, agree + disagree + passed)),
                            ("seg-pass", _share(passed, agree + disagree + passed)),
                        ],
                    )
                    for i, (agree, disagree, passed) in enumerate(
                        zip(data["agree"], data["disagree"], data["pass"], strict=True)
                    )
                ],
                "legend": [
                    ("seg-agree", _("vote.agree")),
                    ("seg-disagree", _("vote.disagree")),
                    ("seg-pass", _("vote.pass")),
                ],
                "consensus": consensus,
                "divisive": divisive,
                "highlights": highlights,
                "explain": _("council.explain_statements")
                + " "
                + (_("council.explain_groups") if opinion else _no_groups(results, _)),
                "header": header,
                "rows": rows,
                "charts": charts,
                "groups": groups,
            }
        )
    return sections


@access(PUBLIC)
async def public_results(request: Request) -> Response:
    consultation = await results_domain.published_results(path_id(request, "consultation"))
    if consultation is None or consultation.results is None:
        raise NotFound("council.results_not_published")
    lang = language(request)
    return render(
        request,
        "council/results.html",
        c=consultation,
        r=consultation.results,
        sections=results_sections(consultation.results, lang, charts=False),
        outcome=outcome_text(consultation.results, lang),
        mine=request.session.get("receipts", {}).get(str(consultation.id)),
    )


# ------------------------------------------------------------------------ members' pages


@access(PUBLIC)
async def member_login_page(request: Request) -> Response:
    return render(request, "council/login.html", code="", error=None)


@access(PUBLIC)
async def member_login_post(request: Request) -> Response:
    # Wrong codes are counted per address in the database (``accounts``), not in the
    # cookie, so that replaying an older cookie or dropping it resets nothing.
    form = await read_form(request, rate_limited=False)
    code = str(form.get("code", ""))[:40]
    try:
        attempt = await accounts.reserve_code_attempt(request.client.host if request.client else "")
    except Forbidden:
        return render(
            request, "council/login.html", status_code=429, code=code, error="member.login_locked"
        )
    member = await member_by_code(code)
    await accounts.settle_code_attempt(attempt, succeeded=member is not None)
    if member is None:
        return render(
            request, "council/login.html", status_code=401, code=code, error="member.login_failed"
        )
    _start_member_session(request, member.id)
    return redirect("/c")


def _start_member_session(request: Request, member_id: int) -> None:
    # A fresh session at login (no fixation); the language choice is kept.
    lang = request.session.get("lang")
    request.session.clear()
    request.session["member_id"] = member_id
    if lang:
        request.session["lang"] = lang


@access(PUBLIC)
async def member_link(request: Request) -> Response:
    member = await member_by_token(str(request.path_params.get("token", "")))
    if member is None:
        return render(
            request, "council/login.html", status_code=404, code="", error="member.link_invalid"
        )
    _start_member_session(request, member.id)
    return redirect("/c")


@access(MEMBER)
async def member_logout(request: Request) -> Response:
    await read_form(request)
    request.session.clear()
    return redirect(MEMBER_LOGIN)


async def _member(request: Request) -> Any:
    member = await get_member(request.session.get("member_id"))
    if member is None:
        request.session.pop("member_id", None)
    return member


@access(MEMBER)
async def member_home(request: Request) -> Response:
    member = await _member(request)
    if member is None:
        return redirect(MEMBER_LOGIN)
    return render(
        request, "council/home.html", member=member, rows=await member_consultations(member)
    )


async def _ballot_context(member: Any, consultation_id: int) -> Any:
    """The consultation a member opens; another council's is answered exactly as an unknown
    one, so that numbering reveals nothing of other councils."""
    try:
        return await ballot_context(member, consultation_id)
    except Forbidden as exc:
        raise NotFound("council.consultation_not_found") from exc


def _held_receipt(request: Request, consultation_id: int) -> str | None:
    receipts = request.session.get("receipts", {})
    return receipts.get(str(consultation_id)) if isinstance(receipts, dict) else None


def _held_change_code(request: Request, consultation_id: int) -> str | None:
    codes = request.session.get("change_codes", {})
    return codes.get(str(consultation_id)) if isinstance(codes, dict) else None


def _keep_in_session(request: Request, name: str, consultation_id: int, value: str | None) -> None:
    held = request.session.get(name, {})
    held = dict(held) if isinstance(held, dict) else {}
    if value is None:
        held.pop(str(consultation_id), None)
    else:
        held[str(consultation_id)] = value
    request.session[name] = held


def _marks_as_raw(consultation: Consultation, marks: dict[int, int]) -> RawForm:
    """A stored named ballot back as form values, to prefill a change of vote."""
    method = consultation.method
    if method == VotingMethod.MAJORITY_JUDGMENT:
        return {f"g_{k}": [str(v)] for k, v in marks.items()}
    if method in (VotingMethod.APPROVAL, VotingMethod.BUDGET):
        return {"a": [str(k) for k in marks]}
    if method == VotingMethod.RANKED:
        return {f"r_{k}": [str(v)] for k, v in marks.items()}
    names = {1: "agree", -1: "disagree", 0: "pass"}
    return {f"s_{k}": [names[v]] for k, v in marks.items()}


async def _ballot_page(
    request: Request,
    member: Any,
    consultation_id: int,
    *,
    raw: RawForm | None = None,
    errors: dict[str, FieldError] | None = None,
    notice: str | None = None,
    proposal: str = "",
    proposal_error: FieldError | None = None,
    status: int = 200,
) -> Response:
    context = await _ballot_context(member, consultation_id)
    c = context.consultation
    if raw is None:
        raw = {}
        if context.voted and not c.secret and c.allow_change:
            raw = _marks_as_raw(c, await named_ballot_marks(member.id, c.id))
    held = _held_receipt(request, c.id) and _held_change_code(request, c.id)
    return render(
        request,
        "council/ballot.html",
        status_code=status,
        c=c,
        member=member,
        options=context.options,
        voting=context.voting,
        voted=context.voted,
        raw=raw,
        errors=errors or {},
        notice=notice,
        grades=GRADES_BEST_FIRST,
        need_receipt=context.voted and c.secret and c.allow_change and not held,
        format_amount=format_amount,
        proposal=proposal,
        proposal_error=proposal_error,
        proposed=request.query_params.get("proposed") == "1",
    )


@access(MEMBER)
async def ballot_page(request: Request) -> Response:
    member = await _member(request)
    if member is None:
        return redirect(MEMBER_LOGIN)
    return await _ballot_page(request, member, path_id(request, "consultation"))


@access(MEMBER)
async def ballot_post(request: Request) -> Response:
    consultation_id = path_id(request, "consultation")
    try:
        form = await read_form(request)
    except Forbidden:
        # Expired session: show the ballot again with the choices made, if still logged in.
        saved = getattr(request.state, "form", None)
        member = await _member(request)
        if saved is None or member is None:
            raise
        return await _ballot_page(
            request,
            member,
            consultation_id,
            raw=form_values(saved),
            notice="error.csrf",
            status=403,
        )
    member = await _member(request)
    if member is None:
        return redirect(MEMBER_LOGIN)
    raw = form_values(form)
    context = await _ballot_context(member, consultation_id)
    c = context.consultation
    marks, errors = parse_ballot(c.method, context.options, raw, budget=c.budget)
    if errors:
        return await _ballot_page(
            request, member, consultation_id, raw=raw, errors=errors, status=422
        )
    # A change of secret ballot is proved by the receipt and code this session holds, or
    # else by those the voter typed (another device, a new session).
    receipt, code = (
        _held_receipt(request, consultation_id),
        _held_change_code(request, consultation_id),
    )
    if not (receipt and code):
        receipt, code = (raw.get("receipt") or [""])[0], (raw.get("change_code") or [""])[0]
    try:
        cast = await cast_member_ballot(
            member.id, member.council_id, consultation_id, marks, proof=(receipt, code)
        )
    except (Conflict, Forbidden) as exc:
        return await _ballot_page(
            request, member, consultation_id, raw=raw, notice=exc.key, status=exc.status
        )
    _keep_in_session(request, "receipts", consultation_id, cast.receipt)
    _keep_in_session(request, "change_codes", consultation_id, cast.change_code)
    return redirect(f"/c/v/{consultation_id}/merci")


@access(MEMBER)
async def ballot_thanks(request: Request) -> Response:
    member = await _member(request)
    if member is None:
        return redirect(MEMBER_LOGIN)
    context = await _ballot_context(member, path_id(request, "consultation"))
    return render(
        request,
        "council/thanks.html",
        c=context.consultation,
        receipt=_held_receipt(request, context.consultation.id),
        change_code=_held_change_code(request, context.consultation.id),
        display_change_code=display_change_code,
    )


@access(MEMBER)
async def statement_propose(request: Request) -> Response:
    form = await read_form(request)
    member = await _member(request)
    if member is None:
        return redirect(MEMBER_LOGIN)
    consultation_id = path_id(request, "consultation")
    text = str(form.get("statement", ""))
    try:
        await propose_statement(member, consultation_id, text)
    except InvalidForm as exc:
        return await _ballot_page(
            request,
            member,
            consultation_id,
            proposal=text,
            proposal_error=exc.errors["statement"],
            status=422,
        )
    return redirect(f"/c/v/{consultation_id}?proposed=1#propose")


routes: list[BaseRoute] = [
    Route("/staff/councils", councils_page, methods=["GET"]),
    Route("/staff/councils", council_create, methods=["POST"]),
    Route("/staff/councils/{council}", council_page, methods=["GET"]),
    Route("/staff/councils/{council}/members", member_add, methods=["POST"]),
    Route("/staff/councils/{council}/members/{member}/remove", member_remove, methods=["POST"]),
    Route("/staff/councils/{council}/codes", codes_sheet, methods=["GET"]),
    Route("/staff/councils/{council}/consultations/new", consultation_new, methods=["GET"]),
    Route("/staff/councils/{council}/consultations", consultation_create, methods=["POST"]),
    Route(
        "/staff/councils/{council}/consultations/{consultation}",
        consultation_page,
        methods=["GET"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/options",
        option_add,
        methods=["POST"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/state",
        consultation_state,
        methods=["POST"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/options/{id}",
        option_edit_page,
        methods=["GET"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/options/{id}",
        option_update,
        methods=["POST"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/options/{id}/remove",
        option_remove,
        methods=["POST"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/close",
        close_page,
        methods=["GET"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/statements/{id}",
        statement_moderate,
        methods=["POST"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/paper",
        paper_page,
        methods=["GET"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/paper",
        paper_post,
        methods=["POST"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/results",
        staff_results,
        methods=["GET"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/polis",
        polis_page,
        methods=["GET"],
    ),
    Route(
        "/staff/councils/{council}/consultations/{consultation}/polis",
        polis_import,
        methods=["POST"],
    ),
    Route("/c/login", member_login_page, methods=["GET"]),
    Route("/c/login", member_login_post, methods=["POST"]),
    Route("/c/k/{token}", member_link, methods=["GET"]),
    Route("/c/logout", member_logout, methods=["POST"]),
    Route("/c", member_home, methods=["GET"]),
    Route("/c/v/{consultation}", ballot_page, methods=["GET"]),
    Route("/c/v/{consultation}", ballot_post, methods=["POST"]),
    Route("/c/v/{consultation}/merci", ballot_thanks, methods=["GET"]),
    Route("/c/v/{consultation}/statements", statement_propose, methods=["POST"]),
    Route("/c/results/{consultation}", public_results, methods=["GET"]),
]
