"""What a consultation decided, said in words that fit its method: on the results pages, in
the report (hand-added options and statements included), and for actions."""

from __future__ import annotations

import itertools

import httpx
import pytest

from survey.domain.consultations import get_consultation, open_consultation
from survey.domain.council_ballots import record_paper_ballot
from survey.domain.council_results import close_consultation
from survey.domain.db import connection
from survey.domain.outcomes import outcome_of
from survey.models.needs import AnalysisRun, Need
from survey.models.sortition import SortitionDraw
from tests.factories import make_survey
from tests.factories.council import make_consultation, make_council, option_ids
from tests.factories.staff import login, staff_user
from tests.htmlform import text_of

pytestmark = pytest.mark.usefixtures("orm")
_counter = itertools.count(1)


async def closed(method: str, titles: list[str], ballots: list[dict[int, int]], **settings: str):
    """A consultation closed after paper ballots (option position → mark), and its council."""
    council, members = await make_council(len(ballots))
    consultation = await make_consultation(
        council, method, titles, costs=settings.pop("costs", None), **settings
    )
    ids = await option_ids(consultation)
    for member, ballot in zip(members, ballots, strict=True):
        marks = {ids[k]: v for k, v in ballot.items()}
        await record_paper_ballot(council.id, consultation.id, member.id, marks, actor="t")
    await close_consultation(council.id, consultation.id, actor="t")
    return council, await get_consultation(council.id, consultation.id)


async def staff(client: httpx.AsyncClient) -> None:
    await staff_user(email := f"outcome{next(_counter)}@parlons.example.org")
    await login(client, email)


def ranking(consultation) -> list[tuple[int, str, bool]]:  # type: ignore[no-untyped-def]
    outcome = outcome_of(consultation.results)
    assert outcome is not None
    return [(p.rank, p.title, p.won) for p in outcome.placed]


async def test_majority_judgment_names_the_winner_and_its_grade(client: httpx.AsyncClient) -> None:
    # Grades 0..6: "Bus" gets Bien, Très bien, Bien; "Crèche" Passable, Bien, Passable.
    council, consultation = await closed(
        "majority_judgment", ["Crèche", "Bus"], [{0: 2, 1: 4}, {0: 4, 1: 5}, {0: 2, 1: 4}]
    )
    assert ranking(consultation) == [(1, "Bus", True), (2, "Crèche", False)]
    await staff(client)
    page = await client.get(f"/staff/councils/{council.id}/consultations/{consultation.id}/results")
    text = " ".join(text_of(page.text).split())
    assert "« Bus » l'emporte, avec la mention majoritaire « Bien »." in text
    assert text.index("Bus – retenue") < text.index("Crèche (mention majoritaire : Passable)")
    english = await client.get(
        f"/staff/councils/{council.id}/consultations/{consultation.id}/results?lang=en"
    )
    assert "“Bus” wins, with the majority grade “Good”." in text_of(english.text)


async def test_approval_tie_names_both_options() -> None:
    _, consultation = await closed(
        "approval", ["Crèche", "Bus", "Jardin"], [{0: 1, 1: 1}, {0: 1, 1: 1}, {2: 1}]
    )
    assert ranking(consultation) == [(1, "Crèche", True), (1, "Bus", True), (3, "Jardin", False)]
    outcome = outcome_of(consultation.results)
    assert outcome is not None
    assert outcome.summary_key == "council.outcome_approval_tie"
    assert outcome.summary_params == {"winners": "« Crèche », « Bus »", "share": "67 %"}


async def test_ranked_says_whether_the_winner_beats_every_other_option() -> None:
    # Rank 1 is best. "Bus" is preferred to each other option by two voters out of three.
    _, condorcet = await closed(
        "ranked",
        ["Crèche", "Bus", "Jardin"],
        [{1: 1, 0: 2, 2: 3}, {1: 1, 2: 2, 0: 3}, {0: 1, 2: 2, 1: 3}],
    )
    outcome = outcome_of(condorcet.results)
    assert outcome is not None
    assert (outcome.summary_key, outcome.summary_params) == (
        "council.outcome_condorcet",
        {"winner": "Bus"},
    )
    assert [p.title for p in outcome.placed][0] == "Bus"


async def test_budget_lists_funded_projects_first_within_the_budget() -> None:
    _, consultation = await closed(
        "budget",
        ["Crèche", "Bus", "Jardin"],
        [{0: 1}, {0: 1, 2: 1}, {1: 1, 2: 1}],
        costs=[40000, 30000, 20000],
        budget="60000",
    )
    outcome = outcome_of(consultation.results)
    assert outcome is not None
    funded = [p.title for p in outcome.placed if p.won]
    assert funded and set(funded) <= {"Crèche", "Bus", "Jardin"}
    assert [p.won for p in outcome.placed] == sorted((p.won for p in outcome.placed), reverse=True)
    cost = {"Crèche": 40000, "Bus": 30000, "Jardin": 20000}
    assert sum(cost[t] for t in funded) <= 60000
    assert outcome.summary_params["n"] == len(funded)


