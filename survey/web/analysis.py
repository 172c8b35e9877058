"""Staff pages of the needs analysis: start a run, follow it, review the needs."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypedDict

import numpy as np
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from analysis.charts.needs import answers_map, needs_by_size, needs_by_territory
from survey.domain import needs as domain
from survey.domain.definitions import SurveyDef, get_definition
from survey.domain.jobs import get_job
from survey.enums import CHOICE_KINDS, JobState, QuestionKind
from survey.errors import SurveyError
from survey.i18n import translate
from survey.models.needs import AnalysisRun
from survey.web.analysis_vocabulary import routes as vocabulary_routes
from survey.web.charts import Chart
from survey.web.common import STAFF, Endpoint, access, language, read_form, redirect, render


def _int(value: object, default: int | None = None) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else default


def _run_url(slug: str, run_id: int) -> str:
    return f"/staff/surveys/{slug}/analysis/{run_id}"


@access(STAFF)
async def overview(request: Request) -> Response:
    definition = await get_definition(request.path_params["slug"])
    return render(
        request,
        "staff/analysis.html",
        survey=definition,
        questions=domain.text_questions(definition),
        runs=await domain.list_runs(definition.id),
        form={},
        error=None,
    )


@access(STAFF)
async def start(request: Request) -> Response:
    form = await read_form(request)
    slug = request.path_params["slug"]
    k_text = str(form.get("k", "")).strip()
    try:
        if k_text and not k_text.isdigit():
            raise SurveyError("analysis.bad_k", min=2, max=60)
        run = await domain.start_analysis(
            slug,
            str(form.get("question", "")),
            n_clusters=int(k_text) if k_text else None,
            seed=_int(form.get("seed"), 0) or 0,
        )
    except SurveyError as exc:
        definition = await get_definition(slug)
        return render(
            request,
            "staff/analysis.html",
            status_code=exc.status if exc.status != 404 else 400,
            survey=definition,
            questions=domain.text_questions(definition),
            runs=await domain.list_runs(definition.id),
            form={k: str(v) for k, v in form.items() if k != "csrf"},
            error=exc,
        )
    return redirect(_run_url(slug, run.id))


def _charts(lang: str, needs: list[domain.NeedView], points: list[dict[str, Any]]) -> list[Chart]:
    t = functools.partial(translate, lang)
    shown = [n for n in needs if n.is_need]
    charts = []
    if shown:
        charts.append(
            Chart(
                needs_by_size(
                    [n.label for n in shown],
                    [n.size for n in shown],
                    shares=[n.share for n in shown],
                    title=t("analysis.chart_sizes"),
                    count_title=t("analysis.answers"),
                ),
                caption=t("analysis.chart_sizes"),
                header=[t("analysis.need"), t("analysis.answers"), t("analysis.share")],
                rows=[[n.label, n.size, f"{n.share:.0%}"] for n in shown],
                lang=lang,
            )
        )
    if points:
        labels = {n.id: n.label for n in shown}
        clusters = [p["need"] if p["need"] in labels else -1 for p in points]
        charts.append(
            Chart(
                answers_map(
                    np.array([[p["x"], p["y"]] for p in points]),
                    clusters,
                    [p["text"] for p in points],
                    labels,
                    title=t("analysis.chart_map"),
                    unclassified_label=t("analysis.unclassified"),
                ),
                caption=t("analysis.chart_map"),
                header=[t("analysis.need"), t("analysis.answers")],
                rows=[[n.label, n.size] for n in shown],
                lang=lang,
            )
        )
    return charts


class _Section(TypedDict):
    """A block of the run page: a theme's needs, or those without one."""

    label: str | None
    needs: list[domain.NeedView]


