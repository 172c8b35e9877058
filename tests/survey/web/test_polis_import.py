"""Staff import a Pol.is export into a statements consultation, over HTTP."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from survey.domain.consultations import ConsultationDraft, create_consultation, open_consultation
from survey.domain.councils import NewCouncil, create_council
from survey.domain.db import connection
from survey.models.councils import Consultation
from tests.factories.staff import staff_client
from tests.htmlform import field_value, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")
ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "fixtures" / "polis_small"
SHARED_POLIS = ROOT.parent / "shared" / "data" / "polis"
_counter = itertools.count(1)

COMMENTS_HEADER = "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body"
VOTES_HEADER = "timestamp,datetime,comment-id,voter-id,vote"


def small_export() -> tuple[bytes, bytes]:
    """Three statements (one moderated out) and three participants; participant 1 changes
    their vote on statement 0, and a stale line comes after the change."""
    comments = "\n".join(
        [
            COMMENTS_HEADER,
            '10,Mon,0,5,2,1,1,"Plus de bancs, place du marché"',
            "11,Mon,1,5,1,1,0,Un marché le samedi",
            "12,Mon,2,6,0,0,-1,Achetez des montres pas chères",
        ]
    )
    votes = "\n".join(
        [
            VOTES_HEADER,
            "100,Mon,0,1,1",
            "300,Mon,0,1,-1",
            "200,Mon,0,1,0",
            "110,Mon,1,1,1",
            "120,Mon,0,2,1",
            "130,Mon,2,2,1",
            "140,Mon,2,3,-1",
        ]
    )
    return comments.encode(), votes.encode()


async def draft_consultation(method: str = "statements") -> Consultation:
    council = await create_council(NewCouncil(f"Conseil Pol.is {next(_counter)}"), actor="test")
    return await create_consultation(
        council.id, ConsultationDraft("Le marché", method, secret=True), actor="test"
    )


def import_url(consultation: Consultation) -> str:
    return (
        f"/staff/councils/{consultation.council_id}"  # type: ignore[attr-defined]
        f"/consultations/{consultation.id}/polis"
    )


async def upload(
    client: httpx.AsyncClient,
    consultation: Consultation,
    comments: bytes | None,
    votes: bytes | None,
    *,
    query: str = "",
) -> httpx.Response:
    page = await client.get(import_url(consultation))
    files: dict[str, Any] = {}
    if comments is not None:
        files["comments"] = ("comments.csv", comments, "text/csv")
    if votes is not None:
        files["votes"] = ("votes.csv", votes, "text/csv")
    return await client.post(
        import_url(consultation) + query,
        data={"csrf": field_value(page.text, "csrf")},
        files=files,
    )


async def stored(consultation: Consultation) -> dict[str, Any]:
    """Options, imported ballots with their marks, and Pol.is audit entries."""
    async with connection() as conn:
        options = await conn.fetch(
            "SELECT id, title, description, status, polis_comment_id FROM consultation_options"
            " WHERE consultation_id = $1 ORDER BY position, id",
            consultation.id,
        )
        marks = await conn.fetch(
            "SELECT b.polis_voter_id, b.member_id, b.channel, o.polis_comment_id, m.value"
            " FROM council_ballots b JOIN council_marks m ON m.ballot_id = b.id"
            " JOIN consultation_options o ON o.id = m.option_id WHERE b.consultation_id = $1",
            consultation.id,
        )
        ballots = await conn.fetchval(
            "SELECT count(*) FROM council_ballots WHERE consultation_id = $1", consultation.id
        )
        audit = await conn.fetch(
            "SELECT details FROM council_audit WHERE consultation_id = $1"
            " AND action = 'polis_imported'",
            consultation.id,
        )
    return {
        "options": [dict(r) for r in options],
        "marks": {(r["polis_voter_id"], r["polis_comment_id"]): r["value"] for r in marks},
        "ballot_rows": [(r["member_id"], r["channel"]) for r in marks],
        "ballots": ballots,
        "audit": [json.loads(r["details"]) for r in audit],
    }


def expected_from_files(comments: bytes, votes: bytes) -> dict[str, Any]:
    """What an import must keep, worked out from the CSV files with the csv module alone."""
    kept = {
        int(row["comment-id"]): row["comment-body"]
        for row in csv.DictReader(io.StringIO(comments.decode()))
        if row["moderated"] != "-1"
    }
    latest: dict[tuple[int, int], tuple[int, int]] = {}
    for line, row in enumerate(csv.DictReader(io.StringIO(votes.decode()))):
        key = (int(row["voter-id"]), int(row["comment-id"]))
        stamp = (int(row["timestamp"]), line)
        if key[1] in kept and (key not in latest or stamp >= latest[key][0]):
            latest[key] = (stamp, int(row["vote"]))
    return {
        "comments": kept,
        "marks": {key: vote for key, (_, vote) in latest.items()},
        "voters": len({voter for voter, _ in latest}),
    }


# ----------------------------------------------------------------------------- imports


async def test_polis_import_small_export_keeps_latest_votes_and_skips_moderated(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    consultation = await draft_consultation()
    comments, votes = small_export()
    done = await upload(client, consultation, comments, votes)
    assert done.status_code == 200
    report = text_of(done.text)
    assert "2 affirmations importées" in report
    assert "1 affirmation écartée" in report
    assert "2 participants Pol.is" in report
    assert "3 votes importés ; votes sur des affirmations écartées, non repris : 2" in report
    data = await stored(consultation)
    assert [(o["polis_comment_id"], o["title"], o["status"]) for o in data["options"]] == [
        (0, "Plus de bancs, place du marché", "approved"),
        (1, "Un marché le samedi", "approved"),
    ]
    # Participant 1's latest vote (timestamp 300) wins; participant 3 voted only on the spam.
    assert data["marks"] == {(1, 0): -1, (1, 1): 1, (2, 0): 1}
    assert data["ballots"] == 2
    assert set(data["ballot_rows"]) == {(None, "import")}
    assert len(data["audit"]) == 1
    details = data["audit"][0]
    assert (details["statements"], details["skipped"], details["voters"], details["votes"]) == (
        2,
        1,
        2,
        3,
    )
    page = text_of((await client.get(import_url(consultation).removesuffix("/polis"))).text)
    assert "Export Pol.is importé" in page
    assert "2 affirmations, 2 bulletins de participants Pol.is" in page


async def test_polis_import_real_export_slice_matches_the_files(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    consultation = await draft_consultation()
    comments = (FIXTURE / "comments.csv").read_bytes()
    votes = (FIXTURE / "votes.csv").read_bytes()
    expected = expected_from_files(comments, votes)
    done = await upload(client, consultation, comments, votes, query="?lang=en")
    assert done.status_code == 200
    assert f"{len(expected['comments'])} statements imported" in text_of(done.text)
    data = await stored(consultation)
    assert [o["polis_comment_id"] for o in data["options"]] == sorted(expected["comments"])
    assert data["marks"] == expected["marks"]
    assert data["ballots"] == expected["voters"]
    # A statement longer than a ballot line keeps its whole text as description.
    long = [o for o in data["options"] if o["description"]]
    assert len(long) == 1
    assert len(long[0]["title"]) == 300 and long[0]["title"].endswith("…")
    assert long[0]["description"] == expected["comments"][long[0]["polis_comment_id"]].strip()


# ---------------------------------------------------------------------------- refusals


def _limit_plus_one() -> bytes:
    line = b"1,Mon,0,1,1\n"
    return (VOTES_HEADER.encode() + b"\n" + line * (5 * 2**20 // len(line) + 1))[: 5 * 2**20 + 1]


_COMMENTS, _VOTES = small_export()


@pytest.mark.parametrize(
    ("comments", "votes", "field", "message"),
    [
        (None, _VOTES, "comments", "Choisissez ce fichier de l'export Pol.is."),
        (_COMMENTS, None, "votes", "Choisissez ce fichier de l'export Pol.is."),
        (b"", _VOTES, "comments", "Choisissez ce fichier de l'export Pol.is."),
        (b"\xff\xfe\x00c\x00o", _VOTES, "comments", "n'est pas du texte UTF-8"),
        (b"\n", _VOTES, "comments", "Ce fichier est vide."),
        (_VOTES, _VOTES, "comments", "Colonne manquante : comment-body."),
        (_COMMENTS, _COMMENTS, "votes", "Colonnes manquantes : voter-id, vote."),
        (_COMMENTS, _VOTES + b"\n400,Mon,1,4,7", "votes", "Ligne 9 : valeur inattendue."),
        (_COMMENTS, _VOTES + b"\n400,Mon,x,4,1", "votes", "Ligne 9 : valeur inattendue."),
        (_COMMENTS + b"\n13,Mon,1,5,0,0,1,Encore", _VOTES, "comments", "n° 1 apparaît"),
        (
            _COMMENTS,
            _VOTES + b"\n400,Mon,7,4,1\n401,Mon,8,4,1",
            "votes",
            "2 affirmations votées absentes du fichier comments.csv (n° 7, 8)",
        ),
        (_COMMENTS, VOTES_HEADER.encode(), "votes", "Ce fichier ne contient aucun vote."),
        (COMMENTS_HEADER.encode(), _VOTES, "comments", "aucune affirmation à importer"),
        (_COMMENTS, _limit_plus_one(), "votes", "Ce fichier dépasse 5 Mo."),
        (
            "\n".join(
                [COMMENTS_HEADER, *(f"1,Mon,{i},0,0,0,1,Idée {i}" for i in range(1001))]
            ).encode(),
            _VOTES,
            "comments",
            "Ce fichier contient 1001 affirmations ; 1000 au plus peuvent être importées.",
        ),
    ],
)
async def test_polis_import_bad_file_is_refused_next_to_its_field(
    client: httpx.AsyncClient,
    comments: bytes | None,
    votes: bytes | None,
    field: str,
    message: str,
) -> None:
    await staff_client(client)
    consultation = await draft_consultation()
    refused = await upload(client, consultation, comments, votes)
    assert refused.status_code == 422
    error = refused.text.split(f'id="e-{field}">', 1)[1].split("</p>", 1)[0]
    assert message in text_of(error)
    assert f'id="f-{field}"' in refused.text and 'aria-invalid="true"' in refused.text
    assert await stored(consultation) == {
        "options": [],
        "marks": {},
        "ballot_rows": [],
        "ballots": 0,
        "audit": [],
    }


async def test_polis_import_request_over_both_limits_is_refused_unread(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    consultation = await draft_consultation()
    comments, _ = small_export()
    huge = _limit_plus_one() * 2 + b"1,Mon,0,1,1\n" * 30_000
    refused = await upload(client, consultation, comments, huge)
    assert refused.status_code == 413
    assert "Les fichiers envoyés dépassent 5 Mo chacun" in text_of(refused.text)
    assert (await stored(consultation))["options"] == []


async def test_polis_import_error_is_in_english_when_asked(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    consultation = await draft_consultation()
    comments, votes = small_export()
    refused = await upload(client, consultation, votes, votes, query="?lang=en")
    assert refused.status_code == 422
    assert (
        "Missing column: comment-body. Is this the comments.csv file of the Pol.is export?"
        in text_of(refused.text)
    )


async def test_polis_import_refused_for_other_methods_and_opened_consultations(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    comments, votes = small_export()
    approval = await draft_consultation("approval")
    page = await client.get(import_url(approval))
    assert page.status_code == 200
    assert "Seule une consultation par affirmations" in text_of(page.text)
    assert 'type="file"' not in page.text
    refused = await upload(client, approval, comments, votes)
    assert refused.status_code == 409
    assert "Seule une consultation par affirmations" in text_of(refused.text)
    assert (await stored(approval))["audit"] == []

    opened = await draft_consultation()
    async with connection() as conn:
        await conn.execute(
            "INSERT INTO consultation_options (consultation_id, title) VALUES ($1, 'À la main')",
            opened.id,
        )
    await open_consultation(opened.council_id, opened.id, actor="test")  # type: ignore[attr-defined]
    refused = await upload(client, opened, comments, votes)
    assert refused.status_code == 409
    assert "cette consultation n'est plus en brouillon" in text_of(refused.text)
    assert [o["title"] for o in (await stored(opened))["options"]] == ["À la main"]
    consultation_page = await client.get(import_url(opened).removesuffix("/polis"))
    assert "/polis" not in consultation_page.text


async def test_polis_import_twice_is_refused_and_stores_nothing_more(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    consultation = await draft_consultation()
    comments, votes = small_export()
    assert (await upload(client, consultation, comments, votes)).status_code == 200
    before = await stored(consultation)
    again = await upload(client, consultation, comments, votes)
    assert again.status_code == 409
    assert "Cet export Pol.is a déjà été importé" in text_of(again.text)
    # After an import the form gives way to the reason a new one would be refused.
    page = await client.get(import_url(consultation))
    assert "Cette consultation a déjà des bulletins" in text_of(page.text)
    assert 'type="file"' not in page.text
    other = await upload(client, consultation, comments, votes + b"\n400,Mon,1,9,1")
    assert other.status_code == 409
    assert "Cette consultation a déjà des bulletins" in text_of(other.text)
    assert await stored(consultation) == before


async def test_polis_import_is_for_staff_only(client: httpx.AsyncClient) -> None:
    consultation = await draft_consultation()
    url = import_url(consultation)
    comments, votes = small_export()
    files = {"comments": ("c.csv", comments), "votes": ("v.csv", votes)}
    for response in (await client.get(url), await client.post(url, files=files)):
        assert response.status_code == 303
        assert response.headers["location"].startswith("/staff/login")
    # A council member's session is not a staff session.
    from tests.factories.council import make_council, member_login

    _, (member, *_) = await make_council(1)
    await member_login(client, member)
    assert (await client.get("/c")).status_code == 200
    member_try = await client.get(url)
    assert member_try.status_code == 303
    assert member_try.headers["location"].startswith("/staff/login")
    # Staff without the form's token change nothing either.
    await staff_client(client)
    forged = await client.post(url, files=files)
    assert forged.status_code == 403
    assert (await stored(consultation))["ballots"] == 0


# ------------------------------------------------------- same groups as the command line


def cli_groups(comments: Path, votes: Path, output: Path) -> tuple[dict[int, int | None], str]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "survey",
            "opinion-groups",
            str(votes),
            "--comments",
            str(comments),
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    with open(output, newline="", encoding="utf-8") as handle:
        groups = {
            int(row["participant"]): int(row["group"]) if row["group"] else None
            for row in csv.DictReader(handle)
        }
    return groups, done.stdout


def printed_ids(stdout: str, heading: str) -> list[int]:
    """Statement ids listed by the command under one heading (``  [id] score  text``)."""
    section = stdout.split(heading, 1)[1].split("\nDivisive statements", 1)[0]
    return [int(found) for found in re.findall(r"^  \[(\d+)\] ", section, re.MULTILINE)]


async def import_open_and_close(
    client: httpx.AsyncClient, consultation: Consultation, comments: bytes, votes: bytes
) -> dict[str, Any]:
    done = await upload(client, consultation, comments, votes)
    assert done.status_code == 200, text_of(done.text)[:500]
    base = import_url(consultation).removesuffix("/polis")
    page = (await client.get(base)).text
    for action in ("open", "close"):
        changed = await post_form(
            client,
            f"{base}/state",
            [("csrf", field_value(page, "csrf")), ("action", action), ("confirm", "1")],
        )
        assert changed.status_code == 303, action
    async with connection() as conn:
        ids = await conn.fetch(
            "SELECT polis_voter_id FROM council_ballots WHERE consultation_id = $1"
            " ORDER BY polis_voter_id",
            consultation.id,
        )
        statements = await conn.fetch(
            "SELECT polis_comment_id FROM consultation_options WHERE consultation_id = $1"
            " AND status = 'approved' ORDER BY position, id",
            consultation.id,
        )
    refreshed = await Consultation.get(id=consultation.id)
    assert refreshed.results is not None
    return {
        "opinion": refreshed.results["statements"]["opinion"],
        "voters": [r["polis_voter_id"] for r in ids],
        "statements": [r["polis_comment_id"] for r in statements],
        "results_page": await client.get(f"{base}/results"),
        "tally": refreshed.results,
    }


async def assert_same_groups_as_cli(
    client: httpx.AsyncClient, folder: Path, tmp_path: Path
) -> dict[str, Any]:
    await staff_client(client)
    consultation = await draft_consultation()
    comments, votes = folder / "comments.csv", folder / "votes.csv"
    imported = await import_open_and_close(
        client, consultation, comments.read_bytes(), votes.read_bytes()
    )
    cli, stdout = cli_groups(comments, votes, tmp_path / "groups.csv")
    opinion = imported["opinion"]
    assert opinion is not None
    web = {
        voter: (label if label >= 0 else None)
        for voter, label in zip(imported["voters"], opinion["labels"], strict=True)
    }
    # Participants whose only votes were on moderated-out statements have no ballot.
    assert web == {voter: cli[voter] for voter in web}
    assert {group for voter, group in cli.items() if voter not in web} <= {None}
    assert len(opinion["group_sizes"]) == len({g for g in cli.values() if g is not None})
    ids = imported["statements"]
    consensus = [ids[c["statement"]] for c in opinion["consensus"]]
    divisive = [ids[d["statement"]] for d in opinion["divisive"]]
    assert consensus == printed_ids(stdout, "Consensus statements")
    assert divisive == printed_ids(stdout, "Divisive statements")
    page = imported["results_page"]
    assert page.status_code == 200
    assert "Groupe 2" in page.text and 'type="application/json"' in page.text
    # Imported participants are counted apart: no receipts of theirs, no quorum share.
    tally = imported["tally"]
    assert tally["imported"] == tally["ballots"] == len(imported["voters"])
    assert tally["receipts"] == []
    assert f"S'y ajoutent {tally['imported']} participants importés" in text_of(page.text)
    assert "0 bulletin compté" in text_of(page.text)
    return opinion


async def test_polis_import_groups_equal_the_command_line_groups(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    opinion = await assert_same_groups_as_cli(client, FIXTURE, tmp_path)
    assert len(opinion["group_sizes"]) >= 2


@pytest.mark.skipif(
    not (SHARED_POLIS / "vtaiwan.uberx").is_dir(), reason="shared Pol.is data folder is absent"
)
async def test_polis_import_whole_real_conversation_equals_the_command_line(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    started = time.perf_counter()
    opinion = await assert_same_groups_as_cli(client, SHARED_POLIS / "vtaiwan.uberx", tmp_path)
    assert sum(opinion["group_sizes"]) > 1000
    assert time.perf_counter() - started < 120
