"""Labels and quotes that a person would write: short phrases taken from the answers.

A group's label is the short segment (a few words, in the survey's language) that best
stands for it: near the group's centre and sharing its words with many of its members,
cleaned of a leading article and of shouting ("Des bus le soir !!!" becomes "Bus le
soir"). When no member wrote anything short, the shortest clause of the most central one
is used. No two groups get the same label.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator

from analysis.text import Language, fold_accents, normalise

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

# Openings that carry nothing of the need: articles and "what I lack is".
_OPENINGS = re.compile(
    r"^(?:(?:il|ça|ca)\s+(?:nous\s+)?(?:manque|faudrait|faut)\s+|ce qui (?:me|nous) manque"
    r"(?:\s+le plus)?,?\s+(?:c'est|ce sont)\s+|(?:il\s+)?(?:y\s+a\s+)?(?:pas\s+assez|manque)"
    r"\s+d[e']\s*|j'aimerais\s+|on\s+voudrait\s+|we\s+need\s+|more\s+)?"
    r"(?:(?:des|les|le|la|l'|l’|un|une|du|de la|de l'|d'|the|a|an|some)\s+)?",
    re.IGNORECASE,
)
_TRAILING = re.compile(r"[\s.!?;:,…)\"'«»-]+$")
# A sign left at the start once its amount is cut off ("€ par mois") goes too.
_LEADING = re.compile(r"^[\s\-•*–(\"'«»€$£%+=#~/]*(?:\d{1,2}[).]\s*)?[\s\-•*–(\"'«»€$£%+=#~/]*")
_MAX_WORDS = 6


def clean_phrase(text: str) -> str:
    """Trim a segment into a label: no list mark, opening article, shouting or end marks."""
    phrase = " ".join(text.split())
    phrase = _TRAILING.sub("", _LEADING.sub("", phrase))
    stripped = _OPENINGS.sub("", phrase, count=1)
    phrase = stripped if stripped.strip() else phrase
    letters = [c for c in phrase if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) > 0.6 * len(letters):
        phrase = phrase.lower()
    phrase = phrase.strip()
    return phrase[:1].upper() + phrase[1:]


def _key(label: str) -> str:
    # "Place en crèche" and "Places en crèche" are the same label.
    return " ".join(w[:-1] if len(w) > 3 and w[-1] in "sx" else w for w in normalise(label).split())


class PhraseLabeler(BaseEstimator):
    """Pick a label for each group from its members' segments.

    ``fit(segments, groups, rows, centres, languages, language)``: ``segments`` the segment
    texts, ``groups`` each segment's group (-1: none), ``rows`` their normalised feature
    rows, ``centres`` one row per group, ``languages`` each segment's language and
    ``language`` the survey's. Candidates are the short segments of the ``n_central``
    members nearest the centre, and the noun phrases inside them ("places en crèche");
    where the language model tags words, a candidate must read as a name (no conjugated
    verb, no pronoun, not opening on a conjunction). ``support_weight`` weighs how many
    members share the candidate's words against how central it is.
    """

    def __init__(
        self, support_weight: float = 0.5, max_words: int = _MAX_WORDS, n_central: int = 40
    ) -> None:
        self.support_weight = support_weight
        self.max_words = max_words
        self.n_central = n_central

    def fit(
        self,
        segments: Sequence[str],
        groups: np.ndarray,
        rows: np.ndarray,
        centres: np.ndarray,
        languages: Sequence[Language],
        language: Language,
        lemmas: Sequence[Sequence[str]] | None = None,
        taken: Sequence[str] = (),
    ) -> PhraseLabeler:
        groups = np.asarray(groups)
        used = {_key(t) for t in taken}
        sizes = {int(g): int((groups == g).sum()) for g in np.unique(groups) if g >= 0}
        central: dict[int, np.ndarray] = {}
        for group in sizes:
            members = np.flatnonzero(groups == group)
            order = np.argsort(-(rows[members] @ centres[group]), kind="stable")
            central[group] = members[order]
        wanted = sorted(
            {
                int(i)
                for group in central
                for i in central[group][: self.n_central]
                if languages[i] == language
            }
        )
        cleaned = {i: clean_phrase(segments[i]) for i in wanted}
        short = [i for i in wanted if 0 < len(cleaned[i].split()) <= self.max_words]
        # One batch through the tagger: the segments, then the short ones once cleaned.
        tagged = _tagged([segments[i] for i in wanted] + [cleaned[i] for i in short], language)
        docs = dict(zip(wanted, tagged[: len(wanted)], strict=True))
        names = dict(zip(short, tagged[len(wanted) :], strict=True))
        labels: dict[int, str] = {}
        # Larger groups choose first: the common phrase goes to the group most about it.
        for group in sorted(sizes, key=lambda g: (-sizes[g], g)):
            members = central[group]
            bags = [set(lemmas[i]) if lemmas is not None else set() for i in members]
            closeness = rows[members] @ centres[group]
            scored: dict[str, float] = {}
            for position, index in enumerate(members[: self.n_central]):
                if int(index) not in docs:
                    continue
                whole = names.get(int(index))
                for phrase, bag in _phrases(cleaned[int(index)], whole, docs[int(index)]):
                    if not phrase[:1].isalnum():
                        # "€ par mois": a label opens on a word or a number, not a sign.
                        continue
                    support = sum(1 for other in bags if bag & other) / len(bags)
                    score = float(closeness[position]) + self.support_weight * support
                    if len(phrase.split()) == 1:
                        # One bare word reads like a keyword: a last resort.
                        score -= 0.15
                    if scored.get(phrase, -np.inf) < score:
                        scored[phrase] = score
            ranked = sorted(scored, key=lambda p: (-scored[p], len(p), p))
            label = next((c for c in ranked if _key(c) not in used), "")
            if not label:
                label = self._fallback(segments, members, closeness, used)
            used.add(_key(label))
            labels[group] = label
        self.labels_ = labels
        return self

    @staticmethod
    def _fallback(
        segments: Sequence[str], members: np.ndarray, closeness: np.ndarray, used: set[str]
    ) -> str:
        for index in members[np.argsort(-closeness, kind="stable")]:
            clauses = re.split(r"[,:;()]", segments[index])
            for clause in sorted(clauses, key=lambda c: len(c.split())):
                phrase = clean_phrase(clause)
                words = phrase.split()
                if len(words) >= 2:
                    phrase = " ".join(words[:8]) + ("…" if len(words) > 8 else "")
                    if _key(phrase) not in used:
                        return phrase
        return clean_phrase(segments[members[0]]) if len(members) else ""


# Parts of speech a name can open with, and those it may not hold at all.
_OPENERS = frozenset({"NOUN", "PROPN", "ADJ", "ADV", "VERB", "NUM"})
_BARRED = frozenset({"PRON", "SCONJ", "INTJ"})


def _tagged(texts: Sequence[str], language: Language) -> list[Doc]:
    """The texts run through the full pipeline of ``language`` (tags where it has them)."""
    if not texts:
        return []
    from analysis.text import load_pipeline

    nlp = load_pipeline(language)
    return list(nlp.pipe(texts, batch_size=256))


def _reads_as_name(doc: Doc) -> bool:
    tokens = [t for t in doc if not t.is_punct and not t.is_space]
    if not tokens:
        return False
    if not any(t.pos_ for t in tokens):
        return True  # no tagger for this language: nothing to check
    if tokens[0].pos_ not in _OPENERS:
        return False
    for token in tokens:
        if token.pos_ in _BARRED:
            return False
        if token.pos_ in {"VERB", "AUX"} and "Fin" in token.morph.get("VerbForm", []):
            return False
    return True


def _phrases(phrase: str, whole: Doc | None, doc: Doc) -> list[tuple[str, set[str]]]:
    """Label candidates in one segment: itself when short (``whole``, tagged once cleaned)
    and reading as a name, and the noun phrases of its tagged ``doc``."""
    found: list[tuple[str, set[str]]] = []
    if whole is not None and _reads_as_name(whole):
        found.append((phrase, _content(whole)))
    tokens = list(doc)
    i = 0
    while i < len(tokens):
        if tokens[i].pos_ != "NOUN":
            i += 1
            continue
        end = i + 1
        while end < len(tokens) and tokens[end].pos_ == "ADJ":
            end += 1
        # "places en crèche", "garde d'enfants": one linked noun (and its adjectives).
        link = end
        if link < len(tokens) and tokens[link].pos_ == "ADP":
            nxt = link + 1
            if nxt < len(tokens) and tokens[nxt].pos_ == "DET":
                nxt += 1
            if nxt < len(tokens) and tokens[nxt].pos_ == "NOUN":
                end = nxt + 1
                while end < len(tokens) and tokens[end].pos_ == "ADJ":
                    end += 1
        span = doc[i:end]
        if end - i >= 2:
            text = span.text
            found.append((clean_phrase(text), _content(span)))
        i = end
    return found


def _content(tokens: Iterable[Token]) -> set[str]:
    return {
        fold_accents(t.lemma_ or t.text)
        for t in tokens
        if not (t.is_stop or t.is_punct or t.is_space or t.like_num)
    }


def central_quotes(
    texts: Sequence[str],
    members: np.ndarray,
    rows: np.ndarray,
    centre: np.ndarray,
    n_quotes: int = 3,
) -> tuple[int, ...]:
    """Positions of the ``n_quotes`` members nearest ``centre``, skipping repeated texts."""
    if not len(members):
        return ()
    order = members[np.argsort(-(rows[members] @ centre), kind="stable")]
    quotes: list[int] = []
    seen: set[str] = set()
    for index in order:
        key = " ".join(texts[index].lower().split())
        if key in seen:
            continue
        seen.add(key)
        quotes.append(int(index))
        if len(quotes) == n_quotes:
            break
    return tuple(quotes)
