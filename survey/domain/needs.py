"""Needs analysis in the app: runs as background jobs, staff review, breakdowns.

The bridge between the database and ``analysis.clustering``: answers are read with one
query, masked (e-mails, phone numbers), clustered in a worker thread, and stored as needs
with a row per answer. Staff edits (rename, merge, split, move, not a need) change those
rows; a re-run carries the edits over to the needs that still match.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from tortoise.transactions import in_transaction

from analysis.clustering import TwoLevelResult, cluster_needs, label_groups
from analysis.clustering import split_need as split_texts
from analysis.quotes import about_quotes
from analysis.text import mask_personal_data
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef, get_definition
from survey.domain.jobs import Progress, enqueue
from survey.domain.needs_carry import attach_named_links, carry_needs, previous_anchors
from survey.domain.needs_quality import record_review
from survey.domain.needs_settings import survey_vocabulary
from survey.domain.queries import actor_need_links, analysis_runs, responses
from survey.domain.queries import need_answers as need_answers_table
from survey.domain.queries import need_mentions as need_mentions_table
from survey.domain.queries import needs as needs_table
from survey.enums import CHOICE_KINDS, TEXT_KINDS, JobState, QuestionKind
from survey.errors import Conflict, NotFound, SurveyError
from survey.models.needs import AnalysisRun, Need

JOB_KIND = "needs.analyse"
MIN_ANSWERS = 5
MAX_LABEL = 200


@dataclass(frozen=True)
class NeedView:
    id: int
    label: str
    auto_label: str
    keywords: list[str]
    quotes: list[str]
    size: int
    share: float
    is_need: bool
    edited: bool
    theme_label: str = ""
    theme_position: int = 0
    coherence: float = 0.0
    # Residents counted in ``size`` for whom it is another need than their main one.
    also: int = 0
    previous_id: int | None = None


@dataclass(frozen=True)
class ThemeView:
    """A theme and its needs, as staff see it first."""

    label: str
    size: int
    needs: list[NeedView]


def text_questions(definition: SurveyDef) -> list[Any]:
    return [q for q in definition.questions if q.kind in TEXT_KINDS]


def _text_question(definition: SurveyDef, code: str) -> None:
    if code not in {q.code for q in text_questions(definition)}:
        raise SurveyError("analysis.not_text_question")


async def start_analysis(
    slug: str, question_code: str, *, n_clusters: int | None = None, seed: int = 0
) -> AnalysisRun:
    """Queue a run over a free-text question; one queued or running run per question.

    The run and its job are made in one transaction: a run never lacks its job."""
    definition = await get_definition(slug)
    _text_question(definition, question_code)
    if n_clusters is not None and not 2 <= n_clusters <= 60:
        raise SurveyError("analysis.bad_k", min=2, max=60)
    # The transaction's connection is lent to one user at a time: the ORM's calls go
    # between the blocks that hold it.
    async with in_transaction():
        async with connection() as conn:
            await analysis_runs.lock_question(conn, definition.id, question_code)
            if await analysis_runs.has_active(conn, definition.id, question_code):
                raise Conflict("analysis.already_running")
        run = await AnalysisRun.create(
            survey_id=definition.id,
            question_code=question_code,
            params={"n_clusters": n_clusters, "seed": seed},
        )
        async with connection() as conn:
            run.job_id = await enqueue(JOB_KIND, {"run": run.id}, conn=conn)
        await run.save(update_fields=["job_id"])
    return run


async def _answers(survey_id: int, code: str) -> list[tuple[int, str]]:
    rows = await responses.text_answers(survey_id, code)
    return [(r.response_id, mask_personal_data(r.text)) for r in rows]


async def give_up_analysis(payload: dict[str, Any]) -> None:
    """The run's job was given up (its workers kept stopping), and so the run failed (its
    job says so): its record says why, unless it recorded an end already."""
    await AnalysisRun.filter(id=payload["run"], finished_at__isnull=True).update(
        error="analysis.failed", finished_at=dt.datetime.now(dt.UTC)
    )


async def run_analysis(payload: dict[str, Any], progress: Progress) -> None:
    """The job: cluster a question's answers and store the needs. The job's state is the
    run's; the run records its result (or its error) and when it ended."""
    run = await AnalysisRun.get(id=payload["run"])
    if run.finished_at is not None:
        # The job is taken again after the run recorded its end (its worker stopped before
        # marking the job): it ends as the run did, and nothing is stored twice.
        if run.error:
            raise SurveyError(run.error)
        return
    try:
        answers = await _answers(run.survey_id, run.question_code)
        if len(answers) < MIN_ANSWERS:
            raise SurveyError("analysis.too_few", min=MIN_ANSWERS)
        await progress(0.1)
        texts = [t for _, t in answers]
        vocabulary = await survey_vocabulary(run.survey_id)
        anchors = await previous_anchors(run, [rid for rid, _ in answers])
        # CPU-bound: run it off the event loop so the app keeps answering meanwhile.
        result = await asyncio.to_thread(
            functools.partial(
                cluster_needs,
                texts,
                n_clusters=run.params.get("n_clusters"),
                vocabulary=vocabulary,
                random_state=run.params.get("seed", 0),
                anchors=anchors,
            )
        )
        await progress(0.8)
        await _store(run, [rid for rid, _ in answers], result, texts)
    except Exception as exc:
        run.error = exc.key if isinstance(exc, SurveyError) else "analysis.failed"
        run.finished_at = dt.datetime.now(dt.UTC)
        await run.save(update_fields=["error", "finished_at"])
        raise
    await progress(1.0)


