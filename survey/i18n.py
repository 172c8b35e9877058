"""The message catalogue: gettext ``.po`` files per language (one per area), keyed by id.

French is the default language; English is complete (a test checks both have every key).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from babel.messages.pofile import read_po

from survey.resources import locale_dir

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LOCALE_DIR = locale_dir()


@cache
def catalogue(language: str) -> dict[str, str]:
    """Message id → text for ``language``, from every ``.po`` file (one per area) of it."""
    messages: dict[str, str] = {}
    for path in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            po = read_po(handle, locale=language)
        for m in po:
            if m.id and isinstance(m.id, str):
                if m.id in messages:
                    raise ValueError(f"message {m.id!r} is defined twice ({path.name})")
                messages[m.id] = str(m.string)
    return messages


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