@access(STAFF)
async def run_page(request: Request) -> Response:
    definition, run = await domain.get_run(
        request.path_params["slug"], _int(request.path_params["run"], 0) or 0
    )
    lang = language(request)
    # The template's context: what it shows depends on the run's state.
    context: dict[str, Any] = {
        "survey": definition,
        "run": run,
        "needs": [],
        "charts": [],
        "review": {},
    }
    if run.state == JobState.DONE:
        needs = await domain.needs_of_run(run)
        context["needs"] = needs
        context["charts"] = _charts(lang, needs, await domain.answer_points(run))
        context["unclassified"] = await domain.unclassified_count(run)
        context["unclassified_listed"] = len(await domain.need_answers(run, None))
        context["changes"] = domain.changes_summary(run)
        context["quality"] = run.quality if isinstance(run.quality, dict) else {}
        themes = domain.themes_of(needs, await domain.theme_residents(run))
        context["themes"] = themes if len(themes) > 1 or (themes and themes[0].label) else []
        discarded = [n for n in needs if not n.is_need]
        sections: list[_Section] = (
            [{"label": t.label, "needs": t.needs} for t in themes]
            if context["themes"]
            else [{"label": None, "needs": [n for n in needs if n.is_need]}]
        )
        if discarded:
            sections.append({"label": None, "needs": discarded})
        context["sections"] = sections
        context["review"] = run.review if isinstance(run.review, dict) else {}
        context["choice_questions"] = [
            q
            for q in definition.questions
            if q.kind in CHOICE_KINDS or q.kind == QuestionKind.MULTIPLE
        ]
        by = request.query_params.get("by") or next(
            (q.code for q in definition.questions if q.kind == QuestionKind.TERRITORY), ""
        )
        if by in {q.code for q in context["choice_questions"]}:
            context.update(await _breakdown(request, lang, run, definition, by, needs))
    elif run.job_id:
        context["job"] = await get_job(run.job_id)
    return render(request, "staff/analysis_run.html", **context)


async def _breakdown(
    request: Request,
    lang: str,
    run: AnalysisRun,
    definition: SurveyDef,
    by: str,
    needs: list[domain.NeedView],
) -> dict[str, object]:
    threshold = request.app.state.settings.small_group_threshold
    codes, counts = await domain.breakdown(run, definition, by, threshold)
    question = definition.question(by)
    shown = [n for n in needs if n.is_need]
    columns = [question.choice_label(c, lang) for c in codes]
    table = [[counts.get((n.id, c)) for c in codes] for n in shown]
    t = functools.partial(translate, lang)
    chart = None
    if shown and codes:
        chart = Chart(
            needs_by_territory(
                table,
                [n.label for n in shown],
                columns,
                title=t("analysis.chart_breakdown", question=question.text.get(lang, by)),
                hidden_text="< " + str(threshold),
            ),
            caption=t("analysis.chart_breakdown", question=question.text.get(lang, by)),
            header=[t("analysis.need"), *columns],
            rows=[
                [n.label, *[("< " + str(threshold)) if v is None else v for v in row]]
                for n, row in zip(shown, table, strict=True)
            ],
            lang=lang,
        )
    return {
        "by": by,
        "columns": columns,
        "table": list(zip(shown, table, strict=True)),
        "threshold": threshold,
        "breakdown_chart": chart,
    }


@access(STAFF)
async def need_page(request: Request) -> Response:
    definition, run = await domain.get_run(
        request.path_params["slug"], _int(request.path_params["run"], 0) or 0
    )
    need_id = _int(request.path_params["need"], 0) or 0
    needs = await domain.needs_of_run(run)
    current = next((n for n in needs if n.id == need_id), None)
    answers = await domain.need_answers(run, current.id if current else None)
    return render(
        request,
        "staff/analysis_need.html",
        survey=definition,
        run=run,
        need=current,
        needs=needs,
        answers=answers,
        mentions=await domain.need_mentions(run, current.id) if current else [],
    )


# A review step: the form and run in, the page to go back to out (None: the run's needs).
_ReviewAction = Callable[[Request, FormData, AnalysisRun], Awaitable[str | None]]


