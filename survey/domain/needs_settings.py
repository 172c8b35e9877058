"""A survey's own analysis settings: its vocabulary of themes and its previous wave.

Staff start from the built-in vocabulary (``analysis/data/themes.json``) and add, rename
or remove themes and their seed terms for their survey; the next analysis takes that
vocabulary as guidance. Seed terms are typed one pair a line, ``français = English``
(either side may be left out). A survey may follow an earlier one (its previous wave):
its first analysis then carries on the earlier survey's needs.

The page hands its form over as a typed ``VocabularyEdit``; errors are keyed by where they
are in it: ``rows.<index>.label_fr`` (``label_en``, ``terms``), ``rows`` for the themes as a
whole, ``previous_survey``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from analysis.text import fold_accents
from analysis.themes import Theme, VocabularyError, load_vocabulary, parse_vocabulary
from survey.domain.definitions import get_definition
from survey.domain.forms import FieldError
from survey.domain.staff_forms import InvalidFields, Unread
from survey.models.core import Survey
from survey.models.needs import AnalysisSettings

MAX_THEMES = 40
MAX_TERMS = 80
MAX_TERM = 80
MAX_LABEL = 200


class InvalidVocabulary(InvalidFields):
    """Some values of a ``VocabularyEdit`` are wrong; ``errors`` maps where (``rows.3.terms``,
    ``rows``, ``previous_survey``) to the error, and ``params["rows"]`` gives the rows back
    as typed."""

    summary_key = "vocab.form_errors"


@dataclass(frozen=True)
class ThemeRow:
    """One theme as the form shows it: id, labels, the pairs typed one a line."""

    id: str
    label_fr: str
    label_en: str
    terms: str
    remove: bool = False


@dataclass(frozen=True)
class VocabularyEdit:
    """The vocabulary and previous wave as staff typed them: the themes in the page's order
    (the new one, if any, last) and the earlier survey, ``Unread`` when the choice is no id."""

    rows: tuple[ThemeRow, ...]
    previous_survey: int | Unread | None = None


@dataclass
class VocabularyForm:
    """The vocabulary page: themes, whether they are the built-in ones, the wave; ``errors``
    are left for the page to fill, under its own field names, when a save is refused."""

    rows: list[ThemeRow]
    custom: bool
    previous_survey_id: int | None
    surveys: list[tuple[int, str]] = field(default_factory=list)
    errors: dict[str, FieldError] = field(default_factory=dict)


def _terms_text(theme: Theme) -> str:
    return "\n".join(f"{fr} = {en}" if en else fr if fr else f"= {en}" for fr, en in theme.terms)


def _rows(themes: tuple[Theme, ...]) -> list[ThemeRow]:
    return [
        ThemeRow(
            id=t.id,
            label_fr=dict(t.labels).get("fr", ""),
            label_en=dict(t.labels).get("en", ""),
            terms=_terms_text(t),
        )
        for t in themes
    ]


async def _settings(survey_id: int) -> AnalysisSettings | None:
    return await AnalysisSettings.get_or_none(survey_id=survey_id)


async def survey_vocabulary(survey_id: int) -> tuple[Theme, ...] | None:
    """The survey's own vocabulary, or None for the built-in one."""
    settings = await _settings(survey_id)
    if settings is None or settings.vocabulary is None:
        return None
    try:
        return parse_vocabulary(settings.vocabulary)
    except VocabularyError:
        # Saved through the form, so valid; a hand-edited row falls back to the default.
        return None


async def vocabulary_form(slug: str) -> VocabularyForm:
    """The vocabulary page of a survey: its own themes, or the built-in ones to start from."""
    definition = await get_definition(slug)
    settings = await _settings(definition.id)
    own = await survey_vocabulary(definition.id)
    return VocabularyForm(
        rows=_rows(own if own is not None else load_vocabulary()),
        custom=own is not None,
        previous_survey_id=getattr(settings, "previous_survey_id", None),
        surveys=await _other_surveys(definition.id),
    )


async def _other_surveys(survey_id: int) -> list[tuple[int, str]]:
    surveys = await Survey.exclude(id=survey_id).order_by("-created_at", "-id").limit(200)
    return [(s.id, s.title_fr or s.title_en or s.slug) for s in surveys]


