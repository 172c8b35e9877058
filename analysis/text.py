"""Text preparation for free-text answers: language, non-answers, lemmas.

spaCy pipelines are loaded once per language and run in batches. French uses
``fr_core_news_md`` (it has word vectors), falling back to ``fr_core_news_sm``; English uses
a blank pipeline with the lookup lemmatizer of ``spacy-lookups-data``. Nothing is downloaded.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

# Masking lives in analysis.masking; the name stays importable from here for callers.
from analysis.masking import mask_personal_data as mask_personal_data

if TYPE_CHECKING:
    from spacy.language import Language as Pipeline
    from spacy.tokens import Doc, Token

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")

_FRENCH_MODELS = ("fr_core_news_md", "fr_core_news_sm")
# The parser and the named-entity recogniser are the slow parts and lemmas do not need them.
_FRENCH_EXCLUDE = ("parser", "ner", "senter")

# Normalised forms (lower case, accents folded, punctuation as spaces) of answers that say
# nothing. Kept short and explicit: a longer answer is never a non-answer by this list.
_NON_ANSWERS = frozenset(
    {
        "rien",
        "rien de rien",
        "rien du tout",
        "pas grand chose",
        "je ne vois pas",
        "je vois pas",
        "oui",
        "yes",
        "rien a signaler",
        "rien de special",
        "rien de particulier",
        "ras",
        "nsp",
        "nspp",
        "ne sait pas",
        "ne sais pas",
        "je ne sais pas",
        "je sais pas",
        "sais pas",
        "sait pas",
        "aucun",
        "aucune",
        "aucune idee",
        "pas d idee",
        "pas d avis",
        "sans avis",
        "sans opinion",
        "non",
        "non merci",
        "pas de reponse",
        "neant",
        "idem",
        "nothing",
        "nothing really",
        "nothing in particular",
        "none",
        "no",
        "nope",
        "n a",
        "na",
        "no idea",
        "no comment",
        "no opinion",
        "don t know",
        "i don t know",
        "dont know",
        "i dont know",
        "idk",
        "not sure",
        "x",
        "xx",
        "xxx",
        "ok",
        "test",
    }
)

# Filler lemmas that every answer to "what do you lack?" shares; they carry no theme.
FILLER_LEMMAS = frozenset(
    {
        "manque",
        "manquer",
        "besoin",
        "falloir",
        "avoir",
        "etre",
        "faire",
        "pouvoir",
        "vouloir",
        "devoir",
        "mettre",
        "trouver",
        "chose",
        "etc",
        "lack",
        "need",
        "want",
        "would",
        "could",
        "should",
        "get",
        "make",
        "thing",
        "something",
        "really",
        "also",
    }
)

# Cheap language evidence: very frequent function words that the other language lacks.
_FRENCH_MARKERS = frozenset(
    "le la les un une des du de et est sont pas ne que qui pour dans sur avec au aux ce cette "
    "ces il elle nous vous ils on plus mais ou je tres y a en son sa leurs leur".split()
)
_ENGLISH_MARKERS = frozenset(
    "the a an and is are not no that which who for in on with to of this these it we you they "
    "more but or i very there be have has do does how what why my your their from".split()
)
_FRENCH_LETTERS = frozenset("éèêàçùûîôœ")

_NON_WORD = re.compile(r"[\W_]+")
# Small words allowed inside a two-word phrase; a conjunction or a verb breaks it.
_JOINERS = frozenset(
    "de d' d’ du des en à au aux pour la le les l' l’ un une of for the in to a an".split()
)


def fold_accents(text: str) -> str:
    """Lower-case ``text`` and strip diacritics (``"Crèche"`` becomes ``"creche"``)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("œ", "oe")


def normalise(text: str) -> str:
    """Fold accents and turn punctuation into single spaces, for comparing short answers."""
    return _NON_WORD.sub(" ", fold_accents(text)).strip()


