"""The builder's forms read into the domain's commands, and the domain's field errors put
back under the names of the fields they are about, so the page shows each one next to its
field with what was typed."""

from __future__ import annotations

from collections.abc import Mapping

from survey.domain.builder import NewSurvey, SurveySettings, Texts, Unreadable
from survey.domain.forms import FieldError

# A command's attribute (``title.fr``) is the field ``title_fr`` unless named here.
_FIELDS: dict[str, str] = {}


def field_errors(errors: Mapping[str, FieldError]) -> dict[str, FieldError]:
    """The domain's errors keyed by the form fields they belong next to."""
    return {_FIELDS.get(name, name.replace(".", "_")): error for name, error in errors.items()}


def texts(values: Mapping[str, str], name: str) -> Texts:
    """The French and English fields ``NAME_fr`` and ``NAME_en``."""
    return Texts(values.get(f"{name}_fr", ""), values.get(f"{name}_en", ""))


def _whole(text: str) -> int | Unreadable | None:
    """A whole number of days typed (empty: none)."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        return Unreadable(text)
    try:
        return int(text)
    except ValueError:  # more digits than Python converts
        return Unreadable(text)


def new_survey(values: Mapping[str, str]) -> NewSurvey:
    return NewSurvey(
        slug=values.get("slug", ""),
        title=texts(values, "title"),
        template=values.get("template", ""),
    )


def survey_settings(values: Mapping[str, str]) -> SurveySettings:
    resume_days = _whole(values.get("resume_days", ""))
    return SurveySettings(
        title=texts(values, "title"),
        description=texts(values, "description"),
        consent=texts(values, "consent"),
        access_mode=values.get("access_mode", "").strip() or "open",
        resume_days=30 if resume_days is None else resume_days,
        retention_days=_whole(values.get("retention_days", "")),
    )