async def _store(
    run: AnalysisRun, response_ids: list[int], result: TwoLevelResult, texts: list[str]
) -> None:
    cluster_to_position = {need.cluster: i for i, need in enumerate(result.needs)}
    theme_of = {c: (i, t) for i, t in enumerate(result.themes) for c in t.needs}
    # Quotes shown under a need are central answers that speak of it.
    quotes = {
        need.cluster: about_quotes(
            texts,
            need.quote_indices,
            np.flatnonzero(result.labels == need.cluster).tolist(),
            need.label,
            need.keywords,
            k=max(3, len(need.quote_indices)),
        )
        for need in result.needs
    }
    async with in_transaction():
        needs = [
            await Need.create(
                run=run,
                position=i,
                label=need.label[:MAX_LABEL],
                theme_key=(theme_of[need.cluster][1].vocabulary_id or "")[:64]
                if need.cluster in theme_of
                else "",
                theme_label=theme_of[need.cluster][1].label[:MAX_LABEL]
                if need.cluster in theme_of
                else "",
                theme_position=theme_of[need.cluster][0] if need.cluster in theme_of else 0,
                coherence=need.coherence,
                keywords=list(need.keywords),
                quote_response_ids=[response_ids[q] for q in quotes[need.cluster]],
                size=need.size,
            )
            for i, need in enumerate(result.needs)
        ]
        rows = []
        for index, response_id in enumerate(response_ids):
            cluster = int(result.labels[index])
            position = cluster_to_position.get(cluster)
            x, y = result.coords[index]
            rows.append(
                (
                    run.id,
                    response_id,
                    needs[position].id if position is not None else None,
                    bool(result.non_answer[index]),
                    float(x) if x == x else 0.0,
                    float(y) if y == y else 0.0,
                    position if position is not None else -1,
                )
            )
        # The other needs of answers that speak of several, in the analysis's order.
        mentions = [
            (run.id, response_ids[index], needs[cluster_to_position[c]].id, rank)
            for index, clusters in enumerate(result.memberships)
            for rank, c in enumerate(clusters)
            if rank > 0 and c in cluster_to_position
        ]
        async with connection() as conn:
            await need_answers_table.insert(conn, rows)
            await need_mentions_table.insert(conn, mentions)
        run.changes = await carry_needs(run, needs, result, response_ids, texts)
        await attach_named_links(run, needs)
        run.quality = {
            "unclassified_share": round(result.unclassified_share, 4),
            "coherence": round(
                sum(n.coherence * n.size for n in result.needs)
                / max(1, sum(n.size for n in result.needs)),
                4,
            ),
            "themes": len(result.themes),
            "needs": len(result.needs),
            "several_needs": sum(1 for m in result.memberships if len(m) > 1),
        }
        run.n_answers = len(response_ids)
        run.n_non_answers = int(result.non_answer.sum())
        run.finished_at = dt.datetime.now(dt.UTC)
        await run.save(
            update_fields=[
                "changes",
                "quality",
                "n_answers",
                "n_non_answers",
                "finished_at",
            ]
        )


async def get_run(slug: str, run_id: int) -> tuple[SurveyDef, AnalysisRun]:
    definition = await get_definition(slug)
    run = await AnalysisRun.get_or_none(id=run_id, survey_id=definition.id)
    if run is None:
        raise NotFound("analysis.run_not_found")
    return definition, run


async def run_state(run: AnalysisRun) -> JobState:
    """Where the run is: its job's state (see ``queries.analysis_runs``)."""
    return (await analysis_runs.states([run.id]))[run.id]


