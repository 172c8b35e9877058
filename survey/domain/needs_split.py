"""Splitting a need with no number given: the number of sub-needs is lowered until each
holds at least the small-group size, so the split never offers needs of one or two people
(who could be recognised, and say nothing of a shared need)."""

from __future__ import annotations

import asyncio
import functools

from analysis.clustering import split_need as split_texts
from survey.domain import needs as domain
from survey.errors import SurveyError
from survey.models.needs import AnalysisRun, Need

# The analysis offers at most this many sub-needs.
MAX_PARTS = 10


async def _sizes(texts: list[str], n_clusters: int | None) -> list[int]:
    """The sizes of the sub-needs the analysis finds in ``texts`` (largest first)."""
    found = await asyncio.to_thread(functools.partial(split_texts, texts, n_clusters=n_clusters))
    return [sub.size for sub in found.needs]


async def split_in_groups(
    run: AnalysisRun, need_id: int, n_clusters: int | None, min_size: int
) -> list[Need]:
    """Split a need (``domain.split_need``). A number given by staff is theirs; chosen
    automatically, it is the largest whose sub-needs all hold ``min_size`` answers or more,
    and the split is refused (``analysis.split_small_groups``) when even two do not."""
    if n_clusters is not None:
        return await domain.split_need(run, need_id, n_clusters)
    # The same answers, in the same order, as the split itself reads.
    answers = await domain.need_answers(run, need_id) + await domain.need_mentions(run, need_id)
    texts = [t for _, t in answers]
    if len(texts) < 4:
        raise SurveyError("analysis.split_small")
    if len(texts) < 2 * max(1, min_size):
        raise SurveyError("analysis.split_small_groups", n=min_size)
    sizes = await _sizes(texts, None)
    if len(sizes) >= 2 and min(sizes) >= min_size:
        return await domain.split_need(run, need_id, None)
    # Fewer parts, as many as were large enough (two at least), until all are.
    k = min(MAX_PARTS, len(sizes) - 1, max(2, sum(1 for s in sizes if s >= min_size)))
    while k >= 2:
        sizes = await _sizes(texts, k)
        if len(sizes) >= 2 and min(sizes) >= min_size:
            return await domain.split_need(run, need_id, k)
        k -= 1
    raise SurveyError("analysis.split_small_groups", n=min_size)
