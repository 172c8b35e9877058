"""Ready-made surveys in French and English that staff start from, kept as Parlons JSON."""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from typing import Any

from survey.domain.builder import Invalid, NewSurvey, clip, create_blank_survey
from survey.domain.definitions import SLUG_RE, create_survey_from_definition
from survey.domain.forms import FieldError
from survey.errors import SurveyError
from survey.resources import fixtures_dir

TEMPLATES_DIR = fixtures_dir() / "templates"


@dataclass(frozen=True)
class Template:
    name: str
    title: dict[str, str]
    description: dict[str, str]
    questions: int
    definition: dict[str, Any]


@functools.cache
def _load() -> dict[str, Template]:
    found: dict[str, Template] = {}
    for path in sorted(TEMPLATES_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[path.stem] = Template(
            name=path.stem,
            title=data["title"],
            description=data.get("description") or {},
            questions=sum(len(s.get("questions") or []) for s in data["sections"]),
            definition=data,
        )
    return found


def list_templates() -> list[Template]:
    return list(_load().values())


async def create_survey(command: NewSurvey) -> str:
    """A new draft survey, blank or copied from the template it names."""
    if not command.template:
        return await create_blank_survey(command)
    template = _load().get(command.template)
    if template is None:
        raise Invalid({"template": FieldError("builder.template_unknown", {})})
    slug = command.slug.strip().lower()
    errors: dict[str, FieldError] = {}
    if not SLUG_RE.match(slug):
        errors["slug"] = FieldError("builder.slug_invalid", {})
    if errors:
        raise Invalid(errors)
    data = copy.deepcopy(template.definition)
    data.update(slug=slug, status="draft")
    title_fr = clip(command.title.fr, 200)
    if title_fr:
        data["title"] = {"fr": title_fr, "en": clip(command.title.en, 200)}
    try:
        await create_survey_from_definition(data)
    except SurveyError as exc:
        if exc.key == "error.slug_taken":
            raise Invalid({"slug": FieldError("builder.slug_taken", {"slug": slug})}) from exc
        raise
    return slug
