"""The message catalogue: one gettext ``.po`` file per language, keyed by message id.

French is the default language; English is complete (a test checks both have every key).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LOCALE_DIR = Path(__file__).parent / "locale"


@cache
def catalogue(language: str) -> dict[str, str]:
    """Message id → text for ``language``."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        po = read_po(handle, locale=language)
    return {str(m.id): str(m.string) for m in po if m.id and isinstance(m.id, str)}


def normalise(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def translate(language: str, key: str, **params: Any) -> str:
    """The text of ``key`` in ``language``, formatted with ``params``.

    A missing key shows the key itself, so a gap is visible but never crashes a page.
    """
    text = catalogue(normalise(language)).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**params) if params else text


def pick(texts: dict[str, str] | None, language: str) -> str:
    """Choose the text in ``language`` from a ``{"fr": ..., "en": ...}`` mapping."""
    if not texts:
        return ""
    return texts.get(language) or texts.get(DEFAULT_LANGUAGE) or next(iter(texts.values()), "")
