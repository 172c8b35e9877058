"""Dashboard aggregations against plain Python, the small-group rule, filters over HTTP."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from survey.domain import crosstab, tallies
from survey.domain.answering import load_responses
from survey.domain.dashboard_filters import Filters, check_filters
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef, get_definition
from survey.domain.small_groups import hide_small
from survey.domain.tallies import count_answers
from survey.enums import QuestionKind
from survey.web.dashboard_query import field_errors, read_query
from tests.factories import make_survey
from tests.factories.resident import random_items
from tests.factories.staff import login, staff_user
from tests.htmlform import text_of

pytestmark = pytest.mark.usefixtures("orm")
PARIS = ZoneInfo("Europe/Paris")


def expected_counts(
    definition: SurveyDef, items: list[dict[str, Any]], filters: Filters
) -> dict[tuple[str, str], tuple[int, float]]:
    """The dashboard's counts computed the plain way, one response at a time."""
    tallied = {q.code: q for q in definition.questions if not q.personal_data}
    result: dict[tuple[str, str], list[float]] = {}

    def add(key: tuple[str, str], position: float = 0) -> None:
        slot = result.setdefault(key, [0, 0.0])
        slot[0] += 1
        slot[1] += position

    for item in items:
        answers = item["answers"]
        day = item["submitted_at"].astimezone(PARIS).date()
        if filters.channel and item["channel"] != filters.channel:
            continue
        if filters.date_from and day < filters.date_from:
            continue
        if filters.date_to and day > filters.date_to:
            continue
        if any(
            value not in (a if isinstance(a := answers.get(code), list) else [a])
            for code, value in filters.choices
        ):
            continue
        add(("", ""))
        for q in definition.questions:
            if q.code not in answers:
                continue
            add((q.code, ""))
            value = answers[q.code]
            if q.code not in tallied or q.kind in (
                QuestionKind.DATE,
                QuestionKind.SHORT_TEXT,
                QuestionKind.LONG_TEXT,
            ):
                continue
            if isinstance(value, list):
                for position, element in enumerate(value, start=1):
                    add((q.code, element), position)
            else:
                add((q.code, str(value)))
    return {k: (int(v[0]), float(v[1])) for k, v in result.items()}


FILTER_CASES = [
    {},
    {"f_quartier": "centre"},
    {"f_quartier": "bissy", "f_age": "moins18"},
    {"f_age": "18-29", "channel": "web"},
    {"from": "2026-10-05", "to": "2026-10-12"},
    {"f_foyer": "seul"},
    {"f_services": "sante", "f_conseil": "yes"},
    {"f_quartier": "centre", "from": "2026-10-10", "channel": "paper"},
]


@pytest.mark.parametrize("params", FILTER_CASES, ids=lambda p: ",".join(p) or "none")
async def test_counts_match_plain_python_on_random_data(params: dict[str, str]) -> None:
    definition = await make_survey()
    items = random_items(definition, 240, seed=len(json.dumps(params)))
    await load_responses(definition, items)
    filters, errors = check_filters(definition, read_query(params))
    assert errors == {}
    expected = expected_counts(definition, items, filters)

    counted = await count_answers(definition, filters, PARIS)
    assert counted.slots == expected
    # The other path (straight from the responses) agrees as well.
    direct = await tallies._count_from_responses(definition, filters, PARIS)
    assert direct.slots == expected
    assert sorted(counted.days) == sorted(direct.days)


async def test_tallies_follow_new_changed_and_deleted_responses() -> None:
    definition = await make_survey()
    items = random_items(definition, 60, seed=1)
    await load_responses(definition, items[:30])
    first = await count_answers(definition, Filters(), PARIS)
    assert first.slots == expected_counts(definition, items[:30], Filters())
    assert first.source == "tallies"

    await load_responses(definition, items[30:])
    assert (await count_answers(definition, Filters(), PARIS)).slots == expected_counts(
        definition, items, Filters()
    )

    # A deleted response (retention, erasure) is no longer counted.
    async with connection() as conn:
        await conn.execute(
            "DELETE FROM responses WHERE idempotency_key = $1", uuid.UUID(items[0]["key"])
        )
    assert (await count_answers(definition, Filters(), PARIS)).slots == expected_counts(
        definition, items[1:], Filters()
    )