_PAIR = re.compile(r"\s*=\s*")


def _parse_terms(text: str) -> list[tuple[str, str]]:
    """``français = English`` pairs, one a line; a line without ``=`` is French only."""
    pairs = []
    for line in text.splitlines():
        parts = _PAIR.split(line, maxsplit=1)
        french = " ".join(parts[0].split())
        english = " ".join(parts[1].split()) if len(parts) > 1 else ""
        if french or english:
            pairs.append((french, english))
    return pairs


def _new_id(label: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", fold_accents(label).lower()).strip("_")[:48] or "theme"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def _check(rows: tuple[ThemeRow, ...]) -> tuple[list[dict[str, Any]], dict[str, FieldError]]:
    errors: dict[str, FieldError] = {}
    themes: list[dict[str, Any]] = []
    taken = {r.id for r in rows if r.id}
    for i, row in enumerate(rows):
        if row.remove:
            continue
        prefix = f"rows.{i}."
        label_fr, label_en = " ".join(row.label_fr.split()), " ".join(row.label_en.split())
        if not label_fr:
            errors[prefix + "label_fr"] = FieldError("vocab.label_missing", {})
        for name, value in (("label_fr", label_fr), ("label_en", label_en)):
            if len(value) > MAX_LABEL:
                errors[prefix + name] = FieldError("vocab.label_long", {"max": MAX_LABEL})
        pairs = _parse_terms(row.terms)
        if not any(fr or en for fr, en in pairs):
            errors[prefix + "terms"] = FieldError("vocab.terms_missing", {})
        elif len(pairs) > MAX_TERMS:
            errors[prefix + "terms"] = FieldError("vocab.terms_many", {"max": MAX_TERMS})
        elif any(len(fr) > MAX_TERM or len(en) > MAX_TERM for fr, en in pairs):
            errors[prefix + "terms"] = FieldError("vocab.term_long", {"max": MAX_TERM})
        theme_id = row.id or _new_id(label_fr or label_en, taken)
        taken.add(theme_id)
        themes.append(
            {
                "id": theme_id,
                "label": {k: v for k, v in (("fr", label_fr), ("en", label_en)) if v},
                "terms": [[fr, en] for fr, en in pairs if fr or en],
            }
        )
    if not errors and not themes:
        errors["rows"] = FieldError("vocab.none_left", {})
    if len(themes) > MAX_THEMES:
        errors["rows"] = FieldError("vocab.too_many", {"max": MAX_THEMES})
    return themes, errors


async def save_vocabulary(slug: str, edit: VocabularyEdit) -> None:
    """Check and keep the survey's vocabulary and previous wave typed in the form."""
    definition = await get_definition(slug)
    themes, errors = _check(edit.rows)
    previous: int | None = None
    if edit.previous_survey is not None:
        others = {i for i, _ in await _other_surveys(definition.id)}
        if isinstance(edit.previous_survey, Unread) or edit.previous_survey not in others:
            errors["previous_survey"] = FieldError("vocab.bad_wave", {})
        else:
            previous = edit.previous_survey
    if not errors:
        try:
            parse_vocabulary({"themes": themes})
        except VocabularyError:
            errors["rows"] = FieldError("vocab.invalid", {})
    if errors:
        error = InvalidVocabulary(errors)
        error.params["rows"] = list(edit.rows)
        raise error
    # Unchanged from the built-in vocabulary: keep following it as it improves.
    vocabulary = (
        None if parse_vocabulary({"themes": themes}) == load_vocabulary() else {"themes": themes}
    )
    settings = await _settings(definition.id)
    if settings is None:
        await AnalysisSettings.create(
            survey_id=definition.id, vocabulary=vocabulary, previous_survey_id=previous
        )
    else:
        settings.vocabulary = vocabulary
        settings.previous_survey_id = previous
        await settings.save(update_fields=["vocabulary", "previous_survey_id", "updated_at"])


async def reset_vocabulary(slug: str) -> None:
    """Back to the built-in vocabulary (the previous wave stays)."""
    definition = await get_definition(slug)
    settings = await _settings(definition.id)
    if settings is not None:
        settings.vocabulary = None
        await settings.save(update_fields=["vocabulary", "updated_at"])
