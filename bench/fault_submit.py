"""No lost answer: concurrent submissions while PostgreSQL restarts in the middle.

Bounded loopback load (127.0.0.1 only): clients submit the demo survey's last page, each
with its own idempotency key; a client whose POST fails (error page, dropped connection)
retries the same key until it gets the thank-you redirect. Half-way, PostgreSQL is stopped
(fast shutdown) and started again. Then every key is counted in the database: each one that
was acknowledged must be stored exactly once. Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg  # noqa: E402
import httpx  # noqa: E402

from bench.harness import database, free_port, parlons_server  # noqa: E402
from bench.submit_load import ANSWERS, _create_survey, _session  # noqa: E402
from survey.db import credentials  # noqa: E402

SLUG = "besoins-quartiers"
TRY_AGAIN = "Le service est momentanément indisponible"


class Tally:
    def __init__(self) -> None:
        self.acknowledged: set[str] = set()
        self.sent: set[str] = set()
        self.retried: set[str] = set()
        self.error_pages = 0
        self.error_pages_keeping_input = 0
        self.connection_errors = 0
        self.gave_up: set[str] = set()


async def client_loop(port: int, cookie: str, csrf: str, tally: Tally, stop_at: float) -> None:
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(
        base_url=base, cookies={"parlons_session": cookie}, timeout=10
    ) as http:
        while time.monotonic() < stop_at:
            key = str(uuid.uuid4())
            text = f"Besoin n° {key[:8]}"
            answers = [(k, text if k == "q_manque" else v) for k, v in ANSWERS]
            body = urlencode(
                [
                    ("csrf", csrf),
                    ("key", key),
                    ("step", "3"),
                    ("lang", "fr"),
                    *answers,
                    ("action", "next"),
                ]
            )
            tally.sent.add(key)
            deadline = time.monotonic() + 30  # retry the same key for up to 30 s
            while True:
                try:
                    response = await http.post(
                        f"/s/{SLUG}",
                        content=body,
                        headers={"content-type": "application/x-www-form-urlencoded"},
                    )
                except httpx.HTTPError:
                    tally.connection_errors += 1
                    response = None
                if response is not None and response.status_code == 303:
                    tally.acknowledged.add(key)
                    break
                if response is not None:
                    tally.error_pages += 1
                    if TRY_AGAIN in response.text and text in response.text:
                        tally.error_pages_keeping_input += 1
                tally.retried.add(key)
                if time.monotonic() > deadline:
                    tally.gave_up.add(key)
                    break
                await asyncio.sleep(0.2)


async def stored_counts(url: str, keys: set[str]) -> dict[str, int]:
    conn = await asyncpg.connect(**credentials(url))
    try:
        rows = await conn.fetch(
            "SELECT idempotency_key::text AS k, count(*) AS n FROM responses"
            " WHERE idempotency_key = ANY($1::uuid[]) GROUP BY 1",
            list(keys),
        )
    finally:
        await conn.close()
    return {r["k"]: int(r["n"]) for r in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=16.0)
    parser.add_argument("--down-seconds", type=float, default=2.0)
    args = parser.parse_args()
    assert args.seconds <= 60, "keep the run bounded"

    with database("parlons_bench_fault") as (url, embedded):
        if embedded is None:
            raise SystemExit("fault_submit needs the embedded server (unset DATABASE_URL)")
        asyncio.run(_create_survey(url))
        port = free_port()
        with parlons_server(url, port):
            cookie, csrf = _session(port, SLUG)
            tally = Tally()

            async def run() -> float:
                stop_at = time.monotonic() + args.seconds
                clients = [
                    asyncio.create_task(client_loop(port, cookie, csrf, tally, stop_at))
                    for _ in range(args.clients)
                ]
                await asyncio.sleep(args.seconds / 2)
                t0 = time.monotonic()
                await asyncio.to_thread(embedded.stop, force=True)
                await asyncio.sleep(args.down_seconds)
                await asyncio.to_thread(embedded.start)
                outage = time.monotonic() - t0
                await asyncio.gather(*clients)
                return outage

            outage = asyncio.run(run())
        counts = asyncio.run(stored_counts(url, tally.sent))

    lost = sorted(k for k in tally.acknowledged if counts.get(k, 0) == 0)
    duplicates = sorted(k for k, n in counts.items() if n > 1)
    retried_ok = [k for k in tally.retried if k in tally.acknowledged]
    print(
        json.dumps(
            {
                "acknowledged": len(tally.acknowledged),
                "stored": sum(counts.get(k, 0) for k in tally.acknowledged),
                "lost": len(lost),
                "duplicates": len(duplicates),
                "restarts": 1,
                "outage_seconds": round(outage, 2),
                "retried_keys": len(tally.retried),
                "retried_then_stored_once": sum(1 for k in retried_ok if counts.get(k) == 1),
                "retried_then_acknowledged": len(retried_ok),
                "error_pages": tally.error_pages,
                "error_pages_keeping_input": tally.error_pages_keeping_input,
                "connection_errors": tally.connection_errors,
                "gave_up": len(tally.gave_up),
                "clients": args.clients,
            }
        )
    )


if __name__ == "__main__":
    main()