def test_hide_small_hides_groups_below_threshold() -> None:
    shown = hide_small({"a": 12, "b": 4, "c": 0, "d": 3, "e": 7}, 5)
    assert shown == {"a": 12, "b": None, "c": 0, "d": None, "e": 7}


def test_hide_small_single_hidden_group_hides_the_next_smallest() -> None:
    # With the total known, one hidden group could be recovered by subtraction.
    shown = hide_small({"a": 12, "b": 2, "c": 7, "d": 30}, 5)
    assert shown == {"a": 12, "b": None, "c": None, "d": 30}


def test_check_filters_reports_bad_values_per_field() -> None:
    from survey.domain.definitions import QuestionDef, SectionDef
    from survey.enums import SurveyStatus

    question = QuestionDef(
        "quartier",
        QuestionKind.TERRITORY,
        {"fr": "Quartier"},
        settings={"choices": [{"code": "centre", "fr": "Centre"}]},
    )
    definition = SurveyDef(
        1, "x", SurveyStatus.OPEN, 1, {}, {}, {}, (SectionDef({}, {}, (question,)),)
    )
    filters, errors = check_filters(
        definition,
        read_query(
            {"f_quartier": "nowhere", "from": "31/02/2026", "to": "2026-10-01", "channel": "fax"}
        ),
    )
    assert field_errors(errors) == {
        "f_quartier": "dashboard.error_choice",
        "from": "dashboard.error_date",
        "channel": "dashboard.error_choice",
    }
    assert filters == Filters(date_to=dt.date(2026, 10, 1))


async def _staff_client(client: httpx.AsyncClient, email: str) -> None:
    await staff_user(email)
    response = await login(client, email)
    assert response.status_code == 303


def _chart_data(page: str) -> dict[str, Any]:
    blocks = re.findall(
        r'<script type="application/json" id="(chart-[^"]+)-data">(.*?)</script>', page, re.S
    )
    return {name: json.loads(data)["data"] for name, data in blocks}


