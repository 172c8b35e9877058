"""The message catalogue: gettext ``.po`` files per language (one per area), keyed by id.

French is the default language; English is complete (a test checks both have every key).
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache
from typing import Any

from babel.messages.pofile import read_po

from survey.resources import locale_dir

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LOCALE_DIR = locale_dir()
# gettext's plural rules: French says « 0 réponse, 1 réponse, 2 réponses », English "0 answers".
# (CLDR's extra French form for round millions is left out: two forms per message.)
PLURAL_RULES = {"fr": "n > 1", "en": "n != 1"}


@cache
def _read(language: str) -> tuple[dict[str, str], dict[str, tuple[str, ...]], Callable[[int], int]]:
    """Every ``.po`` file of ``language``: plain messages, plural messages, plural rule."""
    messages: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    rule: Callable[[int], int] = gettext.c2py(PLURAL_RULES[language])
    for path in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            po = read_po(handle, locale=language)
        for m in po:
            key = m.id[0] if isinstance(m.id, tuple) else m.id
            if not key or not isinstance(key, str):
                continue
            if key in messages:
                raise ValueError(f"message {key!r} is defined twice ({path.name})")
            if isinstance(m.string, tuple):
                plurals[key] = tuple(str(form) for form in m.string[:2])
                messages[key] = plurals[key][-1]
            else:
                messages[key] = str(m.string)
    return messages, plurals, rule


def catalogue(language: str) -> dict[str, str]:
    """Message id → text for ``language``, from every ``.po`` file (one per area) of it.

    A plural message appears here by its last form (its plural); ``translate`` chooses."""
    return _read(language)[0]


def plural_forms(language: str) -> dict[str, tuple[str, ...]]:
    """Message id → its forms, for the messages that depend on a count ``n``."""
    return _read(language)[1]


def normalise(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def translate(language: str, key: str, **params: Any) -> str:
    """The text of ``key`` in ``language``, formatted with ``params``.

    A plural message (``msgid_plural`` in the catalogue) takes the form that the language's
    plural rule gives for the count ``n``. A missing key shows the key itself, so a gap is
    visible but never crashes a page. A parameter given as ``{"fr": ..., "en": ...}`` is
    shown in ``language`` (a choice's label, a date written the reader's way).
    """
    language = normalise(language)
    params = {k: pick(v, language) if isinstance(v, dict) else v for k, v in params.items()}
    messages, plurals, rule = _read(language)
    if key not in messages:
        messages, plurals, rule = _read(DEFAULT_LANGUAGE)
    forms = plurals.get(key)
    if forms is not None and "n" in params:
        index = rule(int(params["n"]))
        text = forms[min(index, len(forms) - 1)]
    else:
        text = messages.get(key) or key
    return text.format(**params) if params else text


def pick(texts: dict[str, str] | None, language: str) -> str:
    """Choose the text in ``language`` from a ``{"fr": ..., "en": ...}`` mapping."""
    if not texts:
        return ""
    return texts.get(language) or texts.get(DEFAULT_LANGUAGE) or next(iter(texts.values()), "")
