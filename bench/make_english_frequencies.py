"""Write analysis/data/english_frequencies.json from spaCy's English word probabilities.

The table (spacy-lookups-data, en/lexeme_prob, a million entries) takes seconds and
hundreds of megabytes to load; the clustering needs only the English words frequent
enough to weigh less than 0.99 (log probability above -11.5 with a smoothing of 0.001)
that the French model has a vector for. Run from the repository root:

    python bench/make_english_frequencies.py
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.text import load_pipeline  # noqa: E402

LOWEST = -11.5


def main() -> int:
    from spacy.lookups import load_lookups

    table = load_lookups("en", ["lexeme_prob"]).get_table("lexeme_prob")
    french = load_pipeline("fr")
    kept = {}
    for key in french.vocab.vectors.key2row:
        logprob = table.get(key)
        if logprob is None or logprob <= LOWEST:
            continue
        word = french.vocab.strings[key]
        if word.isascii() and word.isalpha() and word == word.lower():
            kept[word] = round(float(logprob), 3)
    version = importlib.metadata.version("spacy-lookups-data")
    data = {
        "about": (
            "Log probabilities of English words in general English, for the SIF weights"
            " of English answers; only words frequent enough to weigh less than 0.99 with"
            " a smoothing of 0.001, and only words the French model has a vector for."
        ),
        "source": f"spacy-lookups-data {version}, table en/lexeme_prob (MIT licence, Explosion AI)",
        "log_probabilities": dict(sorted(kept.items())),
    }
    path = ROOT / "analysis" / "data" / "english_frequencies.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{len(kept)} words written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