async def test_filters_change_every_chart(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    await load_responses(definition, random_items(definition, 400, seed=7))
    await _staff_client(client, "filters@example.org")
    url = f"/staff/surveys/{definition.slug}/dashboard"

    everyone = await client.get(url)
    filtered = await client.get(url, params={"f_quartier": "centre", "channel": "web"})
    assert everyone.status_code == filtered.status_code == 200
    before, after = _chart_data(everyone.text), _chart_data(filtered.text)
    question_charts = [name for name in before if name.startswith("chart-q-")]
    assert len(question_charts) >= 8
    assert set(after) == set(before)
    assert [name for name in before if before[name] == after[name]] == []
    assert "400" in text_of(everyone.text)
    assert 'value="centre" selected' in filtered.text


async def test_small_groups_are_hidden_in_breakdowns(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    items = random_items(definition, 40, seed=3)
    for index, item in enumerate(items):
        # 37 from the centre, 3 from Bissy: a group small enough to single people out.
        item["answers"]["quartier"] = "bissy" if index < 3 else "centre"
    await load_responses(definition, items)
    await _staff_client(client, "small@example.org")
    page = (await client.get(f"/staff/surveys/{definition.slug}/dashboard")).text
    table = re.search(r'id="chart-q-quartier".*?<tbody>(.*?)</tbody>', page, re.S)
    assert table is not None
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td>", table.group(1)))
    assert rows["Bissy"] == "&lt; 5"
    # The centre would give Bissy's count away by subtraction: it is hidden too.
    assert rows["Centre-ville"] == "&lt; 5"
    assert rows["Le Biollay"] == "0"

    narrow = await client.get(
        f"/staff/surveys/{definition.slug}/dashboard", params={"f_quartier": "bissy"}
    )
    assert narrow.status_code == 200
    assert 'id="too-small"' in narrow.text
    assert "rien n'est affiché" in text_of(narrow.text)
    assert _chart_data(narrow.text) == {}


async def test_bad_filter_is_explained_next_to_its_field(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    await load_responses(definition, random_items(definition, 30, seed=4))
    await _staff_client(client, "badfilter@example.org")
    response = await client.get(
        f"/staff/surveys/{definition.slug}/dashboard",
        params={"from": "le 3 octobre", "channel": "web", "lang": "en"},
    )
    assert response.status_code == 200
    page = response.text
    assert 'id="e-from"' in page and 'aria-describedby="e-from"' in page
    assert "Write a date such as 2026-10-31" in text_of(page)
    assert 'value="le 3 octobre"' in page  # what was typed is kept
    assert '<option value="web" selected>' in page


async def test_crosstab_counts_and_row_shares(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    items = random_items(definition, 300, seed=11)
    await load_responses(definition, items)
    tab = await crosstab.cross_tabulate(definition, Filters(), "quartier", "conseil", 5, PARIS)
    for row in tab.rows:
        people = [i["answers"] for i in items if i["answers"]["quartier"] == row]
        total = sum(1 for a in people if "conseil" in a)
        for col in tab.columns:
            n = sum(1 for a in people if a.get("conseil") == col)
            if 0 < total < 5:
                assert tab.cells[(row, col)] is None
            elif 0 < n < 5:
                assert tab.cells[(row, col)] is None
            elif tab.cells[(row, col)] is not None:
                assert tab.cells[(row, col)] == n
                assert tab.share(row, col) == pytest.approx(n / total)

    await _staff_client(client, "crosstab@example.org")
    page = await client.get(
        f"/staff/surveys/{definition.slug}/dashboard",
        params={"rows": "quartier", "cols": "services"},
    )
    assert page.status_code == 200
    assert "chart-crosstab" in _chart_data(page.text)
    same = await client.get(
        f"/staff/surveys/{definition.slug}/dashboard", params={"rows": "age", "cols": "age"}
    )
    assert "Choisissez deux questions différentes" in text_of(same.text)


async def test_needs_show_only_after_an_analysis(client: httpx.AsyncClient) -> None:
    from survey.models.needs import Need, NeedAnswer
    from tests.factories.needs import finished_run

    definition = await make_survey()
    items = random_items(definition, 30, seed=5)
    for item in items:
        item["answers"]["manque"] = "Une crèche près de chez nous"
    await load_responses(definition, items)
    await _staff_client(client, "needs@example.org")
    url = f"/staff/surveys/{definition.slug}/dashboard"
    assert "Pas encore d'analyse des besoins" in text_of((await client.get(url)).text)

    async with connection() as conn:
        ids = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM responses WHERE survey_id = $1 ORDER BY id", definition.id
            )
        ]
    run = await finished_run(definition.id, "manque", n_answers=30)
    need = await Need.create(
        run=run, label="Garde d'enfants", size=20, quote_response_ids=ids[:2], position=0
    )
    some = await Need.create(run=run, label="Bus", size=6, quote_response_ids=[], position=1)
    few = await Need.create(run=run, label="Bancs", size=4, quote_response_ids=[], position=2)
    for rids, target in ((ids[:20], need), (ids[20:26], some), (ids[26:], few)):
        for rid in rids:
            await NeedAnswer.create(run=run, response_id=rid, need=target)

    page = " ".join(text_of((await client.get(url)).text).split())
    assert "Garde d'enfants – cité par 20 personnes (67 %)" in page
    assert "« Une crèche près de chez nous »" in page
    # Bancs (4) is a small group; Bus (6) is hidden too, or 30 - 20 - 6 would give Bancs away.
    assert "4 réponses" not in page and "6 réponses" not in page
    assert page.count("< 5") >= 2


async def test_offer_consent_is_neither_a_filter_nor_a_crossing(client: httpx.AsyncClient) -> None:
    """The demo's consent to be contacted about an offer of help is charted as an answer but
    offered nowhere as a way to slice the residents."""
    from survey.domain.demo import load_demo

    slug, _added = await load_demo()
    await staff_user("consent-filter@example.org")
    await login(client, "consent-filter@example.org")
    page = (await client.get(f"/staff/surveys/{slug}/dashboard")).text
    consent = next(
        q for q in (await get_definition(slug)).questions if q.settings.get("offer_consent")
    )
    assert f'name="f_{consent.code}"' not in page
    assert f'<option value="{consent.code}"' not in page
    assert 'name="f_quartier"' in page
