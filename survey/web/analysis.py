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
from survey.domain.need_keywords import accent_needs
from survey.domain.need_themes import shows_themes, theme_breakdown, theme_key
from survey.domain.needs_split import split_in_groups
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


def _sizes_chart(lang: str, shown: list[domain.NeedView]) -> Chart:
    t = functools.partial(translate, lang)
    return Chart(
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


class _Section(TypedDict):
    """A block of the run page's needs: a theme's (its shown name, key and residents), those
    set aside, or all of them when the run has no themes; shown open or folded."""

    label: str | None
    key: str
    size: int
    needs: list[domain.NeedView]
    open: bool


def _themes_chart(lang: str, themes: list[_Section], answered: int) -> Chart:
    t = functools.partial(translate, lang)
    labels = [str(theme["label"]) for theme in themes]
    shares = [theme["size"] / max(1, answered) for theme in themes]
    return Chart(
        needs_by_size(
            labels,
            [theme["size"] for theme in themes],
            shares=shares,
            title=t("analysis.chart_themes"),
            count_title=t("analysis.residents"),
        ),
        caption=t("analysis.chart_themes"),
        header=[
            t("analysis.theme"),
            t("analysis.residents"),
            t("analysis.share"),
            t("analysis.needs"),
        ],
        rows=[
            [label, theme["size"], f"{share:.0%}", len(theme["needs"])]
            for label, theme, share in zip(labels, themes, shares, strict=True)
        ],
        lang=lang,
    )


def _map_chart(
    lang: str,
    points: list[dict[str, Any]],
    groups: dict[int, str],
    group_of: dict[int, int],
    rows: list[list[Any]],
    *,
    by_theme: bool,
) -> Chart:
    """The answers' map, a colour per group (``groups``: a need, or a theme) that
    ``group_of`` gives each need."""
    t = functools.partial(translate, lang)
    caption = t("analysis.chart_map_themes" if by_theme else "analysis.chart_map")
    return Chart(
        answers_map(
            np.array([[p["x"], p["y"]] for p in points]),
            [group_of.get(p["need"], -1) for p in points],
            [p["text"] for p in points],
            groups,
            title=caption,
            unclassified_label=t("analysis.unclassified"),
        ),
        caption=caption,
        header=[t("analysis.theme" if by_theme else "analysis.need"), t("analysis.answers")],
        rows=rows,
        lang=lang,
    )


# Up to this many needs, a run's themes are shown open: folding them would hide little.
OPEN_UP_TO = 8
ASIDE = "aside"


def _opened(request: Request) -> str:
    return str(request.query_params.get("theme", ""))[:40]


@access(STAFF)
async def run_page(request: Request) -> Response:
    definition, run = await domain.get_run(
        request.path_params["slug"], _int(request.path_params["run"], 0) or 0
    )
    context = await _run_context(request, definition, run, _opened(request))
    return render(request, "staff/analysis_run.html", **context)


class _FieldError(TypedDict):
    """A review form sent back: the need it was about (None: the merge form), the field,
    what was typed in it, and why it was refused."""

    need: int | None
    field: str
    value: str
    error: SurveyError


async def _refused(
    request: Request, definition: SurveyDef, run: AnalysisRun, refused: _FieldError
) -> Response:
    """The run page again, the refused form open with its message next to its field and
    what was typed still in it."""
    opened = "all"
    if refused["need"] is not None:
        needs = await domain.needs_of_run(run)
        need = next((n for n in needs if n.id == refused["need"]), None)
        if need is not None:
            opened = theme_key(need.theme_label) if need.is_need else ASIDE
    context = await _run_context(request, definition, run, opened)
    return render(request, "staff/analysis_run.html", status_code=422, refused=refused, **context)


async def _run_context(
    request: Request, definition: SurveyDef, run: AnalysisRun, opened: str
) -> dict[str, Any]:
    """What the run page shows; ``opened``: the theme shown open ("all": every one)."""
    lang = language(request)
    state = await domain.run_state(run)
    # The template's context: what it shows depends on the run's state.
    context: dict[str, Any] = {
        "survey": definition,
        "run": run,
        "state": state,
        "needs": [],
        "charts": [],
        "after_charts": [],
        "review": {},
    }
    if state == JobState.DONE:
        points = await domain.answer_points(run)
        needs = accent_needs(await domain.needs_of_run(run), points)
        shown = [n for n in needs if n.is_need]
        discarded = [n for n in needs if not n.is_need]
        context["needs"] = needs
        context["unclassified"] = await domain.unclassified_count(run)
        context["unclassified_listed"] = len(await domain.need_answers(run, None))
        context["changes"] = domain.changes_summary(run)
        context["quality"] = run.quality if isinstance(run.quality, dict) else {}
        found = domain.themes_of(needs, await domain.theme_residents(run))
        every = opened == "all" or len(needs) <= OPEN_UP_TO
        themes: list[_Section] = [
            {
                "label": theme.label or translate(lang, "themes.other"),
                "key": theme_key(theme.label),
                "size": theme.size,
                "needs": theme.needs,
                "open": every or opened == theme_key(theme.label),
            }
            for theme in found
        ]
        context["themes"] = themes if shows_themes(found) else []
        sections = list(context["themes"]) or [
            _Section(label=None, key="", size=len(shown), needs=shown, open=True)
        ]
        if discarded:
            sections.append(
                _Section(
                    label=translate(lang, "analysis.set_aside") if context["themes"] else None,
                    key=ASIDE,
                    size=len(discarded),
                    needs=discarded,
                    open=every or opened == ASIDE or not context["themes"],
                )
            )
        context["sections"] = sections
        if context["themes"]:
            answered = run.n_answers - run.n_non_answers
            context["charts"] = [_themes_chart(lang, context["themes"], answered)]
            if points:
                groups = {i: str(theme["label"]) for i, theme in enumerate(context["themes"])}
                group_of = {
                    n.id: i for i, theme in enumerate(context["themes"]) for n in theme["needs"]
                }
                on_map = [group_of.get(p["need"], -1) for p in points]
                rows = [[label, on_map.count(i)] for i, label in groups.items()]
                context["after_charts"] = [
                    _map_chart(lang, points, groups, group_of, rows, by_theme=True)
                ]
        elif shown:
            context["charts"] = [_sizes_chart(lang, shown)]
            if points:
                labels = {n.id: n.label for n in shown}
                rows = [[n.label, n.size] for n in shown]
                context["charts"].append(
                    _map_chart(lang, points, labels, {i: i for i in labels}, rows, by_theme=False)
                )
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
            context.update(
                await _breakdown(
                    request, lang, run, definition, by, needs, found if context["themes"] else []
                )
            )
    elif run.job_id:
        context["job"] = await get_job(run.job_id)
    return context


async def _breakdown(
    request: Request,
    lang: str,
    run: AnalysisRun,
    definition: SurveyDef,
    by: str,
    needs: list[domain.NeedView],
    themes: list[domain.ThemeView],
) -> dict[str, object]:
    """Needs (or, when the run has themes, themes) × answers of a choice question."""
    threshold = request.app.state.settings.small_group_threshold
    question = definition.question(by)
    t = functools.partial(translate, lang)
    if themes:
        codes, table = await theme_breakdown(run, definition, by, threshold, themes)
        labels = [theme.label or t("themes.other") for theme in themes]
    else:
        codes, counts = await domain.breakdown(run, definition, by, threshold)
        shown = [n for n in needs if n.is_need]
        table = [[counts.get((n.id, c)) for c in codes] for n in shown]
        labels = [n.label for n in shown]
    columns = [question.choice_label(c, lang) for c in codes]
    title = t(
        "analysis.chart_breakdown_themes" if themes else "analysis.chart_breakdown",
        question=question.text.get(lang, by),
    )
    chart = None
    if labels and codes:
        chart = Chart(
            needs_by_territory(
                table,
                labels,
                columns,
                title=title,
                hidden_text="< " + str(threshold),
            ),
            caption=title,
            header=[t("analysis.theme" if themes else "analysis.need"), *columns],
            rows=[
                [label, *[("< " + str(threshold)) if v is None else v for v in row]]
                for label, row in zip(labels, table, strict=True)
            ],
            lang=lang,
        )
    return {
        "by": by,
        "columns": columns,
        "table": list(zip(labels, table, strict=True)),
        "threshold": threshold,
        "breakdown_chart": chart,
    }


def _need_url(slug: str, run: AnalysisRun, needs: list[domain.NeedView], need_id: int) -> str:
    """A need on its run's page, its theme (or the needs set aside) opened."""
    need = next((n for n in needs if n.id == need_id), None)
    if need is None:
        return _run_url(slug, run.id) + "#needs"
    key = theme_key(need.theme_label) if need.is_need else ASIDE
    return f"{_run_url(slug, run.id)}?theme={key}#need-{need.id}"


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
        back=_need_url(definition.slug, run, needs, need_id),
        mentions=await domain.need_mentions(run, current.id) if current else [],
    )


