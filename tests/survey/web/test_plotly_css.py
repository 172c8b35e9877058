"""The style sheet we serve for plotly.js holds exactly the rules its bundle would inject.

plotly.js adds its rules with ``insertRule`` into a ``<style>`` element, which our CSP
refuses; with a ``#plotly.js-style-global.no-inline-styles`` element on the page it adds
nothing, and ``/static/css/plotly.css`` carries the same rules instead. After an upgrade of
plotly, regenerate the file with ``python -m tests.survey.web.test_plotly_css``.
"""

from __future__ import annotations

import re
import sys

from survey.web.charts import PLOTLY_DIR
from survey.web.common import STATIC

CSS = STATIC / "css" / "plotly.css"
# The rules object of the bundle: quoted selectors (X and Y standing for the two roots)
# mapped to quoted declarations, just before the loop that inserts them.
_RULES = re.compile(r"\{(\"X,X div\":.*?)\};for\(\w+ in \w+\)")
_ENTRY = re.compile(r"\"((?:[^\"\\]|\\.)*)\":(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')")


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def plotly_css(bundle: str) -> str:
    """The rules plotly.js would inject, as a style sheet, in the order it leaves them."""
    found = _RULES.search(bundle)
    if found is None:
        raise ValueError("plotly.js's style rules were not found in the bundle")
    rules = []
    for selector, declarations in _ENTRY.findall(found.group(1)):
        name = re.sub(r"^,", " ,", _unquote(f'"{selector}"'))
        name = name.replace("X", ".js-plotly-plot .plotly").replace("Y", ".plotly-notifier")
        rules.append(f"{name}{{{_unquote(declarations)}}}")
    # Each rule is inserted at position 0, so the sheet ends up in reverse order.
    head = "/* plotly.js's own rules, served as a file: generated from its bundle. */"
    return "\n".join([head, *reversed(rules)]) + "\n"


def _bundle() -> str:
    return (PLOTLY_DIR / "plotly.min.js").read_text(encoding="utf-8")


def test_plotly_css_matches_the_installed_bundle() -> None:
    assert CSS.read_text(encoding="utf-8") == plotly_css(_bundle())


def test_plotly_css_holds_the_layout_rules() -> None:
    css = CSS.read_text(encoding="utf-8")
    assert ".js-plotly-plot .plotly .main-svg{position:absolute;" in css
    assert ".js-plotly-plot .plotly .modebar{" in css


if __name__ == "__main__":
    sys.stdout.write(plotly_css(_bundle()))
