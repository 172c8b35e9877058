"""Free-text answers as staff pages show them: contact details masked, on one line, clipped;
and the latest few answers to each free-text question under dashboard filters."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from analysis.masking import mask_personal_data, normalise_text
from survey.domain.dashboard_filters import Filters
from survey.domain.definitions import SurveyDef
from survey.domain.queries import responses
from survey.enums import QuestionKind

TEXT_SAMPLES = 3
TEXT_LIMIT = 300


async def recent_texts(
    definition: SurveyDef, filters: Filters, zone: ZoneInfo, limit: int = TEXT_SAMPLES
) -> dict[str, list[str]]:
    """The latest few answers to each free-text question under ``filters``."""
    codes = [
        q.code
        for q in definition.questions
        if q.kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT) and not q.personal_data
    ]
    if not codes:
        return {}
    found: dict[str, list[str]] = {}
    for r in await responses.latest_texts_under_filters(definition, filters, zone, codes, limit):
        found.setdefault(r.code, []).append(shown_text(r.text or ""))
    return found


# Longer than any phone number or address: one cut this far past the limit cannot leave a
# visible part of either unmasked.
_MASK_MARGIN = 128


def shown_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """A resident's words as staff pages show them: contact details masked, on one line,
    clipped to ``limit`` characters."""
    flat = " ".join(normalise_text(text).split())
    masked = mask_personal_data(flat[: limit + _MASK_MARGIN])
    return masked if len(masked) <= limit else masked[: limit - 1].rstrip() + "…"