# Answers saying that nothing is lacking: no need in them, whatever else they say.
_CONTENT = frozenset(
    {
        "tout va bien",
        "ca va",
        "ca va bien",
        "on est bien",
        "on est bien ici",
        "je suis bien ici",
        "rien a dire",
        "ne se prononce pas",
        "pas de probleme",
        "all good",
        "all fine",
        "everything is fine",
        "i m happy",
        "i m fine",
    }
)
# Words that soften a non-answer without adding anything ("je sais pas trop").
_HEDGES = frozenset("trop vraiment franchement honnetement really honestly merci thanks".split())
# Words of a clause that says one is content ("je suis content de mon quartier").
_SATISFIED = frozenset("bien content contente satisfait satisfaite heureux good fine happy".split())
_CLAUSE = re.compile(r"[,.;:!?()\n-]+")
_SHORT = 12


def _says_nothing(clause: str) -> bool:
    words = clause.split()
    while words and words[-1] in _HEDGES:
        words.pop()
    key = " ".join(words)
    return not key or key in _NON_ANSWERS or key in _CONTENT


def is_non_answer(text: str | None) -> bool:
    """Tell whether an answer says nothing: empty, punctuation only, a known non-answer, or
    a short one that opens on one and only adds that all is well ("Rien, on est bien ici").
    """
    if text is None:
        return True
    key = normalise(text)
    if not key or not any(c.isalpha() for c in key):
        return True
    if key in _NON_ANSWERS or _says_nothing(key):
        return True
    if len(key.split()) > _SHORT:
        return False
    clauses = [normalise(c) for c in _CLAUSE.split(text.lower()) if normalise(c)]
    opening = clauses[0].split() if clauses else []
    if opening[:1] == ["rien"] and opening[1:2] == ["de"] and len(opening) == 3:
        # "rien de spécial", "rien de neuf": nothing, in other words.
        clauses[0] = "rien"
    if not clauses or not _says_nothing(clauses[0]):
        return False
    return all(_says_nothing(c) or set(c.split()) & _SATISFIED for c in clauses[1:])


def detect_language(text: str, default: Language = "fr") -> Language:
    """Guess French or English from function words and French letters (a cheap heuristic).

    Counts words found in only one of two short marker lists, plus one point for French if
    a French accented letter appears; returns ``default`` on a tie (for example one word).
    """
    lowered = text.lower()
    words = re.findall(r"[a-zà-ÿœ]+", lowered)
    french = sum(w in _FRENCH_MARKERS for w in words)
    english = sum(w in _ENGLISH_MARKERS for w in words)
    if any(c in _FRENCH_LETTERS for c in lowered):
        french += 1
    if french == english:
        return default
    return "fr" if french > english else "en"


@dataclass(frozen=True)
class PreparedAnswer:
    """One answer after preparation.

    ``lemmas`` are the content lemmas (accents folded, no stop words, no numbers);
    ``phrases`` maps each content unigram and bigram key (lemmas joined by a space) to the
    words as the respondent wrote them, for readable labels; ``vector`` is the mean word
    vector when the language model has vectors.
    """

    text: str
    language: Language
    non_answer: bool
    lemmas: tuple[str, ...] = ()
    phrases: tuple[tuple[str, str], ...] = ()
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)


_pipelines: dict[Language, Pipeline] = {}
_lock = threading.Lock()


def load_pipeline(language: Language) -> Pipeline:
    """Return the spaCy pipeline for ``language``, loading it on first use only."""
    with _lock:
        if language not in _pipelines:
            _pipelines[language] = _load(language)
        return _pipelines[language]


_parsers: dict[Language, Pipeline] = {}


def load_parser(language: Language) -> Pipeline:
    """The pipeline of ``language`` with its dependency parser, for naming needs.

    It shares the word table of ``load_pipeline(language)``; a language whose model has no
    parser gets ``load_pipeline(language)`` itself.
    """
    tagger = load_pipeline(language)
    with _lock:
        if language not in _parsers:
            _parsers[language] = _load_parser(language, tagger)
        return _parsers[language]


def _load_parser(language: Language, tagger: Pipeline) -> Pipeline:
    import spacy

    if language == "fr":
        for name in _FRENCH_MODELS:
            try:
                return spacy.load(name, exclude=["ner"], vocab=tagger.vocab)
            except OSError:
                continue
    return tagger