async def test_statements_outcome_lists_what_a_majority_agreed_with() -> None:
    _, consultation = await closed(
        "statements",
        ["Plus de bancs", "Un marché le samedi", "Fermer la rue"],
        [{0: 1, 1: 1, 2: -1}, {0: 1, 1: -1, 2: -1}, {0: 1, 1: 0, 2: 1}],
    )
    assert ranking(consultation)[0] == (1, "Plus de bancs", True)
    assert [won for _, _, won in ranking(consultation)] == [True, False, False]
    outcome = outcome_of(consultation.results)
    assert outcome is not None
    assert outcome.summary_params == {"n": 1, "adopted": "« Plus de bancs »"}


async def test_no_ballot_decides_nothing() -> None:
    council, members = await make_council(2)
    consultation = await make_consultation(council, "approval", ["A", "B"])
    await close_consultation(council.id, consultation.id, actor="t")
    consultation = await get_consultation(council.id, consultation.id)
    outcome = outcome_of(consultation.results)
    assert outcome is not None
    assert (outcome.summary_key, outcome.placed) == ("council.outcome_no_ballots", ())


async def test_report_gives_ranking_and_winner_with_hand_added_options_and_statements(
    client: httpx.AsyncClient,
) -> None:
    definition = await make_survey()
    run = await AnalysisRun.create(survey_id=definition.id, question_code="manque")
    need = await Need.create(run=run, label="garde, enfants", staff_label="Garde d'enfants", size=9)
    council, members = await make_council(3)
    # "Bus" is added by hand; only "Crèche" comes from a need.
    consultation = await make_consultation(council, "approval", ["Crèche", "Bus"], open_now=False)
    ids = await option_ids(consultation)
    async with connection() as conn:
        await conn.execute(
            "UPDATE consultation_options SET need_id = $1 WHERE id = $2", need.id, ids[0]
        )
    await open_consultation(council.id, consultation.id, actor="t")
    for member, marks in zip(
        members, [{ids[1]: 1}, {ids[0]: 1, ids[1]: 1}, {ids[1]: 1}], strict=True
    ):
        await record_paper_ballot(council.id, consultation.id, member.id, marks, actor="t")
    await close_consultation(council.id, consultation.id, actor="t")
    # A statements consultation of the same council, drawn by lot among the survey's volunteers.
    await SortitionDraw.create(
        council_id=council.id,
        survey_id=definition.id,
        question_code="conseil",
        panel_size=3,
        pool_size=3,
        seed=1,
    )
    statements = await make_consultation(council, "statements", ["Plus de bancs", "Moins"])
    s_ids = await option_ids(statements)
    for member, marks in zip(
        members, [{s_ids[0]: 1}, {s_ids[0]: 1, s_ids[1]: -1}, {s_ids[1]: 1}], strict=True
    ):
        await record_paper_ballot(council.id, statements.id, member.id, marks, actor="t")
    await close_consultation(council.id, statements.id, actor="t")
    open_one = await make_consultation(council, "approval", ["Piscine", "Patinoire"])

    await staff(client)
    page = await client.get(f"/staff/surveys/{definition.slug}/report")
    assert page.status_code == 200
    text = " ".join(text_of(page.text).split())
    assert "« Bus » l'emporte, approuvée sur 100 % des bulletins." in text
    # Ranked, the winner first, the need it came from beside the option.
    assert text.index("Bus – retenue (3 approbations (100 %))") < text.index(
        "Crèche (1 approbation (33 %)) ← Garde d'enfants"
    )
    assert (
        "1 affirmation recueille l'accord de la majorité de ses votants : « Plus de bancs »."
        in text
    )
    assert open_one.title in text
    assert "Vote en cours : le classement sera connu à la clôture." in text


async def test_report_names_the_need_an_option_follows_after_a_merge_since_closing(
    client: httpx.AsyncClient,
) -> None:
    from survey.domain.needs import merge_needs

    definition = await make_survey()
    run = await AnalysisRun.create(survey_id=definition.id, question_code="manque")
    creche = await Need.create(run=run, label="Place en crèche", size=9, position=0)
    garde = await Need.create(run=run, label="Garde le soir", size=4, position=1)
    council, members = await make_council(2)
    consultation = await make_consultation(council, "approval", ["Crèche", "Bus"], open_now=False)
    ids = await option_ids(consultation)
    async with connection() as conn:
        await conn.execute(
            "UPDATE consultation_options SET need_id = $1 WHERE id = $2", garde.id, ids[0]
        )
    await open_consultation(council.id, consultation.id, actor="t")
    for member in members:
        await record_paper_ballot(council.id, consultation.id, member.id, {ids[0]: 1}, actor="t")
    await close_consultation(council.id, consultation.id, actor="t")
    # After closing, staff merge the option's need into another and name the result.
    await merge_needs(run, [creche.id, garde.id], "Garde d'enfants")

    await staff(client)
    page = await client.get(f"/staff/surveys/{definition.slug}/report")
    assert page.status_code == 200
    text = " ".join(text_of(page.text).split())
    assert "Crèche – retenue (2 approbations (100 %)) ← Garde d'enfants" in text
