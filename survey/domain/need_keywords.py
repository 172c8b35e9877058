"""Needs' keywords as residents spelt them: the analysis gives them accents folded
("creche", "medecin"), for its features; shown to staff, they take back the accents the
need's own answers write ("crèche", "médecin")."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from analysis.text import fold_accents
from survey.domain.needs import NeedView

_WORD = re.compile(r"[^\W\d_]+")


# Endings a keyword's lemma may carry in an answer: plural, feminine.
_ENDINGS = ("", "s", "x", "e", "es")


def spellings(texts: Iterable[str]) -> dict[str, Counter[str]]:
    """Accented words of ``texts`` by their folded form, with how often each is written."""
    found: dict[str, Counter[str]] = {}
    for text in texts:
        for word in _WORD.findall(text.lower()):
            if not word.isascii():
                found.setdefault(fold_accents(word), Counter())[word] += 1
    return found


def accented(keywords: Sequence[str], *sources: dict[str, Counter[str]]) -> list[str]:
    """Each keyword spelt as the most frequent accented word of the first of ``sources``
    (from ``spellings``) that writes it, alone or with a plural or feminine ending
    ("médecins" gives "médecin"); kept as it is when none does, or when it has accents."""
    out = []
    for keyword in keywords:
        spelt = keyword
        for source in sources if keyword.isascii() else ():
            heads: Counter[str] = Counter()
            for ending in _ENDINGS:
                for word, count in source.get(keyword + ending, Counter()).items():
                    # Folding maps these letters one for one: the head spells the keyword.
                    if fold_accents(word[: len(keyword)]) == keyword:
                        heads[word[: len(keyword)]] += count
            if heads:
                spelt = heads.most_common(1)[0][0]
                break
        out.append(spelt)
    return out


def accent_needs(needs: Sequence[NeedView], answers: Iterable[dict[str, Any]]) -> list[NeedView]:
    """``needs`` with their keywords accented as their own answers write them, else as the
    other answers do (``answers``: ``answer_points`` rows, each answer's main need and
    masked text)."""
    texts: dict[int, list[str]] = {}
    for answer in answers:
        texts.setdefault(int(answer["need"]) if answer["need"] is not None else -1, []).append(
            str(answer["text"])
        )
    everywhere = spellings(t for group in texts.values() for t in group)
    return [
        dataclasses.replace(
            n, keywords=accented(n.keywords, spellings(texts.get(n.id, [])), everywhere)
        )
        for n in needs
    ]
