"""A new run carries on the needs of the previous one, or of the previous wave's survey.

Each earlier need is anchored by its representative answers (``analysis.anchoring``): on
a re-run of the same survey, by the answers it shares with a new need; on the next wave
(a survey set as following an earlier one), by the meaning of those answers. A need that
still matches keeps its reviewed name and its "not a need" mark; on the same survey its
ballot options, actions and actor decisions follow it. ``changes`` says what is new,
grew, shrank or is gone.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np

from analysis.anchoring import Anchor, anchor_needs
from analysis.clustering import TwoLevelResult
from analysis.embedding import segment_answers
from analysis.grouping import answer_rows
from analysis.text import mask_personal_data, normalise
from survey.domain.queries import analysis_runs, need_answers, responses
from survey.domain.queries import needs as needs_table
from survey.models.actors import ActorNeedLink
from survey.models.needs import AnalysisRun, AnalysisSettings, Need

# Across waves, sizes are compared as shares of the residents who answered.
_WAVE_TOLERANCE = 0.15


async def previous_run(run: AnalysisRun) -> tuple[AnalysisRun | None, bool]:
    """The run to carry on from, and whether it is on the previous wave's survey."""
    survey_id = run.survey_id
    same = await analysis_runs.newest_done_id(survey_id, run.question_code, exclude=run.id)
    if same is not None:
        return await AnalysisRun.get(id=same), False
    settings = await AnalysisSettings.get_or_none(survey_id=survey_id)
    wave = getattr(settings, "previous_survey_id", None)
    if not wave:
        return None, False
    found = await analysis_runs.newest_done_id(wave, run.question_code)
    if found is None:
        found = await analysis_runs.newest_done_id(wave)
    earlier = None if found is None else await AnalysisRun.get(id=found)
    return earlier, earlier is not None


async def members(run_id: int) -> dict[int, set[int]]:
    """Residents of each need of a run: main need or another need of their answer."""
    return await need_answers.members_by_need(run_id)


async def previous_anchors(run: AnalysisRun, response_ids: list[int]) -> list[list[int]]:
    """The previous run's needs, each as the positions in ``response_ids`` of its answers
    (main need only), so a re-run of the same survey starts from them; none across waves,
    whose answers differ."""
    previous, wave = await previous_run(run)
    if previous is None or wave:
        return []
    groups = await needs_table.main_answers_by_need(previous.id)
    position = {rid: i for i, rid in enumerate(response_ids)}
    return [sorted(position[r] for r in ids if r in position) for ids in groups]


async def _quote_texts(run: AnalysisRun, ids: list[int]) -> dict[int, str]:
    rows = await responses.texts_of(ids, run.question_code)
    return {r.response_id: mask_personal_data(r.text) for r in rows}


def _meanings(groups: list[list[str]]) -> list[np.ndarray | None]:
    """Mean meaning (SIF word vectors) of each group of texts."""
    flat = [t for g in groups for t in g]
    if not flat:
        return [None for _ in groups]
    vectors, _ = answer_rows(segment_answers(flat))
    out: list[np.ndarray | None] = []
    start = 0
    for group in groups:
        rows = vectors[start : start + len(group)]
        start += len(group)
        out.append(rows.mean(axis=0) if len(rows) else None)
    return out


async def _attached(need_ids: list[int]) -> set[int]:
    """Needs that ballot options, actions or actor decisions point at."""
    if not need_ids:
        return set()
    return await needs_table.pointed_at(need_ids)


async def _follow(pairs: list[tuple[int, int]]) -> None:
    """Ballot options, actions and actor decisions move to the need that carries on."""
    if not pairs:
        return
    await needs_table.repoint(pairs)


