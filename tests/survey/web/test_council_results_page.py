"""Council results over HTTP: residents read a chart-free page (bars drawn by the server in
SVG, no JavaScript, within 14 KB gzipped); staff keep plotly charts; no label becomes markup."""

from __future__ import annotations

import gzip
import json
import re

import httpx
import pytest

from survey.domain.consultations import publish_results
from survey.domain.council_ballots import record_paper_ballot
from survey.domain.council_results import close_consultation
from survey.web.common import STATIC
from tests.factories.council import make_consultation, make_council, option_ids
from tests.factories.staff import login, staff_user

pytestmark = pytest.mark.usefixtures("orm")
HOSTILE = '<a href="https://example.org/x">Cliquez ici</a>'
OPTIONS = ["Crèche", HOSTILE, "<b>Jardin</b> partagé"]
MARKS = {
    "majority_judgment": [{0: 6, 1: 2, 2: 4}, {0: 5, 1: 1, 2: 3}, {0: 3, 1: 0, 2: 6}],
    "approval": [{0: 1, 1: 1}, {0: 1}, {2: 1}],
    "ranked": [{0: 1, 1: 2, 2: 3}, {1: 1, 0: 2, 2: 3}, {0: 1, 2: 2, 1: 3}],
    "budget": [{0: 1}, {0: 1, 2: 1}, {1: 1}],
    "statements": [{0: 1, 1: -1, 2: 0}, {0: 1, 1: 1, 2: -1}, {0: -1, 1: 0, 2: 1}],
}
BUDGET = 14 * 1024


async def _published(method: str) -> tuple[int, int]:
    council, members = await make_council(3)
    consultation = await make_consultation(
        council, method, OPTIONS, costs=[40000, 30000, 20000], budget="60000"
    )
    ids = await option_ids(consultation)
    for member, ballot in zip(members, MARKS[method], strict=True):
        await record_paper_ballot(
            council.id,
            consultation.id,
            member.id,
            {ids[k]: v for k, v in ballot.items()},
            actor="t",
        )
    await close_consultation(council.id, consultation.id, actor="t")
    await publish_results(council.id, consultation.id, actor="t")
    return council.id, consultation.id


def _gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


@pytest.mark.parametrize("method", list(MARKS))
async def test_public_results_page_draws_bars_without_plotly(
    client: httpx.AsyncClient, method: str
) -> None:
    _council, consultation = await _published(method)
    anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    page = await anonymous.get(f"/c/results/{consultation}")
    assert page.status_code == 200
    text = page.text
    assert "plotly" not in text.lower()
    assert "<script" not in text
    assert "/vendor/" not in text
    # One bar per option, each with its segments, in a table with the option's name.
    bars = re.findall(r'<svg class="bar".*?</svg>', text, re.S)
    # (a budget shows the funded options of each of its two counts).
    assert len(bars) == (4 if method == "budget" else 3)
    assert all('class="seg-' in bar for bar in bars)
    # Labels are text: escaped in the page, never a link or bold.
    assert '<a href="https://example.org' not in text
    assert "<b>" not in text
    assert "&lt;b&gt;Jardin&lt;/b&gt; partagé" in text
    if method != "budget":  # the link's option is funded by neither count
        assert "&lt;a href=&#34;https://example.org/x&#34;&gt;Cliquez ici&lt;/a&gt;" in text
    # The page and its style sheets within the residents' budget, gzipped.
    sheets = re.findall(r'<link rel="stylesheet" href="/static/([^"?]+)', text)
    assert sheets == ["css/parlons.css", "css/council.css"]
    weight = _gzipped(page.content) + sum(_gzipped((STATIC / s).read_bytes()) for s in sheets)
    assert weight <= BUDGET, weight


async def test_public_majority_judgment_bars_follow_the_grades(client: httpx.AsyncClient) -> None:
    _council, consultation = await _published("majority_judgment")
    anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    text = (await anonymous.get(f"/c/results/{consultation}")).text
    first = re.search(r'<svg class="bar".*?</svg>', text, re.S).group(0)
    # Crèche comes first (grades 6, 5, 3): a third excellent, a third very good, a third fair.
    widths = re.findall(r'class="(seg-g\d)" x="([\d.]+)" width="([\d.]+)"', first)
    assert widths == [
        ("seg-g6", "0.0", "33.3"),
        ("seg-g5", "33.3", "33.3"),
        ("seg-g3", "66.7", "33.3"),
    ]
    assert "Excellent" in text  # the legend names the grades


async def test_staff_results_keep_charts_with_escaped_labels(client: httpx.AsyncClient) -> None:
    council, consultation = await _published("approval")
    await staff_user(email := "results-escape@council.example.org")
    await login(client, email)
    page = await client.get(f"/staff/councils/{council}/consultations/{consultation}/results")
    assert page.status_code == 200
    assert '<script src="/vendor/plotly.min.js" defer></script>' in page.text
    assert '<a href="https://example.org' not in page.text
    block = re.search(r'<script type="application/json" id="[^"]+">(.*?)</script>', page.text, re.S)
    figure = json.loads(block.group(1))
    names = figure["data"][0]["y"]
    assert "&lt;a href=&#34;https://example.org/x&#34;&gt;Cliquez ici&lt;/a&gt;" in names
    assert "title" not in figure["layout"]  # the page's caption is the chart's one title
    assert all("<" not in n for n in names)


async def test_public_survey_results_are_light_and_chart_free(client: httpx.AsyncClient) -> None:
    from survey.domain.demo import load_demo
    from survey.domain.reports import set_public_results

    slug, _added = await load_demo()
    await set_public_results(slug, True)
    anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    page = await anonymous.get(f"/s/{slug}/resultats")
    assert page.status_code == 200
    assert "plotly" not in page.text.lower() and "<script" not in page.text
    assert '<svg class="bar"' in page.text
    sheets = re.findall(r'<link rel="stylesheet" href="/static/([^"?]+)', page.text)
    weight = _gzipped(page.content) + sum(_gzipped((STATIC / s).read_bytes()) for s in sheets)
    assert weight <= BUDGET, weight
