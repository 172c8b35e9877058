"""Plotly figures into staff pages under a strict CSP: data in a JSON block, drawn by our JS.

``plotly.js`` comes from the installed plotly package, served by us (``/vendor/``); no
inline script and no other host. Each chart carries a table for screen readers.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import plotly
import plotly.graph_objects as go
from markupsafe import Markup

from survey.web.common import env

PLOTLY_DIR = Path(plotly.__file__).parent / "package_data"


def figure_json(figure: go.Figure) -> Markup:
    """The figure as JSON safe inside a ``<script type="application/json">`` block."""
    data = json.dumps(figure.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder)
    # With every "<", ">" and "&" escaped the JSON way, no text can close the block.
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(data)  # noqa: S704 - escaped above; HTML escaping would corrupt the JSON


@dataclass
class Chart:
    """A figure with its accessible data table (caption, header, rows)."""

    figure: go.Figure
    caption: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)
    id: str = field(default_factory=lambda: "chart-" + secrets.token_hex(4))

    def html(self) -> Markup:
        template = env.get_template("staff/chart.html")
        return Markup(template.render(chart=self, data=figure_json(self.figure)))  # noqa: S704


env.globals["figure_json"] = figure_json
