"""Secret ballots over HTTP: no join in the database or a dump links a ballot to its voter,
and only its own voter can change it."""

from __future__ import annotations

import asyncio
import re
import subprocess
from typing import Any

import httpx
import pytest

from survey.domain import council_ballots
from survey.domain.db import connection
from survey.models.councils import Consultation, Member
from survey.pgserver import BIN
from tests.factories.council import make_consultation, make_council, member_login, option_ids
from tests.factories.staff import login, staff_user
from tests.htmlform import field_value, post_form, text_of
from tests.survey.web.test_council import vote

pytestmark = pytest.mark.usefixtures("orm")
N_MEMBERS = 50
# Pairing two random orders of 50 matches 1 voter on average (a Poisson law): 9 or more
# happens with probability about 1e-6. A rank correlation of 0.7 is 4.9 standard deviations
# (1/sqrt(49)) away from 0. Orders that follow the voting give 50 matches and 1.0.
MAX_MATCHES = 8
MAX_CORRELATION = 0.7


def _session(client: httpx.AsyncClient) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=client._transport, base_url="http://testserver")


def _thanks_codes(page: str) -> tuple[str, str]:
    receipt = re.search(r'id="receipt">([^<]+)<', page)
    code = re.search(r'id="change-code">([^<]+)<', page)
    assert receipt is not None
    return receipt.group(1), code.group(1) if code else ""


async def _cast(
    client: httpx.AsyncClient, member: Member, consultation: Consultation, ids: list[int]
) -> tuple[httpx.AsyncClient, str, str]:
    """Log ``member`` in a session of their own and approve ``ids``; receipt and code."""
    session = _session(client)
    await member_login(session, member)
    response = await vote(session, consultation.id, [("a", str(i)) for i in ids])
    assert response.status_code == 303
    receipt, code = _thanks_codes((await session.get(response.headers["location"])).text)
    return session, receipt, code


def _approvals(index: int, ids: list[int]) -> list[int]:
    """A different non-empty set of options for each voter (bits of index + 1)."""
    return [option for bit, option in enumerate(ids) if (index + 1) >> bit & 1]


async def _rows(table: str, consultation_id: int, key: str) -> list[dict[str, Any]]:
    """Rows of a table for one consultation, in physical order, with their system columns."""
    async with connection() as conn:
        exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table)
        if not exists:
            return []
        rows = await conn.fetch(
            f"SELECT {key} AS key, id::text AS id, xmin::text::bigint AS xmin, ctid::text AS ctid"  # noqa: S608
            f" FROM {table} WHERE consultation_id = $1 ORDER BY ctid",
            consultation_id,
        )
    return [dict(r) for r in rows]


async def _ballot_rows(consultation_id: int) -> list[dict[str, Any]]:
    """Secret ballots, pending or counted, keyed by receipt; counted ones also give the
    position of their first mark in ``council_marks`` (a sequence)."""
    rows = await _rows("council_ballot_pool", consultation_id, "receipt")
    counted = await _rows("council_ballots", consultation_id, "receipt")
    async with connection() as conn:
        first_mark = {
            r["receipt"]: r["first"]
            for r in await conn.fetch(
                "SELECT b.receipt, min(m.id) AS first FROM council_ballots b"
                " JOIN council_marks m ON m.ballot_id = b.id WHERE b.consultation_id = $1"
                " GROUP BY b.receipt",
                consultation_id,
            )
        }
    for row in counted:
        row["first_mark"] = first_mark.get(row["key"])
    return rows + counted


def _ctid(text: str) -> tuple[int, int]:
    page, item = text.strip("()").split(",")
    return int(page), int(item)


def _link(people: list[int], ballots: list[str], truth: dict[int, str]) -> tuple[int, float]:
    """Pair the k-th member with the k-th ballot of two orders: how many pairs are right,
    and the rank correlation between a member's place and their ballot's place."""
    place_of_member = {m: i for i, m in enumerate(people)}
    place_of_ballot = {r: i for i, r in enumerate(ballots)}
    pairs = [(place_of_member[m], place_of_ballot[r]) for m, r in truth.items()]
    matches = sum(1 for a, b in pairs if a == b)
    n = len(pairs)
    mean = (n - 1) / 2
    top = sum((a - mean) * (b - mean) for a, b in pairs)
    bottom = sum((a - mean) ** 2 for a, _ in pairs)
    return matches, top / bottom


def _dump_order(dump: str, table: str, key: str, consultation_id: int) -> list[str]:
    """The ``key`` column of ``table``'s rows of one consultation, in the dump's order."""
    match = re.search(
        rf"^COPY public\.{table} \(([^)]*)\) FROM stdin;\n(.*?)^\\\.$", dump, re.S | re.M
    )
    if match is None:
        return []
    columns = [c.strip().strip('"') for c in match.group(1).split(",")]
    lines = [line for line in match.group(2).split("\n") if line]
    rows = [dict(zip(columns, line.split("\t"), strict=True)) for line in lines]
    return [r[key] for r in rows if r["consultation_id"] == str(consultation_id)]


