"""Dashboard page time at 1,000 and at 100,000 responses, with filters.

A fresh database on the embedded server (or DATABASE_URL's), two copies of the demo survey
filled by COPY with responses resampled from the demo answers over 60 days, and the real app
served by uvicorn on 127.0.0.1. After one warm-up view per survey (it builds the dashboard
tallies; its time is printed too), the dashboard is requested with the filters of the user
story (neighbourhood, age band, dates, channel) in turn; the median time per size is kept.
Bounded: a fixed number of requests. Prints one JSON object as its last line.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import re
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import ROOT, database, free_port, parlons_server  # noqa: E402
from survey.runtime import orm  # noqa: E402

SMALL, LARGE = 1_000, 100_000
START = dt.datetime(2026, 9, 1, 6, 0, tzinfo=dt.UTC)
EMAIL, PASSWORD = "bench@parlons.example", "bench-password-123"
# Filters of the user story, served by the tallies.
FILTERS = [
    {"f_quartier": "bissy", "f_age": "30-44"},
    {"f_quartier": "centre", "from": "2026-09-10", "to": "2026-10-10", "channel": "web"},
    {"f_age": "60-74", "from": "2026-09-20"},
]
# Reported on the side: no filter, and a filter on another question (read from responses).
UNFILTERED: dict[str, str] = {}
OTHER_QUESTION = {"f_foyer": "famille"}


async def _prepare(url: str, sizes: list[int], seed: int) -> None:
    import asyncpg

    from survey.db import credentials
    from survey.domain.accounts import create_user
    from survey.domain.definitions import create_survey_from_definition
    from survey.enums import Role

    data = json.loads((ROOT / "fixtures" / "demo_survey.json").read_text(encoding="utf-8"))
    demo = json.loads((ROOT / "fixtures" / "demo_responses.json").read_text(encoding="utf-8"))
    rnd = random.Random(seed)
    async with orm(url):
        await create_user(EMAIL, PASSWORD, Role.STAFF)
        ids = {}
        for size in sizes:
            ids[size] = (await create_survey_from_definition({**data, "slug": f"bench-{size}"})).id
    conn = await asyncpg.connect(**credentials(url))
    try:
        for size in sizes:
            records = [
                (
                    ids[size],
                    uuid.UUID(int=rnd.getrandbits(128)),
                    f"B{size:06d}{i:07d}"[:16],
                    json.dumps(rnd.choice(demo)["answers"], ensure_ascii=False),
                    "fr",
                    rnd.choice(("web", "web", "web", "web", "paper", "import")),
                    START + dt.timedelta(seconds=rnd.randrange(60 * 86400)),
                )
                for i in range(size)
            ]
            await conn.copy_records_to_table(
                "responses",
                records=records,
                columns=[
                    "survey_id",
                    "idempotency_key",
                    "receipt",
                    "answers",
                    "language",
                    "channel",
                    "submitted_at",
                ],
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def _client(port: int):  # type: ignore[no-untyped-def]
    import httpx

    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
    page = client.get("/staff/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    response = client.post(
        "/staff/login",
        data={"csrf": token.group(1), "next": "/staff", "email": EMAIL, "password": PASSWORD},
    )
    assert response.status_code == 303, response.status_code
    return client


def _time(client, slug: str, params: dict[str, str]) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    response = client.get(f"/staff/surveys/{slug}/dashboard", params=params)
    elapsed = time.perf_counter() - t0
    assert response.status_code == 200, response.status_code
    assert 'id="base"' in response.text
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=15, help="measured requests per size")
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    assert 3 <= args.requests <= 60, "keep the run bounded"

    with database("parlons_bench_dashboard") as (url, _):
        started = time.perf_counter()
        asyncio.run(_prepare(url, [SMALL, LARGE], args.seed))
        print(f"data: {SMALL + LARGE} responses in {time.perf_counter() - started:.1f} s")
        port = free_port()
        with parlons_server(url, port):
            client = _client(port)
            result: dict[str, float | int] = {"responses_small": SMALL, "responses_large": LARGE}
            for size, name in ((SMALL, "small"), (LARGE, "large")):
                slug = f"bench-{size}"
                build = _time(client, slug, {})
                print(f"{size:>7} responses: first view (builds the tallies) {build:.2f} s")
                times = [
                    _time(client, slug, FILTERS[i % len(FILTERS)]) for i in range(args.requests)
                ]
                result[f"seconds_{name}"] = round(statistics.median(times), 4)
                side = {
                    "unfiltered": UNFILTERED,
                    "other_question": OTHER_QUESTION,
                }
                for label, params in side.items():
                    median = statistics.median(_time(client, slug, params) for _ in range(3))
                    print(f"{size:>7} responses: {label} median {median:.3f} s")
                print(f"{size:>7} responses: filtered median {result[f'seconds_{name}']:.3f} s")
            client.close()
    result["ratio"] = round(float(result["seconds_large"]) / float(result["seconds_small"]), 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
