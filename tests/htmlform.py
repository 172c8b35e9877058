"""Read forms out of HTML pages the way a browser without JavaScript submits them."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser


class _Hidden(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.fields.append((a["name"] or "", a.get("value") or ""))


def hidden_fields(page: str) -> list[tuple[str, str]]:
    parser = _Hidden()
    parser.feed(page)
    return parser.fields


def field_value(page: str, name: str) -> str:
    for key, value in hidden_fields(page):
        if key == name:
            return value
    raise KeyError(name)


def text_of(page: str) -> str:
    """Visible text, tags stripped, entities decoded (for assertions on messages)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def post_form(client, url: str, data: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    """POST fields in order, repeated names kept (as a browser sends a form)."""
    from urllib.parse import urlencode

    return await client.post(
        url, content=urlencode(data), headers={"content-type": "application/x-www-form-urlencoded"}
    )
