"""The vocabulary of local social needs: themes, each with French and English seed terms.

The built-in vocabulary (``analysis/data/themes.json``) follows the domains of a commune's
*analyse des besoins sociaux*. Staff may pass their own file in the same format: a list of
themes, each with an ``id``, a ``label`` per language and ``terms``, a list of
``[french, english]`` pairs where either side may be empty. The terms guide the grouping
and translate English answers towards the French needs; they never limit it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from analysis.text import Language


class VocabularyError(ValueError):
    """A vocabulary file that cannot be used; the message says what is wrong."""


@dataclass(frozen=True)
class Theme:
    """One theme of the vocabulary: its id, its label per language, its seed term pairs."""

    id: str
    labels: tuple[tuple[str, str], ...]
    terms: tuple[tuple[str, str], ...]

    def label(self, language: Language) -> str:
        """The theme's label in ``language``, else in the other language, else its id."""
        names = dict(self.labels)
        return names.get(language) or next((n for n in names.values() if n), self.id)

    def seeds(self, language: Language) -> list[str]:
        """The seed terms of one language (``"fr"``: first of each pair)."""
        side = 0 if language == "fr" else 1
        return [pair[side] for pair in self.terms if pair[side]]


def _theme(raw: Any, position: int) -> Theme:
    if not isinstance(raw, dict):
        raise VocabularyError(f"theme {position + 1} is not an object")
    theme_id = str(raw.get("id") or "").strip()
    if not theme_id:
        raise VocabularyError(f"theme {position + 1} has no id")
    labels = raw.get("label") or {}
    if isinstance(labels, str):
        labels = {"fr": labels}
    if not isinstance(labels, dict) or not any(str(v).strip() for v in labels.values()):
        raise VocabularyError(f"theme {theme_id!r} has no label")
    terms = []
    for pair in raw.get("terms") or []:
        if isinstance(pair, str):
            pair = [pair, ""]
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise VocabularyError(f"theme {theme_id!r}: a term must be [french, english]")
        french, english = (str(p or "").strip() for p in pair)
        if french or english:
            terms.append((french, english))
    if not terms:
        raise VocabularyError(f"theme {theme_id!r} has no seed term")
    return Theme(
        id=theme_id,
        labels=tuple((str(k), " ".join(str(v).split())) for k, v in labels.items() if v),
        terms=tuple(terms),
    )


def parse_vocabulary(data: Any) -> tuple[Theme, ...]:
    """Check a vocabulary (``{"themes": [...]}`` or a bare list) and return its themes."""
    raw = data.get("themes") if isinstance(data, dict) else data
    if not isinstance(raw, list):
        raise VocabularyError('a vocabulary is a list of themes (or {"themes": [...]})')
    themes = tuple(_theme(item, i) for i, item in enumerate(raw))
    ids = [t.id for t in themes]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise VocabularyError(f"theme ids used twice: {', '.join(duplicates)}")
    return themes


def load_vocabulary(path: Path | str | None = None) -> tuple[Theme, ...]:
    """Read a vocabulary file, or the built-in one when ``path`` is None."""
    try:
        if path is None:
            text = resources.files("analysis").joinpath("data/themes.json").read_text("utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, UnicodeDecodeError) as error:
        raise VocabularyError(f"cannot read the vocabulary: {error}") from error
    except json.JSONDecodeError as error:
        raise VocabularyError(f"the vocabulary is not valid JSON: {error}") from error
    return parse_vocabulary(data)
