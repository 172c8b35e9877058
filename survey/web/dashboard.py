"""Dashboard and report pages: survey dashboard, printable report, report file, public results."""

from __future__ import annotations

from functools import partial
from urllib.parse import quote

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from analysis.charts import dashboard as charts
from survey.domain.dashboard import Dashboard, build_dashboard
from survey.domain.dashboard_filters import filter_questions
from survey.domain.definitions import QuestionDef
from survey.domain.question_summaries import Bar, QuestionSummary
from survey.domain.reports import build_public_results, build_report, set_public_results
from survey.enums import Channel, QuestionKind
from survey.errors import SurveyError
from survey.i18n import translate
from survey.web.charts import Chart
from survey.web.common import (
    PUBLIC,
    STAFF,
    STATIC,
    access,
    language,
    read_form,
    redirect,
    render,
    time_zone,
)
from survey.web.dashboard_query import field_errors, filter_pairs, read_query

OTHER = "__other__"


def _threshold(request: Request) -> int:
    return int(request.app.state.settings.small_group_threshold)


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def bar_label(question: QuestionDef, bar: Bar, lang: str) -> str:
    """The text of a bar: a choice label, a scale value or a range of numbers."""
    if question.kind in (QuestionKind.SCALE, QuestionKind.NUMBER):
        if bar.low is None or bar.high is None:
            return bar.code
        if bar.low == bar.high:
            return _number(bar.low)
        return f"{_number(bar.low)}–{_number(bar.high)}"
    if bar.code == OTHER:
        return translate(lang, "dashboard.other")
    return question.choice_label(bar.code, lang)


def _decimal(value: float, lang: str) -> str:
    """Two decimals, with a decimal comma on French pages."""
    return f"{value:.2f}".replace(".", "," if lang == "fr" else ".")


def _count(n: int | None, hidden: str) -> str:
    return hidden if n is None else str(n)


def _percent(share: float | None) -> str:
    return "" if share is None else f"{share:.0%}"


def _question_chart(summary: QuestionSummary, lang: str, hidden: str) -> Chart | None:
    _ = partial(translate, lang)
    q = summary.question
    title = q.text.get(lang) or q.text.get("fr", q.code)
    labels = [bar_label(q, b, lang) for b in summary.bars]
    counts = [b.n for b in summary.bars]
    kind = summary.chart
    if kind == "bars":
        figure = charts.choice_chart(
            labels,
            counts,
            title=title,
            count_label=_("dashboard.respondents"),
            hidden_text=hidden,
            shares=[b.share for b in summary.bars],
        )
        header = [_("dashboard.answer"), _("dashboard.respondents"), _("dashboard.share")]
        rows = [
            [lab, _count(b.n, hidden), _percent(b.share)]
            for lab, b in zip(labels, summary.bars, strict=True)
        ]
    elif kind == "histogram":
        mean = summary.mean
        mean_label = _("dashboard.mean", value=_decimal(mean, lang)) if mean is not None else ""
        figure = charts.histogram_chart(
            labels,
            counts,
            title=title,
            count_label=_("dashboard.respondents"),
            hidden_text=hidden,
            mean=mean,
            mean_label=mean_label,
        )
        header = [_("dashboard.value"), _("dashboard.respondents"), _("dashboard.share")]
        rows = [
            [lab, _count(b.n, hidden), _percent(b.share)]
            for lab, b in zip(labels, summary.bars, strict=True)
        ]
    elif kind == "ranking":
        figure = charts.ranking_chart(
            labels,
            [b.mean for b in summary.bars],
            title=title,
            axis_label=_("dashboard.mean_rank"),
            hidden_text=hidden,
            decimal="," if lang == "fr" else ".",
        )
        header = [_("dashboard.answer"), _("dashboard.mean_rank"), _("dashboard.respondents")]
        rows = [
            [lab, "" if b.mean is None else _decimal(b.mean, lang), _count(b.n, hidden)]
            for lab, b in zip(labels, summary.bars, strict=True)
        ]
    else:
        return None
    return Chart(figure, title, header, rows, id=f"chart-q-{q.code}", lang=lang)