async def list_runs(survey_id: int) -> list[tuple[AnalysisRun, JobState]]:
    """The survey's runs, newest first, each with its state."""
    runs = await AnalysisRun.filter(survey_id=survey_id).order_by("-created_at", "-id")
    states = await analysis_runs.states([r.id for r in runs])
    return [(r, states[r.id]) for r in runs]


async def latest_run(survey_id: int, question_code: str | None = None) -> AnalysisRun | None:
    """The newest finished run (of a question, or of any question)."""
    found = await analysis_runs.newest_done_id(survey_id, question_code or None)
    return None if found is None else await AnalysisRun.get_or_none(id=found)


async def _texts(survey_id: int, code: str, response_ids: list[int]) -> dict[int, str]:
    if not response_ids:
        return {}
    rows = await responses.text_answers(survey_id, code, ids=response_ids)
    return {r.response_id: mask_personal_data(r.text) for r in rows}


async def needs_of_run(run: AnalysisRun) -> list[NeedView]:
    """The run's needs with live sizes (one grouped query) and their quotes, largest first."""
    needs = await Need.filter(run_id=run.id)
    counted = await need_answers_table.residents_by_need(run.id)
    sizes = {need_id: c.residents for need_id, c in counted.items()}
    also = {need_id: c.also for need_id, c in counted.items()}
    quote_ids = [rid for n in needs for rid in n.quote_response_ids]
    texts = await _texts(run.survey_id, run.question_code, quote_ids)
    # Shares are of the residents who gave a real answer: an answer with several needs
    # counts in each, so shares may add up to more than 100 %.
    total = max(1, run.n_answers - run.n_non_answers)
    views = [
        NeedView(
            id=n.id,
            label=mask_personal_data(n.staff_label or n.label),
            auto_label=n.label,
            keywords=list(n.keywords),
            quotes=[texts[r] for r in n.quote_response_ids if r in texts],
            size=sizes.get(n.id, 0),
            share=sizes.get(n.id, 0) / total if n.is_need else 0.0,
            is_need=n.is_need,
            edited=n.edited,
            theme_label=n.theme_label,
            theme_position=n.theme_position,
            coherence=n.coherence,
            also=also.get(n.id, 0),
            previous_id=n.previous_id,
        )
        for n in needs
    ]
    return sorted(views, key=lambda v: (not v.is_need, -v.size, v.id))


def themes_of(needs: list[NeedView], residents: dict[str, int] | None = None) -> list[ThemeView]:
    """Needs grouped by theme, largest theme first; needs marked "not a need" last.

    ``residents`` (from ``theme_residents``) sizes each theme by the residents citing any
    of its needs, once each; without it, a theme's size is the sum of its needs'."""
    groups: dict[str, list[NeedView]] = {}
    for need in needs:
        if need.is_need:
            groups.setdefault(need.theme_label, []).append(need)
    themes = [
        ThemeView(
            label=k,
            size=residents[k] if residents and k in residents else sum(n.size for n in v),
            needs=v,
        )
        for k, v in groups.items()
    ]
    return sorted(themes, key=lambda t: (-t.size, t.label))


async def theme_residents(run: AnalysisRun) -> dict[str, int]:
    """Residents citing at least one need of each theme (by theme label), once each."""
    return await need_answers_table.residents_by_theme(run.id)


async def unclassified_count(run: AnalysisRun) -> int:
    """Real answers (non-answers left out) with no need."""
    return await need_answers_table.count_unclassified(run.id)


async def need_answers(run: AnalysisRun, need_id: int | None) -> list[tuple[int, str]]:
    """(response id, masked text) of the answers whose main need it is; ``None``: the
    unclassified ones."""
    rows = await need_answers_table.texts(run.id, need_id, run.question_code)
    return [(r.response_id, mask_personal_data(r.text)) for r in rows]


async def need_mentions(run: AnalysisRun, need_id: int) -> list[tuple[int, str]]:
    """(response id, masked text) of the answers that speak of a need besides their main one."""
    rows = await need_mentions_table.texts(run.id, need_id, run.question_code)
    return [(r.response_id, mask_personal_data(r.text)) for r in rows]


async def _need(run: AnalysisRun, need_id: int) -> Need:
    need = await Need.get_or_none(id=need_id, run_id=run.id)
    if need is None:
        raise NotFound("analysis.need_not_found")
    return need


