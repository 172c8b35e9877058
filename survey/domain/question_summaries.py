"""Question summaries: the bars, histogram, ranking or mean shown for each question, and the
share of respondents who answered each optional question, small groups hidden."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from survey.domain.definitions import QuestionDef, SurveyDef
from survey.domain.small_groups import hide_small, share
from survey.domain.tallies import Counts
from survey.enums import CHOICE_KINDS, QuestionKind

HISTOGRAM_BINS = 10


@dataclass(frozen=True)
class Bar:
    """One bar: a choice code, a scale value or a histogram bin (``low``/``high``)."""

    code: str
    n: int | None
    share: float | None = None
    mean: float | None = None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class QuestionSummary:
    question: QuestionDef
    answered: int | None
    bars: tuple[Bar, ...] = ()
    mean: float | None = None
    texts: tuple[str, ...] = ()

    @property
    def chart(self) -> str:
        """Which chart fits: bars, histogram, ranking, text or none."""
        kind = self.question.kind
        if self.question.personal_data:
            return "none"
        if kind in CHOICE_KINDS:
            return "bars"
        if kind in (QuestionKind.SCALE, QuestionKind.NUMBER):
            return "histogram"
        if kind == QuestionKind.RANKING:
            return "ranking"
        if kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
            return "text"
        return "none"


def _choice_bars(q: QuestionDef, counts: Counts, threshold: int) -> tuple[Bar, ...]:
    values = counts.values(q.code)
    codes = [c.code for c in q.choices] + [
        v for v in values if v not in {c.code for c in q.choices}
    ]
    shown = hide_small({c: values.get(c, (0, 0.0))[0] for c in codes}, threshold)
    answered = counts.n(q.code)
    return tuple(Bar(c, shown[c], share(shown[c], answered)) for c in codes)


def _numbers(values: Mapping[str, tuple[int, float]]) -> list[tuple[float, int]]:
    pairs = []
    for text, (n, _) in values.items():
        try:
            pairs.append((float(text), n))
        except ValueError:
            continue
    return sorted(pairs)


def _mean(pairs: Sequence[tuple[float, int]]) -> float | None:
    total = sum(n for _, n in pairs)
    return sum(v * n for v, n in pairs) / total if total else None


def _scale_bars(
    q: QuestionDef, counts: Counts, threshold: int
) -> tuple[tuple[Bar, ...], float | None]:
    pairs = _numbers(counts.values(q.code))
    low = int(q.settings.get("min", 1))
    high = int(q.settings.get("max", 5))
    by_value = {int(v): n for v, n in pairs}
    codes = [str(v) for v in range(low, high + 1)]
    shown = hide_small({c: by_value.get(int(c), 0) for c in codes}, threshold)
    answered = counts.n(q.code)
    bars = tuple(
        Bar(c, shown[c], share(shown[c], answered), low=int(c), high=int(c)) for c in codes
    )
    return bars, _mean(pairs)


def histogram(
    pairs: Sequence[tuple[float, int]], bins: int = HISTOGRAM_BINS
) -> list[tuple[float, float, int]]:
    """(low, high, count) bins of counted values: one per value when few, else equal widths."""
    if not pairs:
        return []
    distinct = sorted({v for v, _ in pairs})
    if len(distinct) <= bins:
        merged: dict[float, int] = {}
        for v, n in pairs:
            merged[v] = merged.get(v, 0) + n
        return [(v, v, merged[v]) for v in distinct]
    low, high = distinct[0], distinct[-1]
    width = (high - low) / bins
    result = [[low + i * width, low + (i + 1) * width, 0] for i in range(bins)]
    for v, n in pairs:
        index = min(int((v - low) / width), bins - 1)
        result[index][2] += n
    return [(a, b, int(c)) for a, b, c in result]


def _number_bars(
    q: QuestionDef, counts: Counts, threshold: int
) -> tuple[tuple[Bar, ...], float | None]:
    pairs = _numbers(counts.values(q.code))
    bins = histogram(pairs)
    keys = [f"{i}" for i in range(len(bins))]
    shown = hide_small({k: b[2] for k, b in zip(keys, bins, strict=True)}, threshold)
    answered = counts.n(q.code)
    bars = tuple(
        Bar(k, shown[k], share(shown[k], answered), low=b[0], high=b[1])
        for k, b in zip(keys, bins, strict=True)
    )
    return bars, _mean(pairs)


def _ranking_bars(q: QuestionDef, counts: Counts, threshold: int) -> tuple[Bar, ...]:
    values = counts.values(q.code)
    bars = []
    for c in q.choices:
        n, total = values.get(c.code, (0, 0.0))
        visible = n if n == 0 or n >= threshold else None
        bars.append(Bar(c.code, visible, mean=total / n if visible else None))
    return tuple(sorted(bars, key=lambda b: (b.mean is None, b.mean or 0.0)))


def summarise(
    definition: SurveyDef, counts: Counts, texts: Mapping[str, Sequence[str]], threshold: int
) -> list[QuestionSummary]:
    """One summary per question, every group smaller than ``threshold`` hidden."""
    summaries = []
    for q in definition.questions:
        answered_raw = counts.n(q.code)
        answered = answered_raw if answered_raw == 0 or answered_raw >= threshold else None
        bars: tuple[Bar, ...] = ()
        mean = None
        kind = q.kind
        if q.personal_data:
            pass
        elif kind in CHOICE_KINDS:
            bars = _choice_bars(q, counts, threshold)
        elif kind == QuestionKind.SCALE:
            bars, mean = _scale_bars(q, counts, threshold)
        elif kind == QuestionKind.NUMBER:
            bars, mean = _number_bars(q, counts, threshold)
        elif kind == QuestionKind.RANKING:
            bars = _ranking_bars(q, counts, threshold)
        if answered is None:
            mean = None
        # Words follow the counts: no answer is quoted from a group too small to be counted.
        shown_texts = tuple(texts.get(q.code, ())) if answered else ()
        summaries.append(QuestionSummary(q, answered, bars, mean, shown_texts))
    return summaries


@dataclass(frozen=True)
class SectionRate:
    title: dict[str, str]
    rates: tuple[tuple[QuestionDef, int | None, float | None], ...]


def section_rates(definition: SurveyDef, counts: Counts, threshold: int) -> list[SectionRate]:
    """Per section, how many answered each optional question (required ones are always)."""
    base = counts.base
    sections = []
    for s in definition.sections:
        rates = []
        for q in s.questions:
            if q.required:
                continue
            n = counts.n(q.code)
            shown = n if n == 0 or n >= threshold else None
            rates.append((q, shown, share(shown, base)))
        sections.append(SectionRate(s.title, tuple(rates)))
    return sections
