"""Staff page of a survey's vocabulary of themes (and its previous wave).

The form's names live here: ``count`` (themes shown), ``theme-N-id``, ``theme-N-label_fr``,
``theme-N-label_en``, ``theme-N-terms``, ``theme-N-remove`` (the row ``count`` being the new
theme) and ``previous_survey``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from survey.domain import needs_settings as domain
from survey.domain.definitions import get_definition
from survey.domain.forms import FieldError, RawForm
from survey.domain.staff_forms import ID, Unread
from survey.web.common import STAFF, access, form_values, read_form, redirect, render


def _flat(raw: RawForm) -> dict[str, str]:
    return {k: (v[0] if isinstance(v, list) and v else str(v or "")) for k, v in raw.items()}


def _url(slug: str) -> str:
    return f"/staff/surveys/{slug}/analysis/vocabulary"


def _rows(raw: dict[str, str]) -> tuple[domain.ThemeRow, ...]:
    """The themes typed in the form, the new one last (left out when left blank)."""
    count = int(raw.get("count", "0")) if raw.get("count", "").isdigit() else 0
    rows = []
    for i in range(min(count, domain.MAX_THEMES + 1) + 1):
        prefix = f"theme-{i}-"
        row = domain.ThemeRow(
            id=raw.get(prefix + "id", "").strip(),
            label_fr=raw.get(prefix + "label_fr", ""),
            label_en=raw.get(prefix + "label_en", ""),
            terms=raw.get(prefix + "terms", ""),
            remove=raw.get(prefix + "remove", "") == "1",
        )
        if i == count and not (row.label_fr.strip() or row.label_en.strip() or row.terms.strip()):
            continue
        rows.append(row)
    return tuple(rows)


def _edit(raw: dict[str, str]) -> domain.VocabularyEdit:
    wave = raw.get("previous_survey", "").strip()
    previous: int | Unread | None = None
    if wave:
        previous = int(wave) if ID.match(wave) else Unread(wave)
    return domain.VocabularyEdit(_rows(raw), previous)


def _field(name: str) -> str:
    """The id, on the page, of the field a ``VocabularyEdit`` error is about."""
    if name == "rows":
        return "themes"
    if name.startswith("rows."):
        _, index, attribute = name.split(".", 2)
        return f"theme-{index}-{attribute}"
    return name


def _field_errors(exc: domain.InvalidVocabulary) -> dict[str, FieldError]:
    return {_field(name): error for name, error in exc.errors.items()}


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
    edit = _edit(raw)
    try:
        await domain.save_vocabulary(slug, edit)
    except domain.InvalidVocabulary as exc:
        vocab = await domain.vocabulary_form(slug)
        vocab.rows = exc.params.get("rows", vocab.rows)
        vocab.errors = _field_errors(exc)
        previous = edit.previous_survey
        vocab.previous_survey_id = previous if isinstance(previous, int) else None
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
