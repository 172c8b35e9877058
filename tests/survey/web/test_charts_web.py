"""Charts reach staff pages as escaped JSON blocks drawn by our own script."""

from __future__ import annotations

import json
import re

import plotly.graph_objects as go

from survey.web.charts import Chart


def test_chart_html_escapes_hostile_labels_and_keeps_json_valid() -> None:
    hostile = "</script><script>alert(1)</script>"
    fig = go.Figure(go.Bar(x=[hostile], y=[3], hovertext=[hostile]))
    html = str(Chart(fig, caption=hostile, header=["need", "n"], rows=[[hostile, 3]]).html())
    assert "<script>alert(1)" not in html
    block = re.search(r'<script type="application/json" id="[^"]+">(.*?)</script>', html, re.S)
    assert block is not None
    data = json.loads(block.group(1))
    assert data["data"][0]["x"] == [hostile]
    assert "&lt;/script&gt;" in html  # caption and table cell escaped as HTML


async def test_plotly_js_is_served_locally(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/vendor/plotly.min.js")
    assert response.status_code == 200
    assert len(response.content) > 1_000_000
    assert (await client.get("/static/js/charts.js")).status_code == 200