# A review step: the form and run in, out the page to go back to, or the need to show on
# the run's page.
_ReviewAction = Callable[[Request, FormData, AnalysisRun], Awaitable[str | int]]


def _review(action: _ReviewAction) -> Endpoint:
    """A review POST: CSRF-checked form, one domain call, back to the run page."""

    @functools.wraps(action)
    async def view(request: Request) -> Response:
        form = await read_form(request)
        slug = request.path_params["slug"]
        _, run = await domain.get_run(slug, _int(request.path_params["run"], 0) or 0)
        target = await action(request, form, run)
        if isinstance(target, int):
            target = _need_url(slug, run, await domain.needs_of_run(run), target)
        return redirect(target)

    return access(STAFF)(view)


# What a review form may be refused for, shown next to its field rather than on an error page.
_FIELD_ERRORS = frozenset(
    {
        "analysis.label_empty",
        "analysis.label_long",
        "analysis.bad_k",
        "analysis.split_small",
        "analysis.split_failed",
        "analysis.split_small_groups",
        "analysis.merge_two",
    }
)


def _field_view(field: str, action: _ReviewAction) -> Endpoint:
    """A review POST on one need whose ``field`` may be refused: refused, the run page
    comes back with the message next to the field; else as ``_review``."""

    @functools.wraps(action)
    async def view(request: Request) -> Response:
        form = await read_form(request)
        slug = request.path_params["slug"]
        definition, run = await domain.get_run(slug, _int(request.path_params["run"], 0) or 0)
        try:
            target = await action(request, form, run)
        except SurveyError as exc:
            if exc.key not in _FIELD_ERRORS:
                raise
            need_id = _int(request.path_params["need"], 0) or 0
            value = str(form.get(field, ""))[:400]
            return await _refused(
                request,
                definition,
                run,
                _FieldError(need=need_id, field=field, value=value, error=exc),
            )
        if isinstance(target, int):
            target = _need_url(slug, run, await domain.needs_of_run(run), target)
        return redirect(target)

    return access(STAFF)(view)


