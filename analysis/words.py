"""Words as the matching stages compare them: lower case without accents, and counted per
text in one vectorised pass."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from analysis.text import fold_accents

_FOLD = str.maketrans(
    {
        **{c: "a" for c in "àâäáãå"},
        **{c: "e" for c in "éèêë"},
        **{c: "i" for c in "îïíì"},
        **{c: "o" for c in "ôöóòõ"},
        **{c: "u" for c in "ûüùú"},
        "ç": "c",
        "ñ": "n",
        "ÿ": "y",
        "œ": "oe",
        "æ": "ae",
        "’": "'",
    }
)


def fold(text: str) -> str:
    """Lower case, no accents: the form every stage compares.

    French letters go through a translation table (this runs on every word of every offer);
    anything else still outside ASCII takes the full Unicode decomposition.
    """
    folded = text.lower().translate(_FOLD)
    return folded if folded.isascii() else fold_accents(folded)


def word_counts(
    texts: Sequence[str], preprocessor: Callable[[str], str]
) -> tuple[sparse.csr_matrix, list[str]]:
    """Texts × words counts and the words, in one vectorised pass (no Python loop per word)."""
    vectorizer = CountVectorizer(
        preprocessor=preprocessor,
        token_pattern=r"(?u)\b\w+\b",  # noqa: S106 - a regular expression
        dtype=np.float32,
    )
    try:
        counts: sparse.csr_matrix = vectorizer.fit_transform(texts)
    except ValueError:  # only empty texts: no word at all
        return sparse.csr_matrix(np.zeros((len(texts), 0), dtype=np.float32)), []
    return counts, list(vectorizer.get_feature_names_out())
