"""Labels and quotes that a person would write: short phrases taken from the answers.

A group's label is the short segment (a few words, in the survey's language) that best
stands for it: near the group's centre and sharing its words with many of its members,
cleaned of a leading article and of shouting ("Des bus le soir !!!" becomes "Bus le
soir"). When no member wrote anything short, the shortest clause of the most central one
is used. No two groups get the same label.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from analysis.text import Language, fold_accents, normalise

# Openings that carry nothing of the need: articles and "what I lack is".
_OPENINGS = re.compile(
    r"^(?:(?:il|ça|ca)\s+(?:nous\s+)?(?:manque|faudrait|faut)\s+|ce qui (?:me|nous) manque"
    r"(?:\s+le plus)?,?\s+(?:c'est|ce sont)\s+|(?:il\s+)?(?:y\s+a\s+)?(?:pas\s+assez|manque)"
    r"\s+d[e']\s*|(?:plus|pas)\s+d[e']\s*|j'aimerais\s+|on\s+voudrait\s+|we\s+need\s+|more\s+)?"
    r"(?:(?:des|les|le|la|un|une|du|de la|the|a|an|some)\s+|(?:de l['’]|l['’]|d['’])\s*)?",
    re.IGNORECASE,
)
_TRAILING = re.compile(r"[\s.!?;:,…)\"'«»-]+$")
# Politeness closes an answer but names nothing: "Des bus svp" is "Des bus".
_POLITE = re.compile(
    r"(?:[\s,]+(?:svp|stp|s'il vous pla[iî]t|s'il te pla[iî]t|please|merci|thanks|pls|plz))+$",
    re.IGNORECASE,
)
_POLITE_WORDS = frozenset("svp stp please merci thanks pls plz".split())
# A sign left at the start once its amount is cut off ("€ par mois") goes too.
_LEADING = re.compile(r"^[\s\-•*–(\"'«»€$£%+=#~/]*(?:\d{1,2}[).]\s*)?[\s\-•*–(\"'«»€$£%+=#~/]*")
_MAX_WORDS = 6


def clean_phrase(text: str, shouted: str | None = None) -> str:
    """Trim a segment into a label: no list mark, opening article, shouting or end marks.

    Shouting is read on ``shouted`` when given (the whole answer a phrase was taken
    from): "CAF" taken from a calm answer is an acronym and keeps its capitals; lowered,
    it would read as a truncated "café"."""
    phrase = " ".join(text.split())
    phrase = _TRAILING.sub("", _LEADING.sub("", phrase))
    phrase = _TRAILING.sub("", _POLITE.sub("", phrase)) or phrase
    stripped = _OPENINGS.sub("", phrase, count=1)
    phrase = stripped if stripped.strip() else phrase
    if _shouted(phrase if shouted is None else shouted):
        phrase = phrase.lower()
    phrase = phrase.strip()
    return phrase[:1].upper() + phrase[1:]


_ARTICLES = frozenset("le la les un une des du the".split())


def same_label(first: str, second: str) -> bool:
    """Whether two labels read as the same ("Place en crèche", "Places en crèche")."""
    return _key(first) == _key(second)


def label_support(label: str, texts: Sequence[str]) -> float:
    """The share of ``texts`` holding every word of ``label`` that names something (its
    nouns and adjectives, not its links, times or vague words), matched by stem."""
    words = {
        _stem(w)
        for w in normalise(label).split()
        if len(w) >= 3 and _fold(w) not in _OPENING_LINKS | _ARTICLES and _fold(w) not in _TIMES
    } - _VAGUE_STEMS
    if not words or not texts:
        return 1.0
    said = sum(1 for text in texts if words <= {_stem(w) for w in normalise(text).split()})
    return said / len(texts)


def _shouted(text: str) -> bool:
    """Written mostly in capitals: a shout, lowered in a label. A lone short word that
    is no French or English form ("CAF" cut from "la CAF, les impôts") is an acronym."""
    letters = [c for c in text if c.isalpha()]
    if not letters or sum(c.isupper() for c in letters) <= 0.6 * len(letters):
        return False
    word = text.strip(" .,;:!?()'\"«»").lower()
    if 2 <= len(word) <= 5 and word.isascii() and word.isalpha():
        from analysis.embedding import lexicon

        return lexicon().spelt(word, frequent=False)
    return True


def _key(label: str) -> str:
    # "Place en crèche" and "Places en crèche" are the same label.
    return " ".join(w[:-1] if len(w) > 3 and w[-1] in "sx" else w for w in normalise(label).split())


# Nouns that cannot name a need on their own: times, amounts and words every answer uses.
_TIMES = frozenset(
    "an annee jour journee soir soiree matin matinee nuit midi semaine mois heure h minute "
    "fois temps moment week end weekend lundi mardi mercredi jeudi vendredi samedi dimanche "
    "ete hiver automne printemps saison vacance horaire date depuis year day night week month "
    "hour minute time weekend evening morning".split()
)
_VAGUE = frozenset(
    "chose truc gens personne monde fois cas probleme besoin manque envie possibilite aide "
    "endroit lieu coin niveau genre sorte facon maniere type part cote peu plupart rien "
    "quartier ville commune people thing place area lot way kind fils fille mere pere mari "
    "femme maman papa enfant bebe famille parent voisin voisine ami monsieur madame an km "
    "metre euro eur ligne reponse passage aire coeur partie main solution question demande "
    "idee sujet point mal acces nothing moitie tiers quart totalite majorite reste".split()
)
# Nouns that complete nothing ("résidence personne" is a misread "personne ne vient").
_NOT_COMPLEMENTS = frozenset("perso chose truc rien monde cas".split())
# Modifiers kept with a head noun: adjectives, participles, a noun complement.
_MODIFIERS = frozenset({"amod", "acl", "nmod", "compound", "flat:name", "fixed"})


@functools.lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    # Called for every word of every candidate of every central segment: cached. The
    # plural mark goes first: a phrase's words ("soins") meet the lemmas ("soin").
    folded = _NOT_LETTERS.sub("", fold_accents(word))
    if len(folded) > 3 and folded[-1] in "sx":
        folded = folded[:-1]
    return folded[:5]


_NOT_LETTERS = re.compile(r"[^a-z0-9]+")
_VAGUE_STEMS = frozenset(_stem(w) for w in _VAGUE)


@dataclass(frozen=True)
class _Candidate:
    """A name built from one parsed segment: its text, its head's stem, its words' stems."""

    text: str
    head: str
    stems: frozenset[str]
    whole: bool = False


class PhraseLabeler(BaseEstimator):
    """Name each group by a noun phrase of its members: a head noun and its modifiers.

    ``fit(segments, groups, rows, centres, languages, language)``: ``segments`` the segment
    texts, ``groups`` each segment's group (-1: none), ``rows`` their normalised feature
    rows, ``centres`` one row per group, ``languages`` each segment's language and
    ``language`` the survey's. The ``n_central`` members nearest the centre, in the survey's
    language, are parsed; each noun (never a time, an amount or a vague word alone) gives
    candidates: the noun, the noun with its adjectives, with its complement ("place en
    crèche", "bus le soir"), and a whole short segment built around it. A candidate wins
    when its words are shared by the group and not by the others (class-based TF-IDF),
    weighed by how central its users are and by ``phrase_bonus`` for each modifier (up to
    two): "Épicerie solidaire" beats "Épicerie" when enough members say "solidaire". A bare
    noun that wins gives way to its most shared expansion (said by at least two members in
    a group of four or more: a word of one member never names a group), and a phrase
    takes a second complement of the same shape said by a share ``second_share`` as many
    ("Bus le soir et le dimanche"). A group whose members share no phrase is named by
    its most central short answer. Where the language has no parser, the candidates are
    short segments and runs of one to three content words ("Visa requirements", "Use of
    the Internet"). No two groups get the same label; larger groups choose first.
    """

    def __init__(
        self,
        support_weight: float = 0.5,
        max_words: int = _MAX_WORDS,
        n_central: int = 40,
        phrase_bonus: float = 0.4,
        second_share: float = 0.5,
    ) -> None:
        self.support_weight = support_weight
        self.max_words = max_words
        self.n_central = n_central
        self.phrase_bonus = phrase_bonus
        self.second_share = second_share

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
        bags = [
            {_stem(w) for w in (lemmas[i] if lemmas is not None else segments[i].split())}
            for i in range(len(segments))
        ]
        everywhere: Counter[str] = Counter(s for bag in bags for s in bag)
        mean_size = max(1.0, len(segments) / max(1, len(sizes)))
        central: dict[int, np.ndarray] = {}
        closeness: dict[int, np.ndarray] = {}
        for group in sizes:
            members = np.flatnonzero(groups == group)
            near = rows[members] @ centres[group]
            order = np.argsort(-near, kind="stable")
            central[group], closeness[group] = members[order], near[order]
        wanted = sorted(
            {
                int(i)
                for group in central
                for i in central[group][: self.n_central]
                if languages[i] == language
            }
        )
        parsed = dict(zip(wanted, _parsed([segments[i] for i in wanted], language), strict=True))
        labels: dict[int, str] = {}
        for group in sorted(sizes, key=lambda g: (-sizes[g], g)):
            members = central[group]
            member_bags = [bags[int(i)] for i in members]
            candidates: list[tuple[_Candidate, float]] = []
            for position, index in enumerate(members[: self.n_central]):
                doc = parsed.get(int(index))
                if doc is None:
                    continue
                for candidate in _candidates(doc, self.max_words):
                    candidates.append((candidate, float(closeness[group][position])))
            label = self._choose(candidates, member_bags, everywhere, mean_size, used)
            if not label:
                label = _short_answer(candidates, used)
            if not label:
                own = np.array([languages[int(i)] == language for i in members], dtype=bool)
                # Segments in the survey's language first: a label is never in another.
                order = np.concatenate([members[own], members[~own]])
                near = np.concatenate([closeness[group][own], closeness[group][~own] - 2.0])
                label = self._fallback(segments, order, near, used)
            if language == "fr":
                label = _accented(label)
            used.add(_key(label))
            labels[group] = label
        self.labels_ = labels
        return self

    def _choose(
        self,
        candidates: Sequence[tuple[_Candidate, float]],
        bags: Sequence[set[str]],
        everywhere: Counter[str],
        mean_size: float,
        used: set[str],
    ) -> str:
        if not candidates or not bags:
            return ""

        def share(stems: frozenset[str]) -> float:
            return sum(1 for bag in bags if stems <= bag) / len(bags)

        def distinct(stems: frozenset[str]) -> float:
            return float(np.mean([math.log(1 + mean_size / max(1, everywhere[s])) for s in stems]))

        near: dict[str, list[float]] = {}
        spellings: dict[str, Counter[str]] = {}
        stems_of: dict[str, frozenset[str]] = {}
        for candidate, close in candidates:
            if _fold(candidate.text.split()[0]) in _NO_OPENING:
                # "Avec les courses", "Pas de bus": a link or a negation opens no name.
                continue
            if len(candidate.stems) == 1 and candidate.head in _VAGUE_STEMS:
                # "Fils", "Endroit": a vague noun names a need only with what qualifies it.
                continue
            if len(candidate.text.split()) == 1 and not _known(candidate.text):
                # "Simplifer": a slip read as a noun; alone it would be the whole name.
                continue
            if _cut_coordination(candidate.text):
                continue
            text = _without_demonstrative(candidate.text)
            key = _key(text)
            near.setdefault(key, []).append(close)
            spellings.setdefault(key, Counter())[text] += 1
            stems_of[key] = candidate.stems
        least = 2 if len(bags) >= 4 else 1
        return self._best(bags, near, spellings, stems_of, least, share, distinct, used)

    def _best(
        self,
        bags: Sequence[set[str]],
        near: dict[str, list[float]],
        spellings: dict[str, Counter[str]],
        stems_of: dict[str, frozenset[str]],
        least: int,
        share: Callable[[frozenset[str]], float],
        distinct: Callable[[frozenset[str]], float],
        used: set[str],
    ) -> str:
        scores: dict[str, float] = {}
        for key, stems in stems_of.items():
            support = share(stems)
            if support * len(bags) < least:
                continue
            centrality = float(np.mean(near[key]))
            # A bare noun reads like a keyword: its modifiers make it a name.
            words = min(len(stems), 3)
            scores[key] = (
                support
                * distinct(stems)
                * (1 - self.support_weight + self.support_weight * centrality)
                * (1 + self.phrase_bonus * (words - 1))
            )
        for key in sorted(scores, key=lambda k: (-scores[k], len(k), k)):
            if key in used:
                continue
            if len(stems_of[key]) == 1:
                # A bare noun reads as a keyword: it gives way to its most shared
                # expansion that several members say ("Bus" becomes "Bus le dimanche").
                head = next(iter(stems_of[key]))
                longer = [
                    k
                    for k in scores
                    if k not in used and len(stems_of[k]) > 1 and head in stems_of[k]
                ]
                if longer:
                    key = max(longer, key=lambda k: (share(stems_of[k]), scores[k], k))
            # Spellings of the same words pooled ("Activiter pour les enfant" and
            # "Activités pour les enfants"): a label is spelt as French spells it.
            pooled: Counter[str] = Counter()
            for k, stems in stems_of.items():
                if k == key or (stems == stems_of[key] and k not in used and _misspelt(k, key)):
                    pooled.update(spellings[k])
            text = _spelling(pooled)
            other = self._second_complement(key, text, scores, spellings, stems_of, share)
            return other or text
        return ""

    def _second_complement(
        self,
        key: str,
        text: str,
        scores: dict[str, float],
        spellings: dict[str, Counter[str]],
        stems_of: dict[str, frozenset[str]],
        share: Callable[[frozenset[str]], float],
    ) -> str:
        """The head with two complements of the same shape, when members share both:
        "Bus le soir" and "Bus le dimanche" make "Bus le soir et le dimanche"."""
        words = text.split()
        if len(stems_of[key]) != 2 or len(words) < 3:
            return ""
        head, rest = _fold(words[0]), words[1:]
        best = ""
        for k, stems in sorted(stems_of.items(), key=lambda item: -share(item[1])):
            if k == key or k not in scores or len(stems) != 2 or not stems & stems_of[key]:
                continue
            if share(stems) < self.second_share * share(stems_of[key]):
                break
            other = _spelling(spellings[k]).split()
            if len(other) < 3 or _fold(other[0]) != head or _fold(other[1]) != _fold(rest[0]):
                continue
            if (_fold(other[-1]) in _TIMES) != (_fold(rest[-1]) in _TIMES):
                continue
            joined = " ".join([*words, "et", *other[1:]])
            if len(joined.split()) <= self.max_words and not best:
                best = joined
        return best

    @staticmethod
    def _fallback(
        segments: Sequence[str], members: np.ndarray, closeness: np.ndarray, used: set[str]
    ) -> str:
        """The most central short answer (a clause of two to eight words that names
        something); only when no member wrote one, the most central clause cut after
        its eighth word."""
        order = members[np.argsort(-closeness, kind="stable")]
        for longest in (8, None):
            for index in order:
                clauses = re.split(r"[,:;()!?]|\.\s", segments[index])
                for clause in sorted(clauses, key=lambda c: len(c.split())):
                    words = clean_phrase(clause).split()
                    if len(words) < 2 or not _names_something(words):
                        continue
                    if longest is not None and len(words) > longest:
                        break
                    phrase = " ".join(words[:8]) + ("…" if len(words) > 8 else "")
                    if _key(phrase) not in used:
                        return phrase
        return clean_phrase(segments[members[0]]) if len(members) else ""


_CASE_MARKS = frozenset("de du des d a au aux".split())


def _cut_coordination(text: str) -> bool:
    """A noun joined to what was the second half of a pair: "Région et de la commune"
    (cut from "de la région et de la commune") keeps a "de" its first half lost."""
    words = [_fold(w) for w in text.replace("'", "' ").split()]
    return len(words) >= 3 and words[1] in {"et", "ou", "and", "or"} and words[2] in _CASE_MARKS


_DEMONSTRATIVE = re.compile(r"\b(de|à) ces\b", re.IGNORECASE)


def _without_demonstrative(text: str) -> str:
    """ "Utilisation de ces impôts" points back to the question; as a name it is
    "Utilisation des impôts"."""
    return _DEMONSTRATIVE.sub(lambda m: "des" if m.group(1).lower() == "de" else "aux", text)


def _short_answer(candidates: Sequence[tuple[_Candidate, float]], used: set[str]) -> str:
    """The most central member's answer when the whole of it reads as a name ("Une
    salle pour les jeunes", no verb, no pronoun): the group's representative short
    answer, when its members share no phrase."""
    wholes = [
        (close, c.text)
        for c, close in candidates
        if c.whole
        and _key(c.text) not in used
        and _fold(c.text.split()[0]) not in _NO_OPENING
        and (len(c.text.split()) > 1 or _known(c.text))
    ]
    longer = [w for w in wholes if len(w[1].split()) >= 2]
    for _close, text in sorted(longer or wholes, key=lambda w: (-w[0], w[1])):
        if _names_something(text.split()):
            return text
    return ""


# Words a clause cannot open and still read as a name ("par mois", "pour les enfants").
_OPENING_LINKS = frozenset(
    "a au aux de des du en par pour sur sans avec dans chez depuis quand si mais ou et "
    "to of for by in on at with and or but".split()
)


# Nor a negation, an amount or an adverb: "Juste de la lumière", "Seul arbre" (cut from
# "le seul arbre du quartier") say how much, not what.
_NO_OPENING = _OPENING_LINKS | frozenset(
    "pas plus moins trop tres tout tous toute toutes juste seul seule seuls seules "
    "seulement surtout vraiment encore enfin aussi toujours jamais meme grace just only "
    "through via so like such than about from into after before during including though "
    "thus which that this these those not even perhaps often as".split()
)


def _names_something(words: Sequence[str]) -> bool:
    """A clause that can stand as a name: it does not open on a link word and holds a
    word of some length that is neither a time, an amount nor a vague word."""
    if _NOT_LETTERS.sub("", fold_accents(words[0])) in _OPENING_LINKS:
        return False
    for word in words:
        folded = _NOT_LETTERS.sub("", fold_accents(word))
        if len(folded) >= 4 and folded not in _TIMES and _stem(word) not in _VAGUE_STEMS:
            return True
    return False


def _fold(word: str) -> str:
    return _NOT_LETTERS.sub("", fold_accents(word))


def _accented(label: str) -> str:
    """Words written without their accents ("Generalistes") spelt as French spells them:
    a word that is no French form the lemma table knows becomes the accented word it
    folds to ("marche" and "cote" are words of their own and stay)."""
    from analysis.embedding import lexicon

    lex = lexicon()
    known = lex.lemmas["fr"]
    out = []
    for word in label.split(" "):
        lower = word.lower()
        folded = lex.folded.get(fold_accents(lower))
        if folded is not None and lower.isalpha() and lower.isascii() and lower not in known:
            spelt = lex.strings[folded].lower()
            if fold_accents(spelt) == lower and spelt != lower:
                word = spelt[:1].upper() + spelt[1:] if word[:1].isupper() else spelt
        out.append(word)
    return " ".join(out)


def _spelling(spellings: Counter[str]) -> str:
    """The spelling with the fewest words no dictionary knows, then the one most
    respondents used; between equals, the one with accents."""
    return max(
        spellings,
        key=lambda t: (
            -sum(1 for w in t.split() if not _known(w)),
            spellings[t],
            sum(not c.isascii() for c in t),
            -len(t),
            t,
        ),
    )


def _misspelt(first: str, second: str) -> bool:
    """Two keys whose words differ by a slip of the keyboard: "activiter" for "activite",
    never "travaux" for "travail" (ratio 0.71) or "simple" for "simplifier"."""
    a, b = first.split(), second.split()
    return len(a) == len(b) and all(
        difflib.SequenceMatcher(None, x, y).ratio() >= 0.8 for x, y in zip(a, b, strict=True)
    )


def _known(word: str) -> bool:
    """A word either language spells so, or one no table would hold (a number, an
    acronym, a short word): only a misspelt word reads as unknown."""
    word = word.strip(".,;:!?()'\"«»-").lower()
    if "'" in word or "’" in word:
        word = re.split(r"['’]", word)[-1]
    if len(word) <= 3 or not word.isalpha():
        return True
    from analysis.embedding import lexicon

    return lexicon().spelt(word)


def _parsed(texts: Sequence[str], language: Language) -> list[Any]:
    """The texts run through the pipeline of ``language`` with its parser, in one batch."""
    if not texts:
        return []
    from analysis.text import load_parser

    return list(load_parser(language).pipe(texts, batch_size=256))


def _content_token(token: Any) -> bool:
    return not (
        token.is_stop
        or token.is_punct
        or token.is_space
        or token.like_num
        or token.lower_ in _POLITE_WORDS
    )


def _stems_of(tokens: Sequence[Any]) -> frozenset[str]:
    return frozenset(_stem(t.text) for t in tokens if _content_token(t) and _stem(t.text))


def _can_head(token: Any) -> bool:
    folded = _NOT_LETTERS.sub("", fold_accents(token.lemma_ or token.text))
    return (
        token.pos_ in {"NOUN", "PROPN"}
        and _content_token(token)
        and len(folded) >= 3
        and folded.isalpha()
        and folded not in _TIMES
        and _NOT_LETTERS.sub("", fold_accents(token.text)) not in _TIMES
    )


def _span_text(doc: Any, tokens: Sequence[Any]) -> str | None:
    """The text of tokens that follow each other in ``doc``; None when there is a gap."""
    positions = sorted(t.i for t in tokens)
    if positions[-1] - positions[0] + 1 != len(positions):
        return None
    text = doc[positions[0] : positions[-1] + 1].text
    return clean_phrase(text, shouted=doc.text)


def _modifier(child: Any) -> list[Any] | None:
    """The tokens a modifier brings (its subtree), or None when it does not read as one."""
    dep = child.dep_.split(":")[0] if child.dep_ not in _MODIFIERS else child.dep_
    if dep not in _MODIFIERS:
        return None
    subtree = list(child.subtree)
    if len(subtree) > 4:
        return None
    for token in subtree:
        if token.pos_ in {"PRON", "SCONJ", "CCONJ", "NUM", "AUX", "PUNCT"}:
            return None
        if token.pos_ == "VERB" and "Part" not in token.morph.get("VerbForm"):
            return None
    if child.pos_ == "VERB" and len(subtree) > 1:
        return None
    if child.pos_ in {"NOUN", "PROPN"} and not _complement(child, child.head):
        return None
    return subtree


def _candidates(doc: Any, max_words: int) -> list[_Candidate]:
    """Names around each noun of a parsed segment (see ``PhraseLabeler``)."""
    if not doc.has_annotation("DEP"):
        return _unparsed_candidates(doc, max_words)
    found: list[_Candidate] = []
    # What does not depend on the head is read once per segment, not once per noun.
    shape = _whole_shape(doc, max_words)
    doc_stems = _stems_of(list(doc)) if shape is not None else frozenset()
    for head in doc:
        if not _can_head(head):
            continue
        mods = [m for m in (_modifier(c) for c in head.children) if m]
        adjectives = [m for m in mods if len(m) == 1 and m[0].pos_ in {"ADJ", "VERB"}]
        complements = [m for m in mods if m not in adjectives]
        variants = [[head], *_following(doc, head)]
        for adjective in adjectives[:2]:
            variants.append([head, *adjective])
        flat = [t for m in adjectives[:2] for t in m]
        for complement in complements[:2]:
            variants.append([head, *complement])
            if flat:
                variants.append([head, *flat, *complement])
        stem = _stem(head.text)
        for tokens in variants:
            phrase = _span_text(doc, tokens)
            if phrase and len(phrase.split()) <= max_words:
                found.append(_Candidate(phrase, stem, _stems_of(tokens) | {stem}))
        if shape is not None and _whole_fits(shape[1], head):
            found.append(_Candidate(shape[0], stem, doc_stems | {stem}, whole=True))
    return found


# Words that join two nouns inside a name when no parser says so ("use of the Internet").
_JOINING = frozenset({"of", "de", "du", "des", "d'"})
_JOINED_ARTICLES = frozenset({"the", "a", "an", "la", "le", "les", "l'"})
# Link words a stop list misses: without a parser they would read as nouns.
_UNPARSED_LINKS = frozenset("like unlike via per etc including such".split())


def _unparsed_candidates(doc: Any, max_words: int) -> list[_Candidate]:
    """Names of a segment in a language without a parser: the short segment itself, and
    each run of one to three content words (two runs joined by "of": "use of the
    Internet"), never opening or closing on a small word. Which run names the group is
    then read, as for parsed languages, from how many members say its words."""
    tokens = list(doc)
    found: list[_Candidate] = []
    text = clean_phrase(doc.text)
    stems = _stems_of(tokens)
    if stems and len(text.split()) <= max_words:
        found.extend(_Candidate(text, stem, stems) for stem in stems)

    def content(token: Any) -> bool:
        folded = _fold(token.text)
        return (
            _content_token(token)
            and len(folded) >= 3
            and folded.isalpha()
            and folded not in _TIMES
            and _stem(token.text) not in _VAGUE_STEMS
            and token.lower_ not in _UNPARSED_LINKS
        )

    runs: list[list[Any]] = []
    run: list[Any] = []
    for i, token in enumerate(tokens):
        if content(token):
            run.append(token)
            continue
        # "of" (or "of the") between two content words keeps the run going.
        ahead = tokens[i + 1 : i + 3]
        joins = token.lower_ in _JOINING and run
        joined = joins or (token.lower_ in _JOINED_ARTICLES and run and run[-1].lower_ in _JOINING)
        if joined and ahead and (content(ahead[0]) or (len(ahead) > 1 and content(ahead[1]))):
            run.append(token)
            continue
        if run:
            runs.append(run)
        run = []
    if run:
        runs.append(run)
    for words in runs:
        for size in range(1, 6):
            for start in range(len(words) - size + 1):
                span = words[start : start + size]
                named = [t for t in span if content(t)]
                if not content(span[0]) or not content(span[-1]) or len(named) > 3:
                    continue
                phrase = clean_phrase(doc[span[0].i : span[-1].i + 1].text)
                if phrase and len(phrase.split()) <= max_words:
                    found.append(_Candidate(phrase, _stem(named[-1].text), _stems_of(named)))
    return found


def _following(doc: Any, head: Any) -> list[list[Any]]:
    """The noun complement written right after ``head``, whatever the parse made of it:
    "bus le soir", "place en crèche", "médecin traitant" (adjectives and a linked noun)."""
    tokens = doc
    end = head.i + 1
    while end < len(tokens) and tokens[end].pos_ == "ADJ":
        end += 1
    found = [list(tokens[head.i : end])] if end > head.i + 1 else []
    link = end
    while link < len(tokens) and tokens[link].pos_ in {"ADP", "DET"} and link - end < 2:
        link += 1
    if (
        link > end
        and link < len(tokens)
        and tokens[link].pos_ in {"NOUN", "PROPN"}
        and _complement(tokens[link], head)
    ):
        stop = link + 1
        while stop < len(tokens) and tokens[stop].pos_ == "ADJ":
            stop += 1
        found.append(list(tokens[head.i : stop]))
    return found


# Words that make a time say how often, not when ("tous les matins", "chaque jour").
_HOW_OFTEN = frozenset("tous toutes tout chaque every each".split())


def _complement(noun: Any, head: Any) -> bool:
    """A noun that can complete ``head``: not the head again, not a vague word, not a
    frequency ("camions tous les matins" is about the lorries, not the mornings)."""
    stem = _stem(noun.text)
    if stem == _stem(head.text) or stem in _NOT_COMPLEMENTS:
        return False
    if _NOT_LETTERS.sub("", fold_accents(noun.lemma_ or noun.text)) in _TIMES:
        before = noun.doc[max(0, noun.i - 2) : noun.i]
        return not any(t.text.lower() in _HOW_OFTEN for t in before)
    return True


def _whole_shape(doc: Any, max_words: int) -> tuple[str, Any] | None:
    """The whole segment and its root when it is short and reads as a name, not a clause."""
    tokens = [t for t in doc if not (t.is_punct or t.is_space)]
    if not tokens or len(tokens) > max_words + 1:
        return None
    root = next((t for t in tokens if t.dep_ == "ROOT"), None)
    if root is None:
        return None
    for token in tokens:
        if token.pos_ in {"PRON", "SCONJ", "INTJ", "NUM"} or token.lower_ in _HOW_OFTEN:
            # "Des camions tous les matins" is about the lorries: not a name as it stands.
            return None
        if token.pos_ in {"VERB", "AUX"} and "Fin" in token.morph.get("VerbForm"):
            return None
    text = clean_phrase(doc.text)
    return (text, root) if 0 < len(text.split()) <= max_words else None


def _whole_fits(root: Any, head: Any) -> bool:
    """The whole segment is built on ``head``: its root, or an infinitive governing it
    ("Trouver un médecin")."""
    # Tokens are made afresh at each access: compared by position, never by identity.
    return root.i == head.i or (
        root.pos_ == "VERB" and "Inf" in root.morph.get("VerbForm") and head.head.i == root.i
    )


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