async def rename_need(run: AnalysisRun, need_id: int, label: str) -> Need:
    label = " ".join(label.split())
    if not label:
        raise SurveyError("analysis.label_empty")
    if len(label) > MAX_LABEL:
        raise SurveyError("analysis.label_long", max=MAX_LABEL)
    need = await _need(run, need_id)
    need.staff_label, need.edited = label, True
    await need.save(update_fields=["staff_label", "edited"])
    await record_review(run, "rename")
    return need


async def toggle_need(run: AnalysisRun, need_id: int) -> Need:
    """Mark a need as "not a need" (or back)."""
    need = await _need(run, need_id)
    need.is_need, need.edited = not need.is_need, True
    await need.save(update_fields=["is_need", "edited"])
    await record_review(run, "not_need")
    return need


async def _relabel(run: AnalysisRun, need: Need) -> None:
    """New automatic label, keywords and quotes for a need whose answers changed."""
    answers = await need_answers(run, need.id)
    if not answers:
        return
    texts = [t for _, t in answers]
    others = await Need.filter(run_id=run.id).exclude(id=need.id)
    taken = [n.staff_label or n.label for n in others]
    needs = await asyncio.to_thread(
        functools.partial(label_groups, taken=taken), texts, [0] * len(texts)
    )
    if needs:
        need.label = needs[0].label[:MAX_LABEL] or need.label
        need.keywords = list(needs[0].keywords)
        need.quote_response_ids = [answers[i][0] for i in needs[0].quote_indices]
    need.size = len(answers)
    await need.save(update_fields=["label", "keywords", "quote_response_ids", "size"])


def _clean_label(label: str) -> str:
    label = " ".join(label.split())
    if not label:
        raise SurveyError("analysis.label_empty")
    if len(label) > MAX_LABEL:
        raise SurveyError("analysis.label_long", max=MAX_LABEL)
    return label


async def _merge_group(run: AnalysisRun, need_ids: list[int]) -> list[Need]:
    ids = list(dict.fromkeys(need_ids))
    if len(ids) < 2:
        raise SurveyError("analysis.merge_two")
    return [await _need(run, i) for i in ids]


async def propose_merge(run: AnalysisRun, need_ids: list[int]) -> str:
    """The name proposed for needs about to be merged, from their answers' phrases;
    nothing is changed."""
    needs = await _merge_group(run, need_ids)
    texts = [t for n in needs for _, t in await need_answers(run, n.id)]
    merged = {n.id for n in needs}
    others = await Need.filter(run_id=run.id).exclude(id__in=list(merged))
    found = []
    if texts:
        found = await asyncio.to_thread(
            functools.partial(label_groups, taken=[n.staff_label or n.label for n in others]),
            texts,
            [0] * len(texts),
        )
    proposed = found[0].label if found and found[0].label else ""
    return (proposed or needs[0].staff_label or needs[0].label)[:MAX_LABEL]


async def merge_needs(run: AnalysisRun, need_ids: list[int], label: str | None = None) -> Need:
    """Merge needs into the first one given, named ``label`` (None: a proposed name);
    the others disappear. A resident who cited several of them is counted once."""
    named = _clean_label(label) if label is not None else None
    needs = await _merge_group(run, need_ids)
    keep, others = needs[0], needs[1:]
    gone = [n.id for n in others]
    async with in_transaction():
        async with connection() as conn:
            await need_answers_table.move_to(conn, run.id, keep.id, gone)
            await need_mentions_table.merge_into(conn, run.id, keep.id, gone)
            # The merged need holds what staff decided on each of them.
            await actor_need_links.merge_into(conn, keep.id, gone)
            await needs_table.move_followers(conn, gone, keep.id)
        await Need.filter(id__in=gone).delete()
        keep.edited = True
        if named is not None:
            keep.staff_label = named
        await keep.save(update_fields=["edited", "staff_label"])
    await _relabel(run, keep)
    await record_review(run, "merge")
    return keep


