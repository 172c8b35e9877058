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


def accented(keywords: Sequence[str], texts: Iterable[str]) -> list[str]:
    """Each keyword spelt as the most frequent form of ``texts`` that folds to it (or
    starts with it, for a plural or a feminine: "médecins" gives "médecin"); kept as it
    is when no form does, or when it has accents already."""
    wanted = {k for k in keywords if k.isascii()}
    if not wanted:
        return list(keywords)
    forms: dict[str, Counter[str]] = {}
    for text in texts:
        for word in _WORD.findall(text.lower()):
            if word.isascii():
                continue
            for keyword in wanted:
                head = word[: len(keyword)]
                # Folding maps these letters one for one: the head's fold is the keyword.
                if len(word) <= len(keyword) + 2 and fold_accents(head) == keyword:
                    forms.setdefault(keyword, Counter())[head] += 1
    return [forms[k].most_common(1)[0][0] if k in forms else k for k in keywords]


def accent_needs(needs: Sequence[NeedView], answers: Iterable[dict[str, Any]]) -> list[NeedView]:
    """``needs`` with their keywords accented from their answers (``answer_points`` rows:
    each answer's main need and masked text)."""
    texts: dict[int, list[str]] = {}
    for answer in answers:
        if answer["need"] is not None:
            texts.setdefault(int(answer["need"]), []).append(str(answer["text"]))
    return [
        dataclasses.replace(n, keywords=accented(n.keywords, texts.get(n.id, []))) for n in needs
    ]
