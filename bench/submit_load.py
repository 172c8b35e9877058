"""Submit throughput and latency of the real resident path vs a bare asyncpg endpoint.

Bounded loopback load (127.0.0.1 only, at most 30 s measured plus a 1 s warm-up per run):
the final POST of the demo survey (validation of every section, CSRF, session, idempotent
INSERT) against a bare Starlette endpoint doing the same INSERT on the same database, in
alternated rounds; the medians of the per-round ratios are reported. Prints one JSON line
last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import uuid
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (  # noqa: E402
    ROOT,
    LoadResult,
    bare_server,
    database,
    free_port,
    parlons_server,
    run_load,
)
from survey.runtime import orm  # noqa: E402

ANSWERS = [
    ("q_quartier", "bissy"),
    ("q_age", "30-44"),
    ("q_foyer", "famille"),
    ("q_satisfaction", "3"),
    ("q_manque", "Une crèche, il n'y a aucune place"),
    ("q_urgence", "4"),
    ("q_services", "mediatheque"),
    ("q_priorites__mobilite", "2"),
    ("q_priorites__enfance", "1"),
    ("q_priorites__sante", "3"),
    ("q_priorites__logement", "5"),
    ("q_priorites__lien", "4"),
    ("q_agir", "Aider aux devoirs"),
    ("q_heures", "4"),
    ("q_conseil", "yes"),
]


async def _create_survey(url: str) -> int:
    from survey.domain.definitions import create_survey_from_definition

    data = json.loads((ROOT / "fixtures" / "demo_survey.json").read_text(encoding="utf-8"))
    async with orm(url):
        return (await create_survey_from_definition(data)).id


def _session(port: int, slug: str) -> tuple[str, str]:
    import httpx

    page = httpx.get(f"http://127.0.0.1:{port}/s/{slug}")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, "no CSRF token on the survey page"
    return page.cookies["parlons_session"], csrf.group(1)


def _request(path: str, body: str, cookie: str = "") -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body.encode())}\r\n"
    )
    if cookie:
        head += f"Cookie: parlons_session={cookie}\r\n"
    return (head + "\r\n" + body).encode()


async def _count(url: str) -> int:
    import asyncpg

    from survey.db import credentials

    conn = await asyncpg.connect(**credentials(url))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM responses"))
    finally:
        await conn.close()


def _p99(result: LoadResult) -> float:
    ordered = sorted(result.latencies)
    return ordered[int(0.99 * (len(ordered) - 1))]


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux), NaN elsewhere."""
    import os

    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.5, help="per round and server")
    parser.add_argument("--rounds", type=int, default=5, help="alternated runs of the two")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    assert args.seconds * args.rounds * 2 <= 30, "keep the load under 30 s"

    with database("parlons_bench_submit") as (url, _):
        survey_id = asyncio.run(_create_survey(url))
        ours_port, bare_port = free_port(), free_port()
        with (
            parlons_server(url, ours_port) as ours_proc,
            bare_server(url, survey_id, bare_port) as bare_proc,
        ):
            pids = {"ours": ours_proc.pid, "bare": bare_proc.pid}
            cpu: dict[str, list[float]] = {"ours": [], "bare": []}
            cookie, csrf = _session(ours_port, "besoins-quartiers")

            def ours(i: int) -> bytes:
                body = urlencode(
                    [
                        ("csrf", csrf),
                        ("key", str(uuid.uuid4())),
                        ("step", "3"),
                        ("lang", "fr"),
                        *ANSWERS,
                        ("action", "next"),
                    ]
                )
                return _request("/s/besoins-quartiers", body, cookie)

            def bare(i: int) -> bytes:
                body = urlencode(
                    [
                        ("csrf", csrf),
                        ("key", str(uuid.uuid4())),
                        ("step", "3"),
                        ("lang", "fr"),
                        *ANSWERS,
                        ("action", "next"),
                    ]
                )
                return _request("/submit", body)

            def ok(status: int, body: bytes) -> bool:
                return status == 303

            totals = {"ours": [], "bare": []}
            for _ in range(args.rounds):
                for name, make in (("ours", ours), ("bare", bare)):
                    port = ours_port if name == "ours" else bare_port
                    before = _cpu_seconds(pids[name])
                    totals[name].append(
                        asyncio.run(
                            run_load(
                                port,
                                make,
                                connections=args.connections,
                                seconds=args.seconds,
                                ok=ok,
                            )
                        )
                    )
                    cpu[name].append(_cpu_seconds(pids[name]) - before)
        stored = asyncio.run(_count(url))

    # Paired rounds: each round runs both servers back to back, so a slow spell of the
    # machine (disk flush, autovacuum) weighs on both; the medians of the per-round ratios
    # are the figures, the pooled ones are printed beside them.
    per_round = [
        (o.throughput / b.throughput, _p99(o) / _p99(b))
        for o, b in zip(totals["ours"], totals["bare"], strict=True)
    ]
    # The app process's CPU time a request, ours over bare: what our Python adds, less
    # sensitive than throughput to other work on the machine.
    cpu_ratios = [
        (oc / o.requests) / (bc / b.requests)
        for o, b, oc, bc in zip(
            totals["ours"], totals["bare"], cpu["ours"], cpu["bare"], strict=True
        )
        if o.requests and b.requests and bc
    ]
    figures = {}
    for name, results in totals.items():
        latencies = [x for r in results for x in r.latencies]
        requests = sum(r.requests for r in results)
        seconds = sum(r.seconds for r in results)
        ordered = sorted(latencies)
        figures[name] = {
            "requests": requests,
            "errors": sum(r.errors for r in results),
            "rps": round(requests / seconds, 1),
            "p50_ms": round(1000 * ordered[len(ordered) // 2], 2),
            "p99_ms": round(1000 * ordered[int(0.99 * (len(ordered) - 1))], 2),
        }
        print(f"{name}: {figures[name]}", file=sys.stderr)
    print(
        json.dumps(
            {
                "throughput_ratio": round(statistics.median(t for t, _ in per_round), 3),
                "p99_ratio": round(statistics.median(p for _, p in per_round), 3),
                "cpu_per_request_ratio": round(statistics.median(cpu_ratios), 3)
                if cpu_ratios
                else None,
                "pooled_throughput_ratio": round(
                    figures["ours"]["rps"] / figures["bare"]["rps"], 3
                ),
                "pooled_p99_ratio": round(figures["ours"]["p99_ms"] / figures["bare"]["p99_ms"], 3),
                "rounds": [[round(t, 3), round(p, 3)] for t, p in per_round],
                "ours": figures["ours"],
                "bare": figures["bare"],
                "connections": args.connections,
                "stored_rows_at_least": stored,
            }
        )
    )


if __name__ == "__main__":
    main()
