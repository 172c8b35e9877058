"""Evaluate needs → actors matching on a labelled set built from the demo, and time it.

The labelled set: every answer of the demo's "what do you lack most" question, tagged with
its theme (``fixtures/demo_texts.json``), is a need phrased by a resident; the demo's
directory (``fixtures/demo_actors.json``) says which themes each actor answers. An actor is
a right answer to a need when it answers the need's theme. A second set groups the answers
by theme five at a time, the way a need of the analysis reads (several quotes); a third
takes the needs the demo's own analysis finds, each labelled with the theme most of its
answers carry. All print hit@3 and MRR for Parlons's matcher and for the plain TF-IDF cosine
reference, in the same run. The speed part matches 200 needs against 5,000 actors.
Run from the repository root:

    python bench/eval_matching.py [--skip-speed] [--skip-analysis]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.matching import (  # noqa: E402
    OfferMatcher,
    TfidfCosine,
    hit_at,
    mean_reciprocal_rank,
)
from analysis.text import load_pipeline  # noqa: E402

FIXTURES = ROOT / "fixtures"
PLACES = ("centre", "bissy", "biollay", "hauts", "merande", "charmettes", "agglo")


def offer_text(actor: dict) -> str:  # type: ignore[type-arg]
    """What the app matches: name, then one offer per line, themes and audience."""
    lines = [actor["name"], *actor["services"], *actor["skills"], *actor["resources"]]
    lines.append(", ".join(actor["themes"]))
    if actor["audience"]:
        lines.append(actor["audience"])
    return "\n".join(line for line in lines if line)


def labelled_sets() -> tuple[list[str], dict[str, tuple[list[str], list[set[int]]]]]:
    actors = json.loads((FIXTURES / "demo_actors.json").read_text(encoding="utf-8"))["actors"]
    answers = json.loads((FIXTURES / "demo_texts.json").read_text(encoding="utf-8"))["manque"]
    offers = [offer_text(a) for a in actors]
    by_theme: dict[str, set[int]] = {}
    for index, actor in enumerate(actors):
        for theme in actor["needs"]:
            by_theme.setdefault(theme, set()).add(index)
    tagged = [a for a in answers if a["theme"] in by_theme]
    single = ([a["text"] for a in tagged], [by_theme[a["theme"]] for a in tagged])
    grouped_texts, grouped_relevant = [], []
    for theme, right in sorted(by_theme.items()):
        texts = [a["text"] for a in tagged if a["theme"] == theme]
        for start in range(0, len(texts) - 4, 5):
            grouped_texts.append("\n".join(texts[start : start + 5]))
            grouped_relevant.append(right)
    return offers, {
        "answers": single,
        "needs_of_five_quotes": (grouped_texts, grouped_relevant),
    }


def analysis_needs(by_theme: dict[str, set[int]]) -> tuple[list[str], list[set[int]]]:
    """The needs the demo's analysis finds (default seed), as the app matches them (name,
    keywords, five quotes), each labelled with the theme most of its answers carry."""
    from collections import Counter

    from analysis.clustering import cluster_needs
    from analysis.text import mask_personal_data

    themes = {
        a["text"]: a["theme"]
        for a in json.loads((FIXTURES / "demo_texts.json").read_text(encoding="utf-8"))["manque"]
    }
    items = json.loads((FIXTURES / "demo_responses.json").read_text(encoding="utf-8"))
    texts = [mask_personal_data(i["answers"]["manque"]) for i in items if "manque" in i["answers"]]
    originals = [i["answers"]["manque"] for i in items if "manque" in i["answers"]]
    result = cluster_needs(texts, random_state=0)
    needs, relevant = [], []
    for need, members in zip(result.needs, result.groups(), strict=True):
        theme = Counter(themes.get(originals[i], "") for i in members).most_common(1)[0][0]
        if theme not in by_theme:
            continue
        quotes = [texts[i] for i in need.quote_indices[:5]]
        needs.append("\n".join([need.label, " ".join(need.keywords), *quotes]))
        relevant.append(by_theme[theme])
    return needs, relevant


def evaluate(with_analysis: bool = True) -> None:
    offers, sets = labelled_sets()
    if with_analysis:
        actors = json.loads((FIXTURES / "demo_actors.json").read_text(encoding="utf-8"))["actors"]
        by_theme: dict[str, set[int]] = {}
        for index, actor in enumerate(actors):
            for theme in actor["needs"]:
                by_theme.setdefault(theme, set()).add(index)
        sets["needs_of_the_demo_analysis"] = analysis_needs(by_theme)
    methods = {"parlons": OfferMatcher(), "tfidf-cosine": TfidfCosine()}
    for name, (needs, relevant) in sets.items():
        for method, model in methods.items():
            scores = model.fit(offers).score(needs)
            print(
                json.dumps(
                    {
                        "set": name,
                        "method": method,
                        "needs": len(needs),
                        "actors": len(offers),
                        "hit@3": round(hit_at(scores, relevant, 3), 3),
                        "mrr": round(mean_reciprocal_rank(scores, relevant), 3),
                    }
                ),
                flush=True,
            )


def speed(n_needs: int = 200, n_actors: int = 5000, seed: int = 0) -> None:
    """Synthetic directory: demo offers recombined, renamed and placed at random."""
    rng = random.Random(seed)
    offers, sets = labelled_sets()
    lines = sorted({line for text in offers for line in text.split("\n")[1:] if line})
    actors = ["\n".join([f"Acteur {i}", *rng.sample(lines, 3)]) for i in range(n_actors)]
    places = [rng.choice(PLACES) for _ in range(n_actors)]
    needs = rng.sample(sets["answers"][0], min(n_needs, len(sets["answers"][0])))
    while len(needs) < n_needs:
        needs.append(rng.choice(sets["answers"][0]))
    need_places = [rng.choice(PLACES) for _ in range(n_needs)]
    load_pipeline("fr")  # loaded once at start-up in the app, as in `parlons match`
    wall, cpu = float("inf"), float("inf")
    for _ in range(3):
        start, start_cpu = time.perf_counter(), time.process_time()
        OfferMatcher().fit(actors, places).rank(needs, need_places, top=3)
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    # CPU seconds of this process: the wall time on a busy shared machine counts the others.
    print(
        json.dumps(
            {
                "speed": "fit+rank top 3",
                "needs": n_needs,
                "actors": n_actors,
                "best_of_3_wall_s": round(wall, 3),
                "best_of_3_cpu_s": round(cpu, 3),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument(
        "--skip-analysis", action="store_true", help="leave out the needs of the demo analysis"
    )
    args = parser.parse_args()
    evaluate(with_analysis=not args.skip_analysis)
    if not args.skip_speed:
        speed()


if __name__ == "__main__":
    main()
