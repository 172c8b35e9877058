"""Directory pages with 5,000 actors: the staff directory, a filtered search, the public page.

A fresh database (embedded, or DATABASE_URL's server), the demo survey for its
neighbourhoods, 5,000 actors made from the demo directory's offers, and the real app served
by uvicorn on 127.0.0.1. Each page is requested 20 times after a warm-up; the median and the
best time are printed (a busy shared machine inflates the median, the best is the floor).
Prints one JSON line per page.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench.harness import ROOT, database, free_port, parlons_server  # noqa: E402
from survey.runtime import orm  # noqa: E402

N_ACTORS = 5_000
EMAIL, PASSWORD = "bench-actors@parlons.example", "bench-password-123"
PAGES = {
    "staff directory": "/staff/actors",
    "staff search": "/staff/actors?q=repas&neighbourhood=biollay",
    "staff page 40": "/staff/actors?page=40",
    "public help page": "/aide",
    "public help by place": "/aide?quartier=hauts",
}


async def _fill(url: str) -> None:
    from survey.domain.accounts import create_user
    from survey.domain.definitions import create_survey_from_definition
    from survey.enums import Role
    from survey.models.actors import Actor

    survey = json.loads((ROOT / "fixtures" / "demo_survey.json").read_text(encoding="utf-8"))
    demo = json.loads((ROOT / "fixtures" / "demo_actors.json").read_text(encoding="utf-8"))
    rng = random.Random(0)
    lines = sorted({line for a in demo["actors"] for line in a["services"]})
    places = ["centre", "bissy", "biollay", "hauts", "merande", "charmettes", "agglo", ""]
    async with orm(url):
        await create_survey_from_definition(survey)
        await create_user(EMAIL, PASSWORD, Role.STAFF)
        await Actor.bulk_create(
            [
                Actor(
                    name=f"Acteur {i:04d}",
                    services=rng.sample(lines, 3),
                    themes=[rng.choice(["santé", "mobilité", "lien social", "emploi"])],
                    neighbourhood=rng.choice(places),
                    public=rng.random() < 0.5,
                    phone="04 79 00 00 00",
                )
                for i in range(N_ACTORS)
            ],
            batch_size=1000,
        )


def main() -> None:
    with database("parlons_bench_directory") as (url, _):
        asyncio.run(_fill(url))
        port = free_port()
        with parlons_server(url, port):
            client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
            page = client.get("/staff/login").text
            token = re.search(r'name="csrf" value="([^"]+)"', page)
            assert token, "no CSRF token on the login page"
            client.post(
                "/staff/login",
                data={"csrf": token.group(1), "next": "/staff", "email": EMAIL,
                      "password": PASSWORD},
            )  # fmt: skip
            for name, path in PAGES.items():
                assert client.get(path).status_code == 200, path
                times = []
                for _ in range(20):
                    start = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - start) * 1000)
                    assert response.status_code == 200
                print(
                    json.dumps(
                        {
                            "page": name,
                            "actors": N_ACTORS,
                            "median_ms": round(statistics.median(times), 1),
                            "best_ms": round(min(times), 1),
                            "bytes": len(response.content),
                        }
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
