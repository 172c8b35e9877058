"""CSV export of 250,000 responses, streamed, against PostgreSQL's own COPY of the same rows.

Generates the responses in SQL, downloads the staff CSV export from the real app over
127.0.0.1, and compares its wall time with ``COPY (SELECT the same rows) TO STDOUT``; the
two are run in turn ``--rounds`` times under the same conditions and their medians compared.
Samples the app's resident memory meanwhile. Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import psutil  # noqa: E402

from bench.harness import database, free_port, parlons_server  # noqa: E402
from bench.submit_load import _create_survey  # noqa: E402
from survey.db import credentials  # noqa: E402

GENERATE = """
INSERT INTO responses (survey_id, idempotency_key, receipt, answers, submitted_at)
SELECT $1, gen_random_uuid(), 'X' || g, jsonb_build_object(
    'quartier', (ARRAY['centre','bissy','biollay','hauts','merande','charmettes','agglo'])
        [1 + g % 7],
    'age', (ARRAY['18-29','30-44','45-59','60-74','75plus'])[1 + g % 5],
    'satisfaction', 1 + g % 5,
    'manque', 'Il manque ' || (ARRAY['des bus le soir','une crèche','un médecin',
        'des bancs et de l''ombre','=formule piégée'])[1 + g % 5] || ' n° ' || g,
    'services', jsonb_build_array('mediatheque', 'centre_social'),
    'priorites', jsonb_build_array('mobilite','enfance','sante','logement','lien'),
    'heures', g % 12,
    'conseil', CASE WHEN g % 3 = 0 THEN 'yes' ELSE 'no' END),
    now() - make_interval(mins => g % 40000)
FROM generate_series(1, $2) g
"""


async def _generate(url: str, survey_id: int, count: int) -> None:
    conn = await asyncpg.connect(**credentials(url))
    try:
        await conn.execute(GENERATE, survey_id, count)
        await conn.execute("ANALYZE responses")
    finally:
        await conn.close()


async def _copy_seconds(url: str, survey_id: int) -> tuple[float, int]:
    conn = await asyncpg.connect(**credentials(url))
    size = 0

    async def sink(chunk: bytes) -> None:
        nonlocal size
        size += len(chunk)

    try:
        start = time.perf_counter()
        await conn.copy_from_query(
            "SELECT id, submitted_at, channel, language, answers FROM responses"
            " WHERE survey_id = $1 ORDER BY id",
            survey_id,
            output=sink,
            format="csv",
        )
        return time.perf_counter() - start, size
    finally:
        await conn.close()


async def _staff_login(url: str) -> None:
    from survey.domain.accounts import create_user
    from survey.runtime import orm

    async with orm(url):
        await create_user("bench@example.org", "bench password 123")


def _download(client: httpx.Client) -> tuple[float, int, int]:
    start = time.perf_counter()
    lines = size = 0
    with client.stream("GET", "/staff/surveys/besoins-quartiers/export?format=csv") as r:
        assert r.status_code == 200, r.status_code
        for chunk in r.iter_bytes():
            size += len(chunk)
            lines += chunk.count(b"\n")
    return time.perf_counter() - start, lines, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=250_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternated COPY / export runs")
    args = parser.parse_args()
    assert 1 <= args.rounds <= 7, "keep the run bounded"
    with database("parlons_bench_export") as (url, _):
        survey_id = asyncio.run(_create_survey(url))
        asyncio.run(_generate(url, survey_id, args.responses))
        asyncio.run(_staff_login(url))
        port = free_port()
        with (
            parlons_server(url, port) as proc,
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client,
        ):
            page = client.get("/staff/login").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            client.post(
                "/staff/login",
                data={"csrf": csrf, "email": "bench@example.org", "password": "bench password 123"},
            )
            process = psutil.Process(proc.pid)
            baseline = process.memory_info().rss
            peak = baseline
            done = threading.Event()

            def sample() -> None:
                nonlocal peak
                while not done.is_set():
                    peak = max(peak, process.memory_info().rss)
                    time.sleep(0.02)

            sampler = threading.Thread(target=sample)
            sampler.start()
            # Alternate the two, same conditions for both; the medians are compared.
            copies, exports = [], []
            for _ in range(args.rounds):
                copy_seconds, copy_bytes = asyncio.run(_copy_seconds(url, survey_id))
                copies.append(copy_seconds)
                export_seconds, lines, size = _download(client)
                exports.append(export_seconds)
            done.set()
            sampler.join()
    export_median, copy_median = statistics.median(exports), statistics.median(copies)
    print(
        json.dumps(
            {
                "answers": args.responses,
                "csv_lines": lines,
                "export_seconds": round(export_median, 3),
                "copy_seconds": round(copy_median, 3),
                "ratio_vs_copy": round(export_median / copy_median, 3),
                "extra_memory_mb": round((peak - baseline) / 2**20, 1),
                "export_mb": round(size / 2**20, 1),
                "copy_mb": round(copy_bytes / 2**20, 1),
                "export_runs": [round(x, 3) for x in exports],
                "copy_runs": [round(x, 3) for x in copies],
            }
        )
    )


if __name__ == "__main__":
    main()
