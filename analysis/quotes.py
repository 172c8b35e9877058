"""Quotes that are about their need: the central answers that share its words.

The analysis gives each need its answers closest to the centre. A centre can sit near an
answer that says little ("je sais pas trop") or that speaks of something else in the same
words' neighbourhood; shown as a quote under a need's name, such an answer misleads. A
quote is kept only when it shares a word stem with the need's name or keywords; when too
few central answers do, the need's other answers that do fill in, the most specific
(most shared stems, then closest to a readable length) first. The name says more than
the keywords: answers that share a word with the name come before those that share
only a keyword.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from spacy.lang.en.stop_words import STOP_WORDS as _ENGLISH_STOPS
from spacy.lang.fr.stop_words import STOP_WORDS as _FRENCH_STOPS

from analysis.text import fold_accents

_WORD = re.compile(r"[a-z0-9]+")
_STEM = 5
_READABLE = 120


# Words that tie any two answers together ("plus", "les", "pour"): no topic.
_STOPS = frozenset(fold_accents(w) for w in _FRENCH_STOPS | _ENGLISH_STOPS)


def stems(text: str) -> set[str]:
    """Accent-folded word stems of three letters or more (first five letters), stop
    words left out."""
    return {w[:_STEM] for w in _WORD.findall(fold_accents(text)) if len(w) >= 3 and w not in _STOPS}


def about_quotes(
    texts: Sequence[str],
    central: Sequence[int],
    members: Sequence[int],
    name: str,
    keywords: Sequence[str],
    k: int = 3,
) -> tuple[int, ...]:
    """Up to ``k`` positions of ``texts`` to quote for a need.

    ``central``: the analysis's quotes, most central first; ``members``: every answer of
    the need; ``name`` and ``keywords`` say what the need is about. Central answers that
    share a stem with the name come first, in their order; other members sharing one
    next; then, when too few do, the same with the keywords' stems.
    """
    named = stems(name)
    topic = named | {s for word in keywords for s in stems(word)}
    if not topic:
        return tuple(central[:k])
    chosen: list[int] = []
    for words in (named, topic):
        if not words or len(chosen) >= k:
            continue

        def shared(i: int, words: set[str] = words) -> int:
            return len(stems(texts[i]) & words)

        taken = set(chosen)
        chosen += [i for i in central if i not in taken and shared(i) > 0][: k - len(chosen)]
        taken = set(chosen)
        others = sorted(
            (i for i in members if i not in taken and shared(i) > 0),
            key=lambda i: (-shared(i), abs(len(texts[i]) - _READABLE), i),
        )
        chosen += others[: k - len(chosen)]
    return tuple(chosen)