async def split_need(run: AnalysisRun, need_id: int, n_clusters: int | None = None) -> list[Need]:
    """Re-cluster inside a need; its answers, and those that also speak of it, go to new
    sub-needs in the same theme."""
    need = await _need(run, need_id)
    main = await need_answers(run, need.id)
    also = await need_mentions(run, need.id)
    answers = main + also
    if len(answers) < 4:
        raise SurveyError("analysis.split_small")
    if n_clusters is not None and not 2 <= n_clusters <= min(10, len(answers)):
        raise SurveyError("analysis.bad_k", min=2, max=min(10, len(answers)))
    result = await asyncio.to_thread(split_texts, [t for _, t in answers], n_clusters=n_clusters)
    if len(result.needs) < 2:
        raise SurveyError("analysis.split_failed")
    last = await Need.filter(run_id=run.id).order_by("-position").first()
    base = (last.position if last else 0) + 1
    created = []
    async with in_transaction():
        for offset, sub in enumerate(result.needs):
            created.append(
                await Need.create(
                    run=run,
                    position=base + offset,
                    label=sub.label[:MAX_LABEL],
                    theme_key=need.theme_key,
                    theme_label=need.theme_label,
                    theme_position=need.theme_position,
                    coherence=sub.coherence,
                    keywords=list(sub.keywords),
                    quote_response_ids=[answers[q][0] for q in sub.quote_indices],
                    size=sub.size,
                    edited=True,
                )
            )
        by_cluster = {sub.cluster: n.id for sub, n in zip(result.needs, created, strict=True)}
        targets = [by_cluster.get(int(label)) for label in result.labels]
        async with connection() as conn:
            await need_answers_table.set_needs(
                conn,
                run.id,
                [(t, rid) for (rid, _), t in zip(main, targets[: len(main)], strict=True)],
            )
            await need_mentions_table.insert_unless_main(
                conn,
                run.id,
                [(rid, t) for (rid, _), t in zip(also, targets[len(main) :], strict=True)],
            )
            await actor_need_links.split_into(conn, need.id, [n.id for n in created])
            # Options and actions name one need: the part that holds most of its answers.
            largest = max(created, key=lambda n: (n.size, -n.position))
            await needs_table.move_followers(conn, [need.id], largest.id)
        await need.delete()
    await record_review(run, "split")
    return created


async def move_answer(run: AnalysisRun, response_id: int, need_id: int | None) -> None:
    """Move one answer's main need to another need (``None``: unclassified)."""
    if need_id is not None:
        await _need(run, need_id)
    async with connection() as conn:
        if not await need_answers_table.set_need(conn, run.id, response_id, need_id):
            raise NotFound("analysis.answer_not_found")
        # Its main need now: no longer one of its other needs.
        await need_mentions_table.delete_one(conn, run.id, response_id, need_id)
    await record_review(run, "move")


async def answer_points(run: AnalysisRun) -> list[dict[str, Any]]:
    """Per answer: map position, need and masked text (for the 2-D map)."""
    rows = await need_answers_table.points(run.id, run.question_code)
    return [
        {"x": r.x, "y": r.y, "need": r.need_id, "text": mask_personal_data(r.text)} for r in rows
    ]


async def breakdown(
    run: AnalysisRun, definition: SurveyDef, by: str, threshold: int
) -> tuple[list[str], dict[tuple[int, str], int | None]]:
    """Needs × answers of a choice question, counted in SQL; small groups hidden (None)."""
    question = definition.question(by)
    if question.kind not in CHOICE_KINDS and question.kind != QuestionKind.MULTIPLE:
        raise SurveyError("analysis.not_choice_question")
    rows = await need_answers_table.counts_by_need_and_choice(
        run.id, by, multiple=question.kind == QuestionKind.MULTIPLE
    )
    counts: dict[tuple[int, str], int | None] = {
        (r.need_id, r.value): r.n if r.n >= threshold else None for r in rows
    }
    return [c.code for c in question.choices], counts


def changes_summary(run: AnalysisRun) -> dict[str, Any]:
    return run.changes if isinstance(run.changes, dict) else json.loads(run.changes or "{}")


async def forget_erased(need_ids: list[int]) -> None:
    """Build again the automatic label, keywords and quotes of needs that lost answers
    (erased by their author or past retention) from the answers left, so that nothing taken
    from the erased ones stays; a need left with no answer is emptied and set aside."""
    for need in await Need.filter(id__in=need_ids).prefetch_related("run"):
        answers = await need_answers(need.run, need.id)
        found = []
        if answers:
            texts = [t for _, t in answers]
            found = await asyncio.to_thread(label_groups, texts, [0] * len(texts))
        if found:
            need.label = found[0].label[:MAX_LABEL]
            need.keywords = list(found[0].keywords)
            need.quote_response_ids = [answers[i][0] for i in found[0].quote_indices]
        else:
            need.label, need.keywords, need.quote_response_ids = "", [], []
            need.is_need = bool(answers) and need.is_need
        also = await need_mentions(need.run, need.id)
        need.size = len({rid for rid, _ in answers} | {rid for rid, _ in also})
        await need.save(
            update_fields=["label", "keywords", "quote_response_ids", "size", "is_need"]
        )
