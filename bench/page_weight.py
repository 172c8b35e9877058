"""Gzipped weight of each demo survey page with its CSS, and external references.

Target: at most 14,336 bytes (the first TCP round trip) and no reference to another host.
Prints one JSON line per page, then a summary line.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import sys
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench.harness import ROOT, database, free_port, parlons_server  # noqa: E402
from survey.runtime import orm  # noqa: E402

LIMIT = 14 * 1024
_REF = re.compile(r"""(?:href|src|action)\s*=\s*["']([^"']+)["']""", re.I)


async def _create(url: str) -> None:
    from survey.domain.definitions import create_survey_from_definition

    data = json.loads((ROOT / "fixtures" / "demo_survey.json").read_text(encoding="utf-8"))
    async with orm(url):
        await create_survey_from_definition(data)
        from survey.domain.followup import PARTS, set_followup

        await set_followup(data["slug"], published=True, parts=frozenset(PARTS))


def _hidden(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)


def main() -> None:
    answers = {
        0: [("q_quartier", "bissy"), ("q_age", "30-44")],
        1: [("q_satisfaction", "3"), ("q_manque", "Des bus le soir")],
        2: [],
        3: [("q_conseil", "no")],
    }
    rows = []
    with database("parlons_bench_weight") as (url, _):
        asyncio.run(_create(url))
        port = free_port()
        with parlons_server(url, port), httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
            pages = {"home": c.get("/").text}
            page = c.get("/s/besoins-quartiers").text
            pages["section-1"] = page
            for step in range(3):
                body = _hidden(page) + answers[step] + [("action", "next")]
                page = c.post(
                    "/s/besoins-quartiers",
                    content=urlencode(body),
                    headers={"content-type": "application/x-www-form-urlencoded"},
                ).text
                pages[f"section-{step + 2}"] = page
            for lang in ("fr", "en"):
                pages[f"section-1-{lang}"] = c.get(f"/s/besoins-quartiers?lang={lang}").text
                pages[f"followup-{lang}"] = c.get(f"/s/besoins-quartiers/suivi?lang={lang}").text
            pages["followup-poster"] = c.get("/s/besoins-quartiers/suivi/affiche").text
            styles = {
                name: b"".join(
                    c.get(link).content
                    for link in sorted(set(re.findall(r'href="(/static/[^"]+\.css[^"]*)"', html)))
                )
                for name, html in pages.items()
            }
    for name, html in pages.items():
        css = styles[name]
        external = [r for r in _REF.findall(html) if re.match(r"^(https?:)?//", r)]
        # Page and stylesheet travel as two responses: each is compressed on its own.
        size = len(gzip.compress(html.encode(), 6)) + len(gzip.compress(css, 6))
        rows.append({"page": name, "gzip_bytes": size, "external_refs": len(external)})
        print(json.dumps(rows[-1]))
    print(
        json.dumps(
            {
                "max_gzip_bytes": max(r["gzip_bytes"] for r in rows),
                "limit": LIMIT,
                "external_refs": sum(r["external_refs"] for r in rows),
                "within_limit": all(r["gzip_bytes"] <= LIMIT for r in rows),
            }
        )
    )


if __name__ == "__main__":
    main()
