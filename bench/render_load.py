"""Survey page render throughput against a bare Starlette HTML route, in one run.

Bounded loopback load (127.0.0.1 only): GET of the demo survey's first page (definition
cache, session, CSRF token, Jinja rendering, security headers) against a bare route that
returns a fixed HTML page. Target: ours >= 0.5x the bare route. The two are measured in short
alternated rounds and ``render_ratio`` is the median of the per-round ratios (the pooled
ratio is printed beside it), so that a slow or fast spell of the machine weighs on both
sides of a round. Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (  # noqa: E402
    bare_server,
    database,
    free_port,
    parlons_server,
    run_load,
)
from bench.submit_load import _create_survey, _session  # noqa: E402


def _get(path: str, cookie: str = "") -> bytes:
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if cookie:
        head += f"Cookie: parlons_session={cookie}\r\n"
    return (head + "\r\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    assert args.seconds * args.rounds * 2 <= 30, "keep the load under 30 s"
    with database("parlons_bench_render") as (url, _):
        survey_id = asyncio.run(_create_survey(url))
        ours_port, bare_port = free_port(), free_port()
        with parlons_server(url, ours_port), bare_server(url, survey_id, bare_port):
            cookie, _ = _session(ours_port, "besoins-quartiers")
            results: dict[str, list] = {"ours": [], "bare": []}
            for _ in range(args.rounds):
                results["ours"].append(
                    asyncio.run(
                        run_load(
                            ours_port,
                            lambda i: _get("/s/besoins-quartiers", cookie),
                            connections=args.connections,
                            seconds=args.seconds,
                        )
                    )
                )
                results["bare"].append(
                    asyncio.run(
                        run_load(
                            bare_port,
                            lambda i: _get("/page"),
                            connections=args.connections,
                            seconds=args.seconds,
                        )
                    )
                )
    figures = {}
    for name, runs in results.items():
        requests = sum(r.requests for r in runs)
        figures[name] = {
            "requests": requests,
            "errors": sum(r.errors for r in runs),
            "rps": round(requests / sum(r.seconds for r in runs), 1),
        }
        print(f"{name}: {figures[name]}", file=sys.stderr)
    pairs = zip(results["ours"], results["bare"], strict=True)
    per_round = [o.requests / b.requests for o, b in pairs]
    print(
        json.dumps(
            {
                "render_ratio": round(statistics.median(per_round), 3),
                "pooled_ratio": round(figures["ours"]["rps"] / figures["bare"]["rps"], 3),
                "rounds": [round(r, 3) for r in per_round],
                "ours": figures["ours"],
                "bare": figures["bare"],
                "connections": args.connections,
            }
        )
    )


if __name__ == "__main__":
    main()
