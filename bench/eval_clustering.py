"""Evaluate needs clustering against human tags, and time it on 10,000 and 100,000 texts.

First the measures of the two-level grouping (themes over needs): on the demo "manque"
answers, theme-level AMI against the themes they were written for (mixed answers and
non-answers left out), the largest share of childcare answers in one theme, labels with
an English word, labels alike, and every label; on FI7 the need-level AMI; on SIB-200 the
number of themes chosen and their AMI; on each, the number of needs chosen per theme
against its ceiling.

Prints one JSON line per dataset and method. Parlons chooses the number of needs itself
("parlons-no-vectors" is the same without French word vectors, to show the language gap);
the reference (TF-IDF, LSA to 100 dimensions, k-means) is given the true number and
averaged over five seeds; a classifier trained on the tags (five folds) shows how much
of them the features hold at all. spaCy models are loaded before timing, as the web app
does at start-up. The speed part prints wall seconds and the process's peak resident memory; the
StackOverflow set has 20,000 titles, so sizes above that repeat them (each copy numbered,
so no two texts are the same) and the AMI is left out.
Run from the repository root:

    python bench/eval_clustering.py [--data DIR] [--skip-speed]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.preprocessing import normalize

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.clustering import (  # noqa: E402
    AnswerVectorizer,
    AutoKMeans,
    LSAReducer,
    NeedsClusterer,
    cluster_needs,
)
from analysis.embedding import lexicon, segment_answers  # noqa: E402
from analysis.grouping import MeaningVectorizer, answer_rows  # noqa: E402
from analysis.text import load_parser, load_pipeline, normalise, prepare_answers  # noqa: E402
from analysis.themes import load_vocabulary  # noqa: E402


def load_fi7(data: Path) -> tuple[list[str], list[str]]:
    """Grand Débat FI7 answers with a single majority tag, duplicate texts removed."""
    texts, tags, seen = [], [], set()
    with open(data / "needs-fr" / "grand-debat-FI7.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            key = " ".join(row["text"].lower().split())
            if row["tie"] == "True" or key in seen:
                continue
            seen.add(key)
            texts.append(row["text"])
            tags.append(row["majority_tag"])
    return texts, tags


def load_sib(data: Path, language: str) -> tuple[list[str], list[str]]:
    """All SIB-200 sentences (train, dev and test) of one language with their topic."""
    texts, tags = [], []
    for split in ("train", "dev", "test"):
        path = data / "sib-200" / language / f"{split}.tsv"
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                texts.append(row["text"])
                tags.append(row["category"])
    return texts, tags


def reference(texts: list[str], k: int, seed: int) -> np.ndarray:
    features = TfidfVectorizer().fit_transform(texts)
    reduced = normalize(TruncatedSVD(100, random_state=seed).fit_transform(features))
    return KMeans(k, n_init=1, random_state=seed).fit_predict(reduced)


def report(dataset: str, method: str, k: int, tags: list[str], labels, seconds: float) -> None:
    line = {
        "dataset": dataset,
        "method": method,
        "k": int(k),
        "true_k": len(set(tags)),
        "ami": round(float(adjusted_mutual_info_score(tags, labels)), 4),
        "ari": round(float(adjusted_rand_score(tags, labels)), 4),
        "seconds": round(seconds, 2),
    }
    print(json.dumps(line), flush=True)


def evaluate(dataset: str, texts: list[str], tags: list[str], language: str) -> None:
    true_k = len(set(tags))
    start = time.perf_counter()
    answers = prepare_answers(texts, language)
    prepared = time.perf_counter() - start
    start = time.perf_counter()
    model = NeedsClusterer(language=language, random_state=0).fit(texts)
    result = model.result_
    seconds = prepared + time.perf_counter() - start
    report(dataset, "parlons-needs", len(result.needs), tags, result.labels, seconds)
    report(dataset, "parlons-themes", len(result.themes), tags, theme_labels(result), seconds)
    scores = {k: round(v, 4) for k, v in sorted(model.theme_scores_.items())}
    print(json.dumps({"dataset": dataset, "theme_scores": scores}), flush=True)
    need_counts(dataset, model)
    # The previous flat pipeline on the same prepared answers, for comparison.
    start = time.perf_counter()
    vectors = LSAReducer().fit_transform(AnswerVectorizer().fit_transform(answers))
    flat = AutoKMeans().fit_predict(vectors)
    report(
        dataset,
        "flat-previous",
        len(set(flat.tolist())),
        tags,
        flat,
        prepared + time.perf_counter() - start,
    )
    supervised_ceiling(dataset, texts, tags, language)
    start = time.perf_counter()
    amis, aris = [], []
    for seed in range(5):
        labels = reference(texts, true_k, seed)
        amis.append(adjusted_mutual_info_score(tags, labels))
        aris.append(adjusted_rand_score(tags, labels))
    line = {
        "dataset": dataset,
        "method": "reference-tfidf-lsa100-kmeans-true-k",
        "k": true_k,
        "true_k": true_k,
        "ami": round(float(np.mean(amis)), 4),
        "ari": round(float(np.mean(aris)), 4),
        "seconds": round((time.perf_counter() - start) / 5, 2),
    }
    print(json.dumps(line), flush=True)


def supervised_ceiling(dataset: str, texts: list[str], tags: list[str], language: str) -> None:
    """How much of the tags Parlons's features hold at all: a classifier trained on the
    tags themselves (logistic regression, five folds, each answer predicted by a model
    that never saw it), scored like the clusters. Unsupervised grouping on the same
    features rarely comes near it: a bar above it asks for other features, not tuning."""
    start = time.perf_counter()
    # Segmented as NeedsClusterer does, with the built-in vocabulary (its translations).
    segmented = segment_answers(texts, language, themes=load_vocabulary())
    vectors, docs = answer_rows(segmented)
    real = np.flatnonzero(~segmented.non_answer)
    rows = MeaningVectorizer().fit_transform((vectors[real], [docs[i] for i in real]))
    wanted = np.asarray(tags)[real]
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    counts = Counter(wanted.tolist())
    # A tag held by fewer answers than folds cannot be learnt in each: it is left out.
    keep = np.array([counts[t] >= folds.n_splits for t in wanted])
    model = LogisticRegression(C=10, max_iter=3000)
    predicted = cross_val_predict(model, rows[keep], wanted[keep], cv=folds)
    line = {
        "dataset": dataset,
        "method": "supervised-ceiling-logistic-5fold",
        "answers": int(keep.sum()),
        "ami": round(float(adjusted_mutual_info_score(wanted[keep], predicted)), 4),
        "accuracy": round(float(np.mean(predicted == wanted[keep])), 4),
        "seconds": round(time.perf_counter() - start, 2),
    }
    print(json.dumps(line), flush=True)


def need_counts(dataset: str, model: NeedsClusterer) -> None:
    """Per theme the number of needs chosen and its ceiling: whether the count is chosen
    or sits on a bound (one need, or the ceiling, where the ceiling allows a split)."""
    counts = model.need_counts_
    open_themes = [(k, high) for _, k, high in counts if high >= 2]
    line = {
        "dataset": dataset,
        "needs_per_theme": [k for _, k, _ in counts],
        "ceilings": [high for _, _, high in counts],
        "themes_that_could_split": len(open_themes),
        "at_ceiling": sum(1 for k, high in open_themes if k == high),
        "at_one": sum(1 for k, _ in open_themes if k == 1),
    }
    print(json.dumps(line), flush=True)


def theme_labels(result) -> np.ndarray:
    theme_of = {need.cluster: need.theme for need in result.needs}
    return np.array([theme_of.get(int(c), -1) for c in result.labels])


_ENGLISH_ONLY = frozenset(
    "the and of for with to at on in is are my our no not more night sunday help need "
    "work home food shop doctor".split()
)


def demo(root: Path) -> None:
    """The demo survey's "manque" answers: themes, childcare, labels."""
    data = json.loads((root / "fixtures" / "demo_texts.json").read_text(encoding="utf-8"))
    items = data["manque"]
    texts = [item["text"] for item in items]
    start = time.perf_counter()
    model = NeedsClusterer(random_state=0).fit(texts)
    result = model.result_
    seconds = time.perf_counter() - start
    kept = [i for i, item in enumerate(items) if item["theme"] not in ("mixte", "non_reponse")]
    tags = [items[i]["theme"] for i in kept]
    themes = theme_labels(result)[kept]
    childcare = [t for t, tag in zip(themes.tolist(), tags, strict=True) if tag == "enfance"]
    largest = max(childcare.count(t) for t in set(childcare)) / len(childcare)
    labels = [n.label for n in result.needs] + [t.label for t in result.themes]
    english = [label for label in labels if set(normalise(label).split()) & _ENGLISH_ONLY]
    need_keys = [normalise(n.label) for n in result.needs]
    line = {
        "dataset": "demo-manque",
        "themes": len(result.themes),
        "needs": len(result.needs),
        "theme_ami": round(float(adjusted_mutual_info_score(tags, themes)), 4),
        "need_ami": round(float(adjusted_mutual_info_score(tags, result.labels[kept])), 4),
        "childcare_largest_theme_share": round(largest, 3),
        "labels_with_english": english,
        "labels_alike": len(need_keys) - len(set(need_keys)),
        "answers_with_several_needs": sum(1 for m in result.memberships if len(m) > 1),
        "unclassified_share": round(result.unclassified_share, 4),
        "seconds": round(seconds, 2),
        # Each theme count tried and its score: the count is chosen, not a bound.
        "theme_scores": {k: round(v, 4) for k, v in sorted(model.theme_scores_.items())},
    }
    print(json.dumps(line, ensure_ascii=False), flush=True)
    need_counts("demo-manque", model)
    needs = {n.cluster: n for n in result.needs}
    for theme in result.themes:
        print(f"theme {theme.label!r} ({theme.size} residents)", flush=True)
        for cluster in theme.needs:
            need = needs[cluster]
            print(f"    need {need.label!r} ({need.size}, coherence {need.coherence})")