def _review(action: _ReviewAction) -> Endpoint:
    """A review POST: CSRF-checked form, one domain call, back to the run page."""

    @functools.wraps(action)
    async def view(request: Request) -> Response:
        form = await read_form(request)
        slug = request.path_params["slug"]
        _, run = await domain.get_run(slug, _int(request.path_params["run"], 0) or 0)
        target = await action(request, form, run)
        return redirect(target or _run_url(slug, run.id) + "#needs")

    return access(STAFF)(view)


@_review
async def rename(request: Request, form: FormData, run: AnalysisRun) -> str | None:
    await domain.rename_need(
        run, _int(request.path_params["need"], 0) or 0, str(form.get("label", ""))
    )
    return None


@_review
async def toggle(request: Request, form: FormData, run: AnalysisRun) -> str | None:
    await domain.toggle_need(run, _int(request.path_params["need"], 0) or 0)
    return None


@_review
async def split(request: Request, form: FormData, run: AnalysisRun) -> str | None:
    k_text = str(form.get("k", "")).strip()
    if k_text and not k_text.isdigit():
        raise SurveyError("analysis.bad_k", min=2, max=10)
    await domain.split_need(
        run, _int(request.path_params["need"], 0) or 0, int(k_text) if k_text else None
    )
    return None


def _merge_ids(form: FormData) -> list[int]:
    return [i for i in (_int(v) for v in form.getlist("need")) if i is not None]


@access(STAFF)
async def merge(request: Request) -> Response:
    """Merging asks first: the needs, a proposed name; confirming applies it."""
    form = await read_form(request)
    slug = request.path_params["slug"]
    definition, run = await domain.get_run(slug, _int(request.path_params["run"], 0) or 0)
    ids = _merge_ids(form)
    needs = await domain.needs_of_run(run)
    # Needs are shown under their themes: merge into the largest selected, whatever the
    # order of the boxes on the page.
    order = {n.id: rank for rank, n in enumerate(needs)}
    ids = sorted(dict.fromkeys(ids), key=lambda i: order.get(i, len(order)))
    error = None
    label = str(form.get("label", ""))
    if form.get("confirm") == "1":
        try:
            kept = await domain.merge_needs(run, ids, label)
        except SurveyError as exc:
            if exc.key not in ("analysis.label_empty", "analysis.label_long"):
                raise
            error = exc
        else:
            return redirect(f"{_run_url(slug, run.id)}#need-{kept.id}")
    else:
        label = await domain.propose_merge(run, ids)
    return render(
        request,
        "staff/analysis_merge.html",
        status_code=422 if error else 200,
        survey=definition,
        run=run,
        merging=[n for n in needs if n.id in set(ids)],
        ids=ids,
        label=label,
        error=error,
    )


@_review
async def move(request: Request, form: FormData, run: AnalysisRun) -> str | None:
    target = str(form.get("target", ""))
    need_id = None if target in ("", "none") else _int(target)
    if target not in ("", "none") and need_id is None:
        raise SurveyError("error.bad_form")
    response_id = _int(form.get("response"))
    if response_id is None:
        raise SurveyError("error.bad_form")
    await domain.move_answer(run, response_id, need_id)
    back = _int(request.path_params["need"], 0)
    return f"{_run_url(request.path_params['slug'], run.id)}/needs/{back}"


_BASE = "/staff/surveys/{slug}/analysis"
# The vocabulary's address comes first: it would otherwise be taken for a run's.
routes: list[BaseRoute] = vocabulary_routes + [
    Route(_BASE, overview, methods=["GET"]),
    Route(_BASE, start, methods=["POST"]),
    Route(_BASE + "/{run}", run_page, methods=["GET"]),
    Route(_BASE + "/{run}/merge", merge, methods=["POST"]),
    Route(_BASE + "/{run}/needs/{need}", need_page, methods=["GET"]),
    Route(_BASE + "/{run}/needs/{need}/rename", rename, methods=["POST"]),
    Route(_BASE + "/{run}/needs/{need}/toggle", toggle, methods=["POST"]),
    Route(_BASE + "/{run}/needs/{need}/split", split, methods=["POST"]),
    Route(_BASE + "/{run}/needs/{need}/move", move, methods=["POST"]),
]