async def _pg_dump(database_url: str) -> str:
    tables = ("council_participations", "council_ballots", "council_ballot_pool")
    result = await asyncio.to_thread(
        subprocess.run,
        [
            str(BIN / "pg_dump"),
            "--data-only",
            *(f"--table=public.{t}" for t in tables),
            f"--dbname={database_url}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


async def _assert_unlinkable(
    consultation: Consultation, truth: dict[int, str], database_url: str
) -> None:
    people = await _rows("council_participations", consultation.id, "member_id")
    ballots = await _ballot_rows(consultation.id)
    assert sorted(p["key"] for p in people) == sorted(truth)
    assert sorted(b["key"] for b in ballots) == sorted(truth.values())
    # Same transaction, or the next one: every candidate of a voter's xmin must be many.
    by_xmin: dict[int, set[str]] = {}
    for b in ballots:
        for x in (b["xmin"] - 1, b["xmin"], b["xmin"] + 1):
            by_xmin.setdefault(x, set()).add(b["key"])
    singled_out = [p["key"] for p in people if by_xmin.get(p["xmin"], set()) == {truth[p["key"]]}]
    assert singled_out == []
    orders = {
        "xmin": (
            [p["key"] for p in sorted(people, key=lambda r: (r["xmin"], _ctid(r["ctid"])))],
            [b["key"] for b in sorted(ballots, key=lambda r: (r["xmin"], _ctid(r["ctid"])))],
        ),
        "ctid": (
            [p["key"] for p in sorted(people, key=lambda r: _ctid(r["ctid"]))],
            [b["key"] for b in sorted(ballots, key=lambda r: _ctid(r["ctid"]))],
        ),
        "id": (
            [p["key"] for p in sorted(people, key=lambda r: r["id"])],
            [b["key"] for b in sorted(ballots, key=lambda r: r["id"])],
        ),
    }
    if all(b.get("first_mark") is not None for b in ballots):
        orders["marks sequence"] = (
            orders["ctid"][0],
            [b["key"] for b in sorted(ballots, key=lambda r: r["first_mark"])],
        )
    dump = await _pg_dump(database_url)
    dumped_people = [
        int(m) for m in _dump_order(dump, "council_participations", "member_id", consultation.id)
    ]
    dumped_ballots = _dump_order(
        dump, "council_ballot_pool", "receipt", consultation.id
    ) + _dump_order(dump, "council_ballots", "receipt", consultation.id)
    orders["pg_dump"] = (dumped_people, dumped_ballots)
    for name, (member_order, ballot_order) in orders.items():
        matches, correlation = _link(member_order, ballot_order, truth)
        assert matches <= MAX_MATCHES, (name, matches)
        assert abs(correlation) < MAX_CORRELATION, (name, correlation)
    # No timestamp on either side, and none on the counted ballots.
    async with connection() as conn:
        stamped = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_name IN ('council_participations', 'council_ballot_pool')"
            " AND data_type LIKE 'timestamp%'"
        )
        cast_at = await conn.fetchval(
            "SELECT count(*) FROM council_ballots WHERE consultation_id = $1"
            " AND cast_at IS NOT NULL",
            consultation.id,
        )
    assert [tuple(r) for r in stamped] == [] and cast_at == 0


async def test_fifty_secret_ballots_link_to_no_voter_in_database_or_dump(
    client: httpx.AsyncClient, database_url: str
) -> None:
    council, members = await make_council(N_MEMBERS)
    consultation = await make_consultation(
        council, "approval", [f"Projet {i}" for i in range(6)], allow_change="1", quorum="40"
    )
    ids = await option_ids(consultation)
    truth: dict[int, str] = {}
    sessions: dict[int, tuple[httpx.AsyncClient, str, str]] = {}
    expected = [0] * len(ids)
    for index, member in enumerate(members):
        approved = _approvals(index, ids)
        session, receipt, code = await _cast(client, member, consultation, approved)
        truth[member.id] = receipt
        sessions[member.id] = (session, receipt, code)
        if index not in (1,):
            for option in approved:
                expected[ids.index(option)] += 1
    # While voting is open: participations against the pending pool.
    await _assert_unlinkable(consultation, truth, database_url)

    # Member 3 holds member 2's receipt (and even their change code): refused.
    victim, thief = members[1], members[2]
    _, stolen_receipt, stolen_code = sessions[victim.id]
    fresh = _session(client)
    await member_login(fresh, thief)
    refused = await vote(
        fresh,
        consultation.id,
        [("a", str(ids[5])), ("receipt", stolen_receipt), ("change_code", stolen_code)],
    )
    assert refused.status_code == 409
    assert "ne correspondent à aucun de vos bulletins" in text_of(refused.text)
    # Member 2 changes their own ballot from their session: approves option 5 only.
    own, _, _ = sessions[victim.id]
    changed = await vote(own, consultation.id, [("a", str(ids[5]))])
    assert changed.status_code == 303
    receipt, code = _thanks_codes((await own.get(changed.headers["location"])).text)
    assert receipt != stolen_receipt and code != stolen_code
    truth[victim.id] = receipt
    expected[5] += 1
    await _assert_unlinkable(consultation, truth, database_url)

    await staff_user(email := f"secrecy{consultation.id}@council.example.org")
    await login(client, email)
    base = f"/staff/councils/{council.id}/consultations/{consultation.id}"
    page = (await client.get(base)).text
    for action in ("close", "publish"):
        done = await post_form(
            client,
            f"{base}/state",
            [("csrf", field_value(page, "csrf")), ("action", action), ("confirm", "1")],
        )
        assert done.status_code == 303
    # After closing: participations against the counted ballots and their marks.
    await _assert_unlinkable(consultation, truth, database_url)
    results = (await Consultation.get(id=consultation.id)).results
    assert results is not None
    assert results["ballots"] == N_MEMBERS and results["quorum_reached"] is True
    assert results["approval"]["totals"] == expected
    assert sorted(results["receipts"]) == sorted(truth.values())
    # Each voter finds their own receipt on the published results.
    for member in members[:5]:
        session, _, _ = sessions[member.id]
        public = await session.get(f"/c/results/{consultation.id}")
        assert public.status_code == 200
        assert truth[member.id] in public.text


async def test_double_tap_stores_one_secret_ballot(client: httpx.AsyncClient) -> None:
    council, (member, *_) = await make_council(2)
    consultation = await make_consultation(council, "approval", ["A", "B"], allow_change="1")
    ids = await option_ids(consultation)
    session = _session(client)
    await member_login(session, member)
    page = (await session.get("/c")).text
    fields = [("csrf", field_value(page, "csrf")), ("a", str(ids[0]))]
    answers = await asyncio.gather(
        *(post_form(session, f"/c/v/{consultation.id}", fields) for _ in range(4))
    )
    assert sorted(a.status_code for a in answers) == [303, 409, 409, 409]
    async with connection() as conn:
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM council_participations WHERE consultation_id = $1)"
            "   AS people,"
            " (SELECT count(*) FROM council_ballot_pool WHERE consultation_id = $1) AS pending",
            consultation.id,
        )
    assert (counts["people"], counts["pending"]) == (1, 1)