async def carry_needs(
    run: AnalysisRun,
    needs: list[Need],
    result: TwoLevelResult,
    response_ids: list[int],
    texts: list[str],
) -> dict[str, Any]:
    """Carry the previous run's (or wave's) needs over to ``needs``; say what changed.

    ``texts`` are the run's (masked) answers, in the order of ``response_ids``.
    """
    previous, wave = await previous_run(run)
    if previous is None:
        return {"previous": None}
    old_needs = await Need.filter(run_id=previous.id).order_by("position")
    old_members = await members(previous.id)
    new_members: list[set[int]] = [set() for _ in needs]
    cluster_position = {need.cluster: i for i, need in enumerate(result.needs)}
    for index, clusters in enumerate(result.memberships):
        for cluster in clusters:
            if cluster in cluster_position:
                new_members[cluster_position[cluster]].add(response_ids[index])
    new_reps = [[response_ids[q] for q in need.quote_indices] for need in result.needs]
    if wave:
        old_total = max(1, previous.n_answers - previous.n_non_answers)
        new_total = max(1, len(response_ids) - int(result.non_answer.sum()))
        quoted = [r for n in old_needs for r in n.quote_response_ids]
        old_texts = await _quote_texts(previous, quoted)
        groups = [[old_texts[r] for r in n.quote_response_ids if r in old_texts] for n in old_needs]
        groups += [[texts[q] for q in need.quote_indices] for need in result.needs]
        meanings = await asyncio.to_thread(_meanings, groups)
        old = [
            Anchor(vector=meanings[i], size=len(old_members.get(n.id, ())) / old_total)
            for i, n in enumerate(old_needs)
        ]
        new = [
            Anchor(vector=meanings[len(old_needs) + j], size=len(m) / new_total)
            for j, m in enumerate(new_members)
        ]
        anchoring = anchor_needs(old, new, tolerance=_WAVE_TOLERANCE)
    else:
        old = [
            Anchor(
                members=frozenset(old_members.get(n.id, ())),
                representatives=tuple(n.quote_response_ids),
                size=len(old_members.get(n.id, ())),
                name=n.label,
            )
            for n in old_needs
        ]
        new = [
            Anchor(members=frozenset(m), representatives=tuple(r), size=len(m), name=need.label)
            for m, r, need in zip(new_members, new_reps, result.needs, strict=True)
        ]
        anchoring = anchor_needs(old, new)
    attached = set() if wave else await _attached([n.id for n in old_needs])
    summary: dict[str, list[str]] = {"kept": [], "grew": [], "shrank": [], "gone": [], "new": []}
    followed = []
    for i, old_need in enumerate(old_needs):
        name = old_need.staff_label or old_need.label
        if i not in anchoring.pairs:
            summary["gone"].append(name)
            continue
        target = needs[anchoring.pairs[i]]
        target.previous_id = old_need.id
        fields = ["previous_id"]
        # A reviewed name stays; so does the name options and decisions were taken under.
        if old_need.staff_label or old_need.id in attached:
            target.staff_label, target.edited = name, True
            fields += ["staff_label", "edited"]
        if not old_need.is_need:
            target.is_need, target.edited = False, True
            fields += ["is_need", "edited"]
        await target.save(update_fields=list(dict.fromkeys(fields)))
        summary["kept"].append(name)
        status = anchoring.old_status[i]
        if status in ("grew", "shrank"):
            summary[status].append(name)
        if not wave:
            followed.append((old_need.id, target.id))
    await _follow(followed)
    summary["new"] = [needs[j].label for j, s in anchoring.new_status.items() if s == "new"]
    return {"previous": previous.id, "wave": wave, **summary}


async def attach_named_links(run: AnalysisRun, needs: list[Need]) -> None:
    """Decisions named before any analysis found their need (the demo's matches) take the
    need of ``run`` of that name; where the actor already has a decision on it, that one
    stands."""
    waiting = await ActorNeedLink.filter(
        survey_id=run.survey_id, question_code=run.question_code, need_id=None
    )
    if not waiting:
        return
    by_name: dict[str, int] = {}
    for need in needs:
        by_name.setdefault(normalise(need.staff_label or need.label), need.id)
    decided = set(
        await ActorNeedLink.filter(need_id__in=list(by_name.values())).values_list(
            "actor_id", "need_id"
        )
    )
    for link in waiting:
        need_id = by_name.get(normalise(link.need_label))
        if need_id is None:
            continue
        if (link.actor_id, need_id) in decided:
            await link.delete()
            continue
        link.need_id = need_id
        await link.save(update_fields=["need_id"])
        decided.add((link.actor_id, need_id))