async def _rename(request: Request, form: FormData, run: AnalysisRun) -> str | int:
    need = await domain.rename_need(
        run, _int(request.path_params["need"], 0) or 0, str(form.get("label", ""))
    )
    return int(need.id)


rename = _field_view("label", _rename)


@_review
async def toggle(request: Request, form: FormData, run: AnalysisRun) -> str | int:
    need = await domain.toggle_need(run, _int(request.path_params["need"], 0) or 0)
    return int(need.id)


async def _split(request: Request, form: FormData, run: AnalysisRun) -> str | int:
    k_text = str(form.get("k", "")).strip()
    if k_text and not (k_text.isdigit() and len(k_text) < 4):
        raise SurveyError("analysis.bad_k", min=2, max=10)
    created = await split_in_groups(
        run,
        _int(request.path_params["need"], 0) or 0,
        int(k_text) if k_text else None,
        request.app.state.settings.small_group_threshold,
    )
    return int(created[0].id)


split = _field_view("k", _split)


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
    try:
        if form.get("confirm") == "1":
            try:
                kept = await domain.merge_needs(run, ids, label)
            except SurveyError as exc:
                if exc.key not in ("analysis.label_empty", "analysis.label_long"):
                    raise
                error = exc
            else:
                return redirect(_need_url(slug, run, await domain.needs_of_run(run), kept.id))
        else:
            label = await domain.propose_merge(run, ids)
    except SurveyError as exc:
        if exc.key != "analysis.merge_two":
            raise
        # Fewer than two needs ticked: back to the run page, the ticked one still ticked.
        value = ",".join(str(i) for i in ids)
        refused = _FieldError(need=None, field="need", value=value, error=exc)
        return await _refused(request, definition, run, refused)
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
async def move(request: Request, form: FormData, run: AnalysisRun) -> str | int:
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
