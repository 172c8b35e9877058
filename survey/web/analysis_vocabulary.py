"""Staff page of a survey's vocabulary of themes (and its previous wave)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from survey.domain import needs_settings as domain
from survey.domain.definitions import get_definition
from survey.domain.forms import RawForm
from survey.web.common import STAFF, access, form_values, read_form, redirect, render


def _flat(raw: RawForm) -> dict[str, str]:
    return {k: (v[0] if isinstance(v, list) and v else str(v or "")) for k, v in raw.items()}


def _url(slug: str) -> str:
    return f"/staff/surveys/{slug}/analysis/vocabulary"


@access(STAFF)
async def page(request: Request) -> Response:
    slug = request.path_params["slug"]
    return render(
        request,
        "staff/analysis_vocabulary.html",
        survey=await get_definition(slug),
        vocab=await domain.vocabulary_form(slug),
        saved=request.query_params.get("saved") == "1",
    )


@access(STAFF)
async def save(request: Request) -> Response:
    slug = request.path_params["slug"]
    raw = _flat(form_values(await read_form(request)))
    if raw.get("reset") == "1":
        await domain.reset_vocabulary(slug)
        return redirect(_url(slug) + "?saved=1")
    try:
        await domain.save_vocabulary(slug, raw)
    except domain.InvalidVocabulary as exc:
        vocab = await domain.vocabulary_form(slug)
        vocab.rows = exc.params.get("rows", vocab.rows)
        vocab.errors = exc.errors
        wave = raw.get("previous_survey", "")
        vocab.previous_survey_id = int(wave) if wave.isdigit() and len(wave) < 10 else None
        return render(
            request,
            "staff/analysis_vocabulary.html",
            status_code=422,
            survey=await get_definition(slug),
            vocab=vocab,
            saved=False,
        )
    return redirect(_url(slug) + "?saved=1")


routes: list[BaseRoute] = [
    Route("/staff/surveys/{slug}/analysis/vocabulary", page, methods=["GET"]),
    Route("/staff/surveys/{slug}/analysis/vocabulary", save, methods=["POST"]),
]