def _charts(board: Dashboard, lang: str) -> dict[str, Chart]:
    """Every chart of the page, keyed by question code (and 'timeline', 'crosstab', 'rates-N')."""
    _ = partial(translate, lang)
    hidden = _("dashboard.hidden", n=board.threshold)
    found: dict[str, Chart] = {}
    if board.days:
        days = [d.isoformat() for d, _n in board.days]
        counts = [n for _d, n in board.days]
        found["timeline"] = Chart(
            charts.timeline_chart(
                days,
                counts,
                title=_("dashboard.timeline"),
                count_label=_("dashboard.responses"),
                hidden_text=hidden,
            ),
            _("dashboard.timeline"),
            [_("dashboard.day"), _("dashboard.responses")],
            [[d, _count(n, hidden)] for d, n in zip(days, counts, strict=True)],
            id="chart-timeline",
            lang=lang,
        )
    for index, section in enumerate(board.sections):
        if not section.rates:
            continue
        title = _(
            "dashboard.rates_title", section=section.title.get(lang) or section.title.get("fr", "")
        )
        labels = [q.text.get(lang) or q.text.get("fr", q.code) for q, _n, _r in section.rates]
        found[f"rates-{index}"] = Chart(
            charts.rates_chart(
                labels, [r for _q, _n, r in section.rates], title=title, hidden_text=hidden
            ),
            title,
            [_("dashboard.question"), _("dashboard.respondents"), _("dashboard.share")],
            [
                [lab, _count(n, hidden), _percent(r)]
                for lab, (_q, n, r) in zip(labels, section.rates, strict=True)
            ],
            id=f"chart-rates-{index}",
            lang=lang,
        )
    for summary in board.questions:
        chart = _question_chart(summary, lang, hidden)
        if chart is not None:
            found[summary.question.code] = chart
    tab = board.crosstab
    if tab is not None:
        row_labels = [tab.rows_question.choice_label(r, lang) for r in tab.rows]
        col_labels = [tab.columns_question.choice_label(c, lang) for c in tab.columns]
        shares = [[tab.share(r, c) for c in tab.columns] for r in tab.rows]
        texts = [
            [
                hidden
                if tab.cells[(r, c)] is None
                else f"{tab.cells[(r, c)]} ({_percent(tab.share(r, c))})"
                for c in tab.columns
            ]
            for r in tab.rows
        ]
        title = _("dashboard.crosstab_title")
        found["crosstab"] = Chart(
            charts.crosstab_chart(row_labels, col_labels, shares, texts, title=title),
            title,
            ["", *col_labels, _("dashboard.row_total")],
            [
                [row_labels[i], *texts[i], _count(tab.row_totals[r], hidden)]
                for i, r in enumerate(tab.rows)
            ],
            id="chart-crosstab",
            lang=lang,
        )
    return found


@access(STAFF)
async def dashboard(request: Request) -> Response:
    board = await build_dashboard(
        request.path_params["slug"],
        read_query(request.query_params),
        threshold=_threshold(request),
        zone=time_zone(request),
    )
    lang = language(request)
    return render(
        request,
        "staff/dashboard.html",
        board=board,
        errors=field_errors(board.errors),
        filter_pairs=filter_pairs(board.filters),
        survey=board.definition,
        charts=_charts(board, lang),
        params=request.query_params,
        filter_questions=filter_questions(board.definition),
        channels=[c.value for c in Channel],
    )


@access(STAFF)
async def report(request: Request) -> Response:
    result = await build_report(
        request.path_params["slug"], threshold=_threshold(request), zone=time_zone(request)
    )
    return render(
        request, "staff/report.html", report=result, survey=result.definition, bar_label=bar_label
    )


def _inline_css() -> Markup:
    """Our own style sheets, to inline in the downloaded report (it must work offline)."""
    names = ("parlons", "dashboard", "print")
    css = "\n".join((STATIC / "css" / f"{n}.css").read_text(encoding="utf-8") for n in names)
    return Markup(css.replace("</", "<\\/"))  # noqa: S704 - our own files, and no tag can close the style block


@access(STAFF)
async def report_file(request: Request) -> Response:
    result = await build_report(
        request.path_params["slug"], threshold=_threshold(request), zone=time_zone(request)
    )
    response = render(
        request,
        "staff/report_file.html",
        report=result,
        survey=result.definition,
        css=_inline_css(),
        bar_label=bar_label,
    )
    name = quote(f"{result.definition.slug}-rapport.html")
    response.headers["content-disposition"] = f'attachment; filename="{name}"'
    return response


@access(STAFF)
async def publish(request: Request) -> Response:
    form = await read_form(request)
    choice = str(form.get("publish", ""))
    if choice not in ("0", "1"):
        raise SurveyError("error.bad_form")
    slug = request.path_params["slug"]
    await set_public_results(slug, choice == "1")
    return redirect(f"/staff/surveys/{quote(slug)}/report")


@access(PUBLIC)
async def public_results(request: Request) -> Response:
    result = await build_public_results(
        request.path_params["slug"], threshold=_threshold(request), zone=time_zone(request)
    )
    return render(
        request,
        "respondent/results.html",
        report=result,
        survey=result.definition,
        bar_label=bar_label,
    )


routes: list[BaseRoute] = [
    Route("/staff/surveys/{slug}/dashboard", dashboard, methods=["GET"]),
    Route("/staff/surveys/{slug}/report", report, methods=["GET"]),
    Route("/staff/surveys/{slug}/report.html", report_file, methods=["GET"]),
    Route("/staff/surveys/{slug}/publish", publish, methods=["POST"]),
    Route("/s/{slug}/resultats", public_results, methods=["GET"]),
]