def _load(language: Language) -> Pipeline:
    # Imported here so that importing this module stays cheap for callers that never prepare.
    import spacy

    if language == "fr":
        for name in _FRENCH_MODELS:
            try:
                return spacy.load(name, exclude=list(_FRENCH_EXCLUDE))
            except OSError:
                continue
        raise RuntimeError("no French spaCy model installed (fr_core_news_md or _sm)")
    if language == "en":
        nlp = spacy.blank("en")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        # Reads the lemma table from spacy-lookups-data, installed locally.
        nlp.initialize()
        return nlp
    raise ValueError(f"unsupported language: {language!r}")


def prepare_answers(
    texts: Sequence[str | None],
    language: Language | Literal["auto"] = "auto",
    *,
    batch_size: int = 256,
    filler: Iterable[str] = FILLER_LEMMAS,
) -> list[PreparedAnswer]:
    """Prepare answers for clustering: language, non-answer flag, lemmas, phrases, vectors.

    With ``language="auto"`` each answer gets its own language; ties go to the corpus's
    majority language. An answer left with no content lemma counts as a non-answer.
    """
    raw = ["" if t is None else str(t) for t in texts]
    languages = _languages(raw, language)
    filler_set = frozenset(filler)
    result: list[PreparedAnswer | None] = [None] * len(raw)
    for lang in LANGUAGES:
        positions = [i for i, t in enumerate(raw) if languages[i] == lang and not is_non_answer(t)]
        if not positions:
            continue
        nlp = load_pipeline(lang)
        has_vectors = nlp.vocab.vectors.shape[0] > 0
        docs = nlp.pipe((raw[i] for i in positions), batch_size=batch_size)
        for i, doc in zip(positions, docs, strict=True):
            result[i] = _prepare_doc(raw[i], lang, doc, filler_set, has_vectors)
    return [
        r if r is not None else PreparedAnswer(text=raw[i], language=languages[i], non_answer=True)
        for i, r in enumerate(result)
    ]


def _languages(raw: Sequence[str], language: str) -> list[Language]:
    if language in LANGUAGES:
        return [language] * len(raw)
    if language != "auto":
        raise ValueError(f"unsupported language: {language!r}")
    guesses = [detect_language(t, default="fr") for t in raw]
    strong = [detect_language(t, default="en") == detect_language(t, default="fr") for t in raw]
    decided = [g for g, s in zip(guesses, strong, strict=True) if s]
    majority: Language = "en" if decided.count("en") > decided.count("fr") else "fr"
    return [g if s else majority for g, s in zip(guesses, strong, strict=True)]


def _is_content(token: Token) -> bool:
    return not (
        token.is_stop
        or token.is_punct
        or token.is_space
        or token.like_num
        or token.like_url
        or token.like_email
    )


def _lemma(token: Token) -> str:
    lemma = fold_accents(token.lemma_ or token.text)
    return _NON_WORD.sub("", lemma)


def _prepare_doc(
    text: str, language: Language, doc: Doc, filler: frozenset[str], has_vectors: bool
) -> PreparedAnswer:
    lemmas: list[str] = []
    phrases: list[tuple[str, str]] = []
    vectors: list[NDArray[np.float32]] = []
    # Position in the doc of the previous content token, to join two content words across
    # at most two stop words ("garde d'enfants", "places en crèche") into one phrase.
    previous: tuple[int, str] | None = None
    for token in doc:
        if token.is_punct:
            previous = None
            continue
        if not _is_content(token):
            if token.lower_ not in _JOINERS:
                previous = None
            continue
        lemma = _lemma(token)
        if len(lemma) < 2 or not lemma.isalpha() or lemma in filler:
            previous = None
            continue
        lemmas.append(lemma)
        phrases.append((lemma, token.text.lower()))
        if has_vectors and token.has_vector:
            # spaCy types vectors as thinc's Floats1d; on CPU they are float32 NumPy arrays,
            # which asarray returns as they are.
            vectors.append(np.asarray(token.vector, dtype=np.float32))
        if previous is not None and token.i - previous[0] <= 3:
            start = doc[previous[0]]
            surface = doc.text[start.idx : token.idx + len(token.text)].lower()
            phrases.append((f"{previous[1]} {lemma}", " ".join(surface.split())))
        previous = (token.i, lemma)
    vector = np.mean(vectors, axis=0).astype(np.float32) if vectors else None
    return PreparedAnswer(
        text=text,
        language=language,
        non_answer=not lemmas,
        lemmas=tuple(lemmas),
        phrases=tuple(phrases),
        vector=vector,
    )