async def test_secret_ballot_is_not_replaced_by_another_member_with_its_receipt(
    client: httpx.AsyncClient,
) -> None:
    council, (first, second, third) = await make_council(3)
    consultation = await make_consultation(council, "approval", ["A", "B", "C"], allow_change="1")
    ids = await option_ids(consultation)
    _, receipt, code = await _cast(client, second, consultation, [ids[0]])
    await _cast(client, third, consultation, [ids[1]])
    # The third member, in a fresh session, types the second member's receipt.
    thief = _session(client)
    await member_login(thief, third)
    for proof in ([("receipt", receipt)], [("receipt", receipt), ("change_code", code)]):
        refused = await vote(thief, consultation.id, [("a", str(ids[2])), *proof])
        assert refused.status_code == 409
    async with connection() as conn:
        pending = {
            r["receipt"]
            for r in await conn.fetch(
                "SELECT receipt FROM council_ballot_pool WHERE consultation_id = $1",
                consultation.id,
            )
        }
    assert receipt in pending and len(pending) == 2
    # The second member, on another device, still changes their own ballot.
    own = _session(client)
    await member_login(own, second)
    changed = await vote(
        own,
        consultation.id,
        [("a", str(ids[2])), ("receipt", receipt), ("change_code", code.lower())],
    )
    assert changed.status_code == 303
    async with connection() as conn:
        after = await conn.fetchval(
            "SELECT count(*) FROM council_ballot_pool WHERE consultation_id = $1 AND receipt = $2",
            consultation.id,
            receipt,
        )
    assert after == 0
    # A member who has not voted has nothing to change: their ballot is simply counted.
    _, _, _ = await _cast(client, first, consultation, [ids[1]])


async def test_change_code_given_before_still_changes_its_ballot(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    council, (member,) = await make_council(1)
    consultation = await make_consultation(council, "approval", ["A", "B"], allow_change="1")
    ids = await option_ids(consultation)
    # The former generator's codes: 16 letters of an alphabet with L.
    monkeypatch.setattr(council_ballots, "new_change_code", lambda: "ABCLEFGHJKLMNPQR")
    session, receipt, code = await _cast(client, member, consultation, [ids[0]])
    assert code == "ABCL-EFGH-JKLM-NPQR"
    changed = await vote(
        session,
        consultation.id,
        [("a", str(ids[1])), ("receipt", receipt), ("change_code", "abcl efgh jklm npqr")],
    )
    assert changed.status_code == 303
    async with connection() as conn:
        pending = await conn.fetchval(
            "SELECT count(*) FROM council_ballot_pool WHERE consultation_id = $1 AND receipt = $2",
            consultation.id,
            receipt,
        )
    assert pending == 0
