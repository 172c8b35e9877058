"""Plotly figures into staff pages under a strict CSP: data in a JSON block, drawn by our JS.

``plotly.js`` comes from the installed plotly package, served by us (``/vendor/``), with its
style rules as our own file (``/static/css/plotly.css``) rather than the ``<style>`` it would
inject; no inline script, no inline style and no other host. Each chart has one title, the
page's caption (the figure's own title is left out), and a table of its data.
Residents' pages never load plotly.js: they show tables with bars drawn by the server.
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import plotly
import plotly.graph_objects as go
from markupsafe import Markup

from survey.i18n import DEFAULT_LANGUAGE, translate
from survey.web.common import env

PLOTLY_DIR = Path(plotly.__file__).parent / "package_data"
# plotly.js adds the map library's style sheet unless an element with this id exists; the
# charts of Parlons draw no map, and the CSP would refuse that <style> anyway.
PLOTLY_MAP_STYLE_ID = "9f215cf04c5486422605d13261cb87401f4e7763b6296af81e98efbc0130da53"


def _json_block(data: Any) -> Markup:
    text = json.dumps(data, cls=plotly.utils.PlotlyJSONEncoder)
    # With every "<", ">" and "&" escaped the JSON way, no text can close the block.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - escaped above; HTML escaping would corrupt the JSON


def figure_json(figure: go.Figure) -> Markup:
    """The figure as JSON safe inside a ``<script type="application/json">`` block."""
    return _json_block(figure.to_plotly_json())


def page_figure_json(figure: go.Figure) -> Markup:
    """:func:`figure_json` without the figure's title, which the page shows as a caption."""
    data = figure.to_plotly_json()
    data.get("layout", {}).pop("title", None)
    return _json_block(data)


@dataclass
class Chart:
    """A figure with its caption (its one title) and its data table (header, rows)."""

    figure: go.Figure
    caption: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)
    id: str = field(default_factory=lambda: "chart-" + secrets.token_hex(4))
    lang: str = DEFAULT_LANGUAGE

    def html(self) -> Markup:
        template = env.get_template("staff/chart.html")
        return Markup(  # noqa: S704 - rendered by an autoescaping template
            template.render(
                chart=self,
                data=page_figure_json(self.figure),
                _=functools.partial(translate, self.lang),
            )
        )


env.globals["figure_json"] = figure_json
env.globals["plotly_map_style_id"] = PLOTLY_MAP_STYLE_ID