def speed(data: Path, sizes: tuple[int, ...]) -> None:
    with open(data / "stackoverflow" / "title_StackOverflow.txt", encoding="utf-8") as f:
        titles = [line.strip() for line in f]
    with open(data / "stackoverflow" / "label_StackOverflow.txt", encoding="utf-8") as f:
        tags = [line.strip() for line in f]
    for size in sizes:
        texts = [
            title if i < len(titles) else f"{title} ({i // len(titles) + 1})"
            for i, title in ((i, titles[i % len(titles)]) for i in range(size))
        ]
        start, cpu_start = time.perf_counter(), time.process_time()
        result = cluster_needs(texts, language="auto", random_state=0)
        seconds = time.perf_counter() - start
        # CPU seconds of this process: what the run costs whatever else the machine runs.
        cpu = time.process_time() - cpu_start
        # ru_maxrss is in kilobytes on Linux: the peak of the whole process so far.
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        line = {
            "dataset": f"stackoverflow-{size}",
            "method": "parlons",
            "k": len(result.needs),
            "themes": len(result.themes),
            "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2),
            "peak_memory_mb": round(peak_mb),
            # Other work on the machine slows every figure: say how busy it was.
            "load_average_1min": round(os.getloadavg()[0], 1),
        }
        if size <= len(titles):
            line["ami"] = round(float(adjusted_mutual_info_score(tags[:size], result.labels)), 4)
            line["ari"] = round(float(adjusted_rand_score(tags[:size], result.labels)), 4)
        print(json.dumps(line), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    args = parser.parse_args()
    # Models load once when the web app starts: keep that out of the timings.
    load_pipeline("fr")
    load_pipeline("en")
    load_parser("fr")
    # The word table read from the French model (weights, unaccented spellings) is part
    # of loading it: built here, a --skip-quality run times the same work as a full one.
    lexicon()
    if not args.skip_quality:
        demo(ROOT)
        texts, tags = load_fi7(args.data)
        evaluate("grand-debat-FI7", texts, tags, "fr")
        for name, language in (("fra_Latn", "fr"), ("eng_Latn", "en")):
            texts, tags = load_sib(args.data, name)
            evaluate(f"sib-200-{name}", texts, tags, language)
    if not args.skip_speed:
        speed(args.data, tuple(args.sizes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
