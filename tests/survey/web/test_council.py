"""Citizen councils over HTTP: member access, ballots for each method, integrity, results."""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx
import pytest

from survey.domain.consultation_options import create_options, moderate_statement
from survey.domain.consultations import (
    get_consultation,
)
from survey.domain.council_ballots import record_paper_ballot
from survey.domain.council_results import close_consultation
from survey.domain.councils import InvalidForm, NewMember, add_member
from survey.domain.db import connection
from survey.errors import Conflict
from survey.models.councils import Consultation, Council
from tests.factories.council import (
    ballots,
    make_consultation,
    make_council,
    member_login,
    option_ids,
)
from tests.factories.staff import login, staff_user
from tests.htmlform import field_value, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")
_counter = itertools.count(1)
STAFF = "staff@council.example.org"








async def vote(
    client: httpx.AsyncClient, consultation_id: int, fields: list[tuple[str, str]]
) -> httpx.Response:
    # The members' home always carries the session's token (its log-out form).
    page = (await client.get("/c")).text
    return await post_form(
        client, f"/c/v/{consultation_id}", [("csrf", field_value(page, "csrf")), *fields]
    )






async def mj_ballot(consultation: Consultation, grades: list[int]) -> list[tuple[str, str]]:
    ids = await option_ids(consultation)
    return [(f"g_{i}", str(g)) for i, g in zip(ids, grades, strict=True)]


# ------------------------------------------------------------------------ member access


async def test_member_login_with_printed_code_lists_open_consultations(
    client: httpx.AsyncClient,
) -> None:
    council, (member, *_) = await make_council()
    consultation = await make_consultation(council, "approval", ["Crèche", "Bus"])
    code = f"{member.code[:4].lower()}-{member.code[4:].lower()}"
    response = await member_login(client, member, code)
    assert response.status_code == 303
    assert response.headers["location"] == "/c"
    home = await client.get("/c")
    assert home.status_code == 200
    assert consultation.title in home.text
    assert f'href="/c/v/{consultation.id}"' in home.text


def from_address(app, address: str, cookies: Any = None) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    """A client of its own address: the code lockout is per address, on the server."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://t", cookies=cookies)


async def test_member_login_forged_code_is_refused_then_throttled(app) -> None:  # type: ignore[no-untyped-def]
    _, (member, *_) = await make_council(1)
    address = f"10.77.{next(_counter) % 250}.{next(_counter) % 250}"
    async with from_address(app, address) as client:
        response = await member_login(client, member, "ZZZZ-ZZZZ")
        assert response.status_code == 401
        assert "Ce code n'est pas reconnu" in text_of(response.text)
        assert 'value="ZZZZ-ZZZZ"' in response.text
        assert (await client.get("/c")).status_code == 303
        before_lockout = dict(client.cookies)
        for _ in range(9):
            await member_login(client, member, "ZZZZ-ZZZZ")
        locked = await member_login(client, member)
        assert locked.status_code == 429
        assert "Trop d'essais" in text_of(locked.text)
        assert (await client.get("/c")).status_code == 303
    # The lockout is not in the cookie: replaying an older one, or none, resets nothing.
    async with from_address(app, address, before_lockout) as replayed:
        assert (await member_login(replayed, member)).status_code == 429
    async with from_address(app, address) as fresh:
        assert (await member_login(fresh, member)).status_code == 429
    async with from_address(app, address.rsplit(".", 1)[0] + ".251") as elsewhere:
        assert (await member_login(elsewhere, member)).status_code == 303


async def test_member_login_without_csrf_is_refused(client: httpx.AsyncClient) -> None:
    _, (member, *_) = await make_council(1)
    await client.get("/c/login")
    response = await post_form(client, "/c/login", [("code", member.code)])
    assert response.status_code == 403
    assert (await client.get("/c")).status_code == 303


async def test_personal_link_logs_member_in(client: httpx.AsyncClient) -> None:
    _, (member, *_) = await make_council(1)
    response = await client.get(f"/c/k/{member.token}")
    assert response.status_code == 303
    assert (await client.get("/c")).status_code == 200
    bad = await httpx.AsyncClient(transport=client._transport, base_url="http://t").get(
        "/c/k/not-a-token"
    )
    assert bad.status_code == 404


async def test_member_cannot_see_staff_pages(client: httpx.AsyncClient) -> None:
    council, (member, *_) = await make_council(1)
    await member_login(client, member)
    for path in ("/staff/councils", f"/staff/councils/{council.id}"):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/staff/login")


async def test_member_of_another_council_cannot_vote(client: httpx.AsyncClient) -> None:
    council_a, _ = await make_council(1)
    _, (outsider,) = await make_council(1)
    consultation = await make_consultation(council_a, "approval", ["A", "B"])
    await member_login(client, outsider)
    # Answered exactly as a consultation that does not exist: nothing tells it apart.
    other = await client.get(f"/c/v/{consultation.id}")
    unknown = await client.get("/c/v/999999999")
    assert other.status_code == unknown.status_code == 404
    assert text_of(other.text) == text_of(unknown.text)
    assert (await client.get(f"/c/v/{consultation.id}/merci")).status_code == 404
    ids = await option_ids(consultation)
    home = (await client.get("/c")).text
    response = await post_form(
        client, f"/c/v/{consultation.id}", [("csrf", field_value(home, "csrf")), ("a", str(ids[0]))]
    )
    assert response.status_code == 404
    assert await ballots(consultation) == []


# ------------------------------------------------------------------------------ voting


async def test_majority_judgment_vote_is_stored_secret_with_receipt(
    client: httpx.AsyncClient,
) -> None:
    council, (member, *_) = await make_council()
    consultation = await make_consultation(council, "majority_judgment", ["Crèche", "Bus"])
    await member_login(client, member)
    page = await client.get(f"/c/v/{consultation.id}")
    assert "Très bien" in page.text and "À rejeter" in page.text
    response = await vote(client, consultation.id, await mj_ballot(consultation, [6, 2]))
    assert response.status_code == 303
    thanks = await client.get(response.headers["location"])
    stored = await ballots(consultation)
    assert len(stored) == 1
    assert stored[0]["marks"] == {"0": 6, "1": 2}
    # Secret: nothing on the ballot row points to the member or to the time of voting.
    assert stored[0]["member_id"] is None and stored[0]["cast_at"] is None
    assert stored[0]["receipt"] in thanks.text
    async with connection() as conn:
        voted = await conn.fetchval(
            "SELECT count(*) FROM council_participations WHERE member_id = $1", member.id
        )
    assert voted == 1


async def test_majority_judgment_missing_and_unknown_grades_keep_choices(
    client: httpx.AsyncClient,
) -> None:
    council, (member, *_) = await make_council()
    consultation = await make_consultation(council, "majority_judgment", ["Crèche", "Bus"])
    ids = await option_ids(consultation)
    await member_login(client, member)
    response = await vote(client, consultation.id, [(f"g_{ids[0]}", "5")])
    assert response.status_code == 422
    assert "Donnez une mention à cette proposition." in text_of(response.text)
    assert f'name="g_{ids[0]}" value="5" checked' in response.text
    assert f'aria-describedby="e-g_{ids[1]}"' in response.text
    unknown = await vote(client, consultation.id, [(f"g_{ids[0]}", "9"), (f"g_{ids[1]}", "1")])
    assert unknown.status_code == 422
    assert "Cette mention n'existe pas" in text_of(unknown.text)
    assert await ballots(consultation) == []


async def test_second_ballot_is_refused_when_changes_are_not_allowed(
    client: httpx.AsyncClient,
) -> None:
    council, (member, *_) = await make_council()
    consultation = await make_consultation(council, "approval", ["A", "B", "C"])
    ids = await option_ids(consultation)
    await member_login(client, member)
    assert (await vote(client, consultation.id, [("a", str(ids[0]))])).status_code == 303
    again = await vote(client, consultation.id, [("a", str(ids[1]))])
    assert again.status_code == 409
    stored = await ballots(consultation)
    assert [b["marks"] for b in stored] == [{"0": 1}]


async def test_named_ballot_change_replaces_the_earlier_one(client: httpx.AsyncClient) -> None:
    council, (member, *_) = await make_council()
    consultation = await make_consultation(
        council, "approval", ["A", "B", "C"], secret="", allow_change="1"
    )
    ids = await option_ids(consultation)
    await member_login(client, member)
    await vote(client, consultation.id, [("a", str(ids[0]))])
    page = await client.get(f"/c/v/{consultation.id}")
    assert f'value="{ids[0]}" checked' in page.text  # the named ballot is shown again
    assert (await vote(client, consultation.id, [("a", str(ids[2]))])).status_code == 303
    stored = await ballots(consultation)
    assert [(b["member_id"], b["marks"]) for b in stored] == [(member.id, {"2": 1})]


async def test_secret_ballot_change_needs_the_receipt(client: httpx.AsyncClient) -> None:
    council, (member, *_) = await make_council()
    consultation = await make_consultation(council, "approval", ["A", "B"], allow_change="1")
    ids = await option_ids(consultation)
    await member_login(client, member)
    first = await vote(client, consultation.id, [("a", str(ids[0]))])
    receipt = (await ballots(consultation))[0]["receipt"]
    thanks = (await client.get(first.headers["location"])).text
    assert receipt in thanks
    code = thanks.split('id="change-code">')[1].split("<")[0]
    # Another session (no receipt held): the receipt and its change code must be typed.
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    await member_login(other, member)
    refused = await vote(other, consultation.id, [("a", str(ids[1]))])
    assert refused.status_code == 409
    assert "il faut le reçu" in text_of(refused.text)
    changed = await vote(
        other,
        consultation.id,
        [("a", str(ids[1])), ("receipt", receipt), ("change_code", code)],
    )
    assert changed.status_code == 303
    stored = await ballots(consultation)
    assert [(b["member_id"], b["marks"]) for b in stored] == [(None, {"1": 1})]


async def test_vote_after_closing_is_refused(client: httpx.AsyncClient) -> None:
    council, (member, *_) = await make_council()
    consultation = await make_consultation(council, "approval", ["A", "B"])
    ids = await option_ids(consultation)
    await member_login(client, member)
    page = (await client.get(f"/c/v/{consultation.id}")).text
    await close_consultation(council.id, consultation.id, actor="test")
    response = await post_form(
        client, f"/c/v/{consultation.id}", [("csrf", field_value(page, "csrf")), ("a", str(ids[0]))]
    )
    assert response.status_code == 409
    assert "Le vote n'est pas ouvert" in text_of(response.text)
    assert await ballots(consultation) == []


async def test_vote_after_closing_date_is_refused(client: httpx.AsyncClient) -> None:
    council, (member, *_) = await make_council()
    consultation = await make_consultation(council, "approval", ["A", "B"])
    async with connection() as conn:
        await conn.execute(
            "UPDATE consultations SET closes_at = now() - interval '1 minute' WHERE id = $1",
            consultation.id,
        )
    ids = await option_ids(consultation)
    await member_login(client, member)
    home = (await client.get("/c")).text
    response = await post_form(
        client, f"/c/v/{consultation.id}", [("csrf", field_value(home, "csrf")), ("a", str(ids[0]))]
    )
    assert response.status_code == 409
    assert await ballots(consultation) == []


async def test_budget_over_the_limit_is_refused_and_choices_kept(
    client: httpx.AsyncClient,
) -> None:
    council, (member, *_) = await make_council()
    consultation = await make_consultation(
        council,
        "budget",
        ["Crèche", "Bus", "Jardin"],
        costs=[60000, 30000, 20000],
        budget="80000",
    )
    ids = await option_ids(consultation)
    await member_login(client, member)
    response = await vote(client, consultation.id, [("a", str(ids[0])), ("a", str(ids[1]))])
    assert response.status_code == 422
    assert "Vos choix coûtent 90\u202f000 € pour un budget de 80\u202f000 €" in text_of(
        response.text
    )
    assert f'value="{ids[0]}" checked' in response.text
    assert f'value="{ids[1]}" checked' in response.text
    assert await ballots(consultation) == []
    ok = await vote(client, consultation.id, [("a", str(ids[0])), ("a", str(ids[2]))])
    assert ok.status_code == 303


async def test_ranked_vote_allows_ties_and_counts_schulze_and_borda(
    client: httpx.AsyncClient,
) -> None:
    council, members = await make_council(3)
    consultation = await make_consultation(council, "ranked", ["A", "B", "C"])
    ids = await option_ids(consultation)
    for member, ranks in zip(
        members, (["1", "2", "3"], ["1", "1", ""], ["2", "1", "3"]), strict=True
    ):
        session = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
        await member_login(session, member)
        fields = [(f"r_{i}", r) for i, r in zip(ids, ranks, strict=True)]
        assert (await vote(session, consultation.id, fields)).status_code == 303
    await close_consultation(council.id, consultation.id, actor="test")
    results = (await get_consultation(council.id, consultation.id)).results
    assert results is not None
    # A over B: ballot 1 only; B over A: ballot 3; A and B both beat C on every ballot.
    assert results["ranked"]["schulze"]["pairwise"][0][1] == 1
    assert results["ranked"]["schulze"]["pairwise"][0][2] == 3
    assert results["ranked"]["schulze"]["ranking"] == [[0, 1], [2]]
    assert results["ranked"]["borda"]["scores"] == [4.5, 4.5, 0.0]


async def test_statements_proposed_moderated_and_voted(client: httpx.AsyncClient) -> None:
    council, (member, *_) = await make_council()
    consultation = await make_consultation(council, "statements", ["Plus de bancs"])
    await member_login(client, member)
    page = (await client.get(f"/c/v/{consultation.id}")).text
    empty = await post_form(
        client,
        f"/c/v/{consultation.id}/statements",
        [("csrf", field_value(page, "csrf")), ("statement", "  ")],
    )
    assert empty.status_code == 422
    proposed = await post_form(
        client,
        f"/c/v/{consultation.id}/statements",
        [("csrf", field_value(page, "csrf")), ("statement", "Un marché le samedi")],
    )
    assert proposed.status_code == 303
    assert "Un marché le samedi" not in (await client.get(f"/c/v/{consultation.id}")).text
    async with connection() as conn:
        pending = await conn.fetchval(
            "SELECT id FROM consultation_options WHERE consultation_id = $1 AND status = 'pending'",
            consultation.id,
        )
    await moderate_statement(council.id, consultation.id, pending, approve=True, actor="t")
    ballot = await client.get(f"/c/v/{consultation.id}")
    assert "Un marché le samedi" in ballot.text
    ids = await option_ids(consultation)
    response = await vote(
        client, consultation.id, [(f"s_{ids[0]}", "agree"), (f"s_{ids[1]}", "pass")]
    )
    assert response.status_code == 303
    assert [b["marks"] for b in await ballots(consultation)] == [{"0": 1, "1": 0}]


# -------------------------------------------------------------------------- integrity


async def test_paper_ballots_are_marked_and_never_outnumber_members() -> None:
    council, members = await make_council(2)
    consultation = await make_consultation(council, "approval", ["A", "B"])
    ids = await option_ids(consultation)
    await record_paper_ballot(council.id, consultation.id, members[0].id, {ids[0]: 1}, actor="t")
    with pytest.raises(InvalidForm) as twice:
        await record_paper_ballot(
            council.id, consultation.id, members[0].id, {ids[1]: 1}, actor="t"
        )
    assert twice.value.errors["member"].key == "council.member_voted"
    await record_paper_ballot(council.id, consultation.id, members[1].id, {ids[1]: 1}, actor="t")
    extra = await add_member(council.id, NewMember("Tard"), actor="t")
    async with connection() as conn:  # A voter left the council: two ballots, two members.
        await conn.execute("UPDATE council_members SET active = false WHERE id = $1", members[1].id)
    with pytest.raises(Conflict) as refused:
        await record_paper_ballot(council.id, consultation.id, extra.id, {ids[0]: 1}, actor="t")
    assert refused.value.key == "council.too_many_ballots"
    # A secret ballot does not say it came on paper; the participation does.
    async with connection() as conn:
        channels = await conn.fetch(
            "SELECT channel FROM council_participations WHERE consultation_id = $1",
            consultation.id,
        )
    assert [r["channel"] for r in channels] == ["paper", "paper"]
    assert [b["channel"] for b in await ballots(consultation)] == [None, None]


async def test_results_are_frozen_at_closing_and_published_with_receipts(
    client: httpx.AsyncClient,
) -> None:
    council, members = await make_council(3)
    consultation = await make_consultation(
        council, "majority_judgment", ["Crèche", "Bus"], quorum="3"
    )
    receipts = []
    for member, grades in zip(members[:2], ([6, 1], [5, 3]), strict=True):
        session = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
        await member_login(session, member)
        await vote(session, consultation.id, await mj_ballot(consultation, grades))
        receipts.append(session)
    await staff_user(email := f"frozen{next(_counter)}@council.example.org")
    await login(client, email)
    base = f"/staff/councils/{council.id}/consultations/{consultation.id}"
    page = (await client.get(base)).text
    closed = await post_form(
        client,
        f"{base}/state",
        [("csrf", field_value(page, "csrf")), ("action", "close"), ("confirm", "1")],
    )
    assert closed.status_code == 303
    frozen = (await get_consultation(council.id, consultation.id)).results
    assert frozen is not None
    assert frozen["ballots"] == 2 and frozen["quorum_reached"] is False
    assert frozen["majority_judgment"]["ranking"] == [[0], [1]]
    # Later edits are refused and change nothing.
    edit = await post_form(
        client, f"{base}/options", [("csrf", field_value(page, "csrf")), ("title", "Nouveau")]
    )
    assert edit.status_code == 409
    with pytest.raises(Conflict):
        await record_paper_ballot(
            council.id,
            consultation.id,
            members[2].id,
            {(await option_ids(consultation))[0]: 6},
            actor="t",
        )
    assert (await get_consultation(council.id, consultation.id)).results == frozen
    # Not public until published.
    anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    assert (await anonymous.get(f"/c/results/{consultation.id}")).status_code == 404
    staff_results = await client.get(f"{base}/results")
    assert staff_results.status_code == 200
    assert "Quorum non atteint" in text_of(staff_results.text)
    await post_form(
        client, f"{base}/state", [("csrf", field_value(page, "csrf")), ("action", "publish")]
    )
    public = await anonymous.get(f"/c/results/{consultation.id}")
    assert public.status_code == 200
    for receipt in frozen["receipts"]:
        assert receipt in public.text
    assert len(frozen["receipts"]) == 2
    assert "Jugement majoritaire" in public.text and "Excellent" in public.text
    audit = (await client.get(base)).text
    assert "Vote clos, résultats figés" in audit and "Résultats publiés" in audit


async def test_staff_create_council_member_and_consultation_over_http(
    client: httpx.AsyncClient,
) -> None:
    await staff_user(email := f"maker{next(_counter)}@council.example.org")
    await login(client, email)
    page = (await client.get("/staff/councils")).text
    bad = await post_form(
        client,
        "/staff/councils",
        [("csrf", field_value(page, "csrf")), ("name", ""), ("description", "Gardé")],
    )
    assert bad.status_code == 422
    assert "Ce champ est obligatoire." in text_of(bad.text)
    assert "Gardé" in bad.text
    made = await post_form(
        client,
        "/staff/councils",
        [("csrf", field_value(page, "csrf")), ("name", "Conseil de Bissy")],
    )
    assert made.status_code == 303
    base = made.headers["location"]
    wrong = await post_form(
        client,
        f"{base}/members",
        [
            ("csrf", field_value(page, "csrf")),
            ("name", "Awa"),
            ("email", "pas-un-email"),
            ("strata", "age=30-44"),
        ],
    )
    assert wrong.status_code == 422
    assert 'value="pas-un-email"' in wrong.text
    added = await post_form(
        client,
        f"{base}/members",
        [
            ("csrf", field_value(page, "csrf")),
            ("name", "Awa"),
            ("email", "awa@example.org"),
            ("territory", "bissy"),
            ("strata", "age=30-44"),
        ],
    )
    assert added.status_code == 303
    sheet = await client.get(f"{base}/codes")
    assert sheet.status_code == 200
    assert "Awa" in sheet.text and "data:image/svg+xml" in sheet.text
    bad_kind = await post_form(
        client,
        f"{base}/consultations",
        [
            ("csrf", field_value(page, "csrf")),
            ("title", "Budget"),
            ("method", "budget"),
            ("budget", "beaucoup"),
        ],
    )
    assert bad_kind.status_code == 422
    assert "Indiquez un montant positif" in text_of(bad_kind.text)
    created = await post_form(
        client,
        f"{base}/consultations",
        [
            ("csrf", field_value(page, "csrf")),
            ("title", "Budget 2027"),
            ("method", "budget"),
            ("budget", "50 000"),
            ("secret", "1"),
            ("quorum", "1"),
        ],
    )
    assert created.status_code == 303
    consultation_page = await client.get(created.headers["location"])
    assert "Budget 2027" in consultation_page.text
    assert "50\u202f000" in consultation_page.text


async def test_staff_paper_ballot_page_lists_options_refuses_errors_and_records(
    client: httpx.AsyncClient,
) -> None:
    await staff_user(email := f"paper{next(_counter)}@council.example.org")
    await login(client, email)
    council, (member, *_) = await make_council()
    consultation = await make_consultation(council, "approval", ["Jardin", "Navette"])
    ids = await option_ids(consultation)
    url = f"/staff/councils/{council.id}/consultations/{consultation.id}/paper"
    page = await client.get(url)
    assert page.status_code == 200
    assert f'action="{url}"' in page.text
    assert [f'name="a" value="{i}"' in page.text for i in ids] == [True, True]
    csrf = field_value(page.text, "csrf")
    unknown = await post_form(
        client, url, [("csrf", csrf), ("member", str(member.id)), ("a", "999999")]
    )
    assert unknown.status_code == 422
    assert "Une des propositions cochées n'existe pas." in text_of(unknown.text)
    assert f'<option value="{member.id}" selected>' in unknown.text
    recorded = await post_form(
        client, url, [("csrf", csrf), ("member", str(member.id)), ("a", str(ids[1]))]
    )
    assert recorded.status_code == 200
    assert "Bulletin papier enregistré." in text_of(recorded.text)
    assert [b["marks"] for b in await ballots(consultation)] == [{"1": 1}]


async def test_ballot_without_csrf_is_refused_and_choices_kept(client: httpx.AsyncClient) -> None:
    council, (member, *_) = await make_council()
    consultation = await make_consultation(council, "approval", ["A", "B"])
    ids = await option_ids(consultation)
    await member_login(client, member)
    response = await post_form(client, f"/c/v/{consultation.id}", [("a", str(ids[1]))])
    assert response.status_code == 403
    assert f'value="{ids[1]}" checked' in response.text
    assert await ballots(consultation) == []


async def test_options_created_from_needs_keep_need_and_quotes() -> None:
    council, _ = await make_council(1)
    consultation = await make_consultation(council, "approval", [], open_now=False)
    await create_options(
        consultation,
        [("Garde d'enfants", "Places en crèche", 41), ("Transports du soir", "", 42)],
        quotes=[["Aucune place pour les petits"], []],
        actor="test",
    )
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT title, need_id, quotes FROM consultation_options"
            " WHERE consultation_id = $1 ORDER BY position",
            consultation.id,
        )
    assert [(r["title"], r["need_id"], json.loads(r["quotes"])) for r in rows] == [
        ("Garde d'enfants", 41, ["Aucune place pour les petits"]),
        ("Transports du soir", 42, []),
    ]


@pytest.mark.parametrize(
    ("method", "marks", "expected"),
    [
        ("approval", [{0: 1, 1: 1}, {0: 1}], "Vote par approbation"),
        ("ranked", [{0: 1, 1: 2}, {1: 1}], "méthode de Schulze"),
        ("budget", [{0: 1}, {0: 1, 2: 1}], "Méthode des parts égales"),
        ("statements", [{0: 1, 1: -1, 2: 0}, {0: 1, 1: 1}], "Affirmations"),
    ],
)
async def test_results_page_explains_each_method(
    client: httpx.AsyncClient, method: str, marks: list[dict[int, int]], expected: str
) -> None:
    council, members = await make_council(3)
    consultation = await make_consultation(
        council,
        method,
        ["Crèche", "Bus", "Jardin"],
        costs=[40000, 30000, 20000],
        budget="60000",
    )
    ids = await option_ids(consultation)
    for member, ballot in zip(members, marks, strict=False):
        await record_paper_ballot(
            council.id,
            consultation.id,
            member.id,
            {ids[k]: v for k, v in ballot.items()},
            actor="t",
        )
    await close_consultation(council.id, consultation.id, actor="t")
    await staff_user(email := f"results{next(_counter)}@council.example.org")
    await login(client, email)
    page = await client.get(f"/staff/councils/{council.id}/consultations/{consultation.id}/results")
    assert page.status_code == 200
    assert expected in text_of(page.text)
    # A chart with its data table (statements draw the opinion map only with enough votes).
    assert ('type="application/json"' in page.text) == (method != "statements")
    assert "Crèche" in page.text
    english = await client.get(
        f"/staff/councils/{council.id}/consultations/{consultation.id}/results?lang=en"
    )
    assert english.status_code == 200


def camp_marks(n: int, ids: list[int]) -> dict[int, int]:
    """Member ``n`` of two camps voting opposite ways on four statements, each member passing
    on a different statement."""
    side = 1 if n % 2 else -1
    marks = {i: side * (1 if k % 2 else -1) for k, i in enumerate(ids)}
    marks[ids[(n // 2) % 4]] = 0
    return marks


async def closed_two_camp_consultation() -> tuple[Council, Consultation]:
    """A closed statements consultation of eight members in two camps (``camp_marks``)."""
    council, members = await make_council(8)
    consultation = await make_consultation(council, "statements", ["A", "B", "C", "D"])
    ids = await option_ids(consultation)
    for n, member in enumerate(members):
        marks = camp_marks(n, ids)
        await record_paper_ballot(council.id, consultation.id, member.id, marks, actor="t")
    await close_consultation(council.id, consultation.id, actor="t")
    return council, consultation


async def test_statements_with_enough_votes_show_opinion_groups(
    client: httpx.AsyncClient,
) -> None:
    council, consultation = await closed_two_camp_consultation()
    results = (await get_consultation(council.id, consultation.id)).results
    assert results is not None
    opinion = results["statements"]["opinion"]
    assert opinion is not None and sorted(opinion["group_sizes"]) == [4, 4]
    await staff_user(email := f"groups{next(_counter)}@council.example.org")
    await login(client, email)
    page = await client.get(f"/staff/councils/{council.id}/consultations/{consultation.id}/results")
    assert page.status_code == 200
    assert "Groupe 2" in page.text and 'type="application/json"' in page.text


async def test_members_who_mostly_pass_are_shown_as_undecided(client: httpx.AsyncClient) -> None:
    council, members = await make_council(10)
    consultation = await make_consultation(council, "statements", ["A", "B", "C", "D"])
    ids = await option_ids(consultation)
    for n, member in enumerate(members):
        if n >= 8:  # two members pass on three statements of four
            marks = {i: (1 if k == n - 8 else 0) for k, i in enumerate(ids)}
        else:
            marks = camp_marks(n, ids)
        await record_paper_ballot(council.id, consultation.id, member.id, marks, actor="t")
    await close_consultation(council.id, consultation.id, actor="t")
    results = (await get_consultation(council.id, consultation.id)).results
    assert results is not None
    opinion = results["statements"]["opinion"]
    assert opinion["group_sizes"] == [4, 4, 2]
    assert opinion["undecided_group"] == 2
    assert opinion["representative"]["2"] == []
    await staff_user(email := f"undecided{next(_counter)}@council.example.org")
    await login(client, email)
    url = f"/staff/councils/{council.id}/consultations/{consultation.id}/results"
    page = text_of((await client.get(url)).text)
    assert "Plutôt sans avis (2 membres)" in page
    assert "ont passé plus de la moitié des affirmations" in page
    assert "Groupe 3" not in page
    english = text_of((await client.get(url + "?lang=en")).text)
    assert "Mostly undecided" in english


async def test_one_opinion_group_beside_the_undecided_shows_no_groups() -> None:
    council, members = await make_council(8)
    consultation = await make_consultation(council, "statements", ["A", "B", "C", "D"])
    ids = await option_ids(consultation)
    for n, member in enumerate(members):
        if n < 6:  # two opposite camps of identical ballots: two distinct patterns only
            marks = {i: (1 if n % 2 else -1) for i in ids}
        else:
            marks = {i: (1 if k == 0 else 0) for k, i in enumerate(ids)}
        await record_paper_ballot(council.id, consultation.id, member.id, marks, actor="t")
    await close_consultation(council.id, consultation.id, actor="t")
    results = (await get_consultation(council.id, consultation.id)).results
    assert results is not None
    assert results["statements"]["opinion"] is None


async def test_results_show_what_brings_groups_together_and_what_divides_them(
    client: httpx.AsyncClient,
) -> None:
    council, members = await make_council(8)
    consultation = await make_consultation(
        council, "statements", ["A", "B", "C", "D", "Tout le monde est d'accord"]
    )
    ids = await option_ids(consultation)
    for n, member in enumerate(members):
        marks = camp_marks(n, ids[:4]) | {ids[4]: 1}
        await record_paper_ballot(council.id, consultation.id, member.id, marks, actor="t")
    await close_consultation(council.id, consultation.id, actor="t")
    await staff_user(email := f"consensus{next(_counter)}@council.example.org")
    await login(client, email)
    url = f"/staff/councils/{council.id}/consultations/{consultation.id}/results"
    page = text_of((await client.get(url)).text)
    together = page.split("Ce qui rassemble les groupes")[1].split("Ce qui divise les groupes")
    assert (
        "Tout le monde est d'accord – Groupe 1 : 100 % d'accord, Groupe 2 : 100 % d'accord"
        in together[0]
    )
    assert " A – " not in together[0]  # the camps disagree on A: not a consensus
    assert "A – Groupe 1 :" in together[1]
    assert "Tout le monde est d'accord" not in together[1]  # agreed by all: divides nobody
    english = text_of((await client.get(url + "?lang=en")).text)
    assert "What divides the groups" in english and "Group 1: 100 % agree" in english


async def test_results_frozen_before_group_agreement_was_kept_show_no_false_claims(
    client: httpx.AsyncClient,
) -> None:
    council, consultation = await closed_two_camp_consultation()
    frozen = await Consultation.get(id=consultation.id)
    assert frozen.results is not None
    opinion = frozen.results["statements"]["opinion"]
    for entry in opinion["consensus"] + opinion["divisive"]:
        del entry["groups_agree"]  # as stored by an earlier version
    await frozen.save(update_fields=["results"])
    await staff_user(email := f"frozen{next(_counter)}@council.example.org")
    await login(client, email)
    url = f"/staff/councils/{council.id}/consultations/{consultation.id}/results"
    page = text_of((await client.get(url)).text)
    assert "Groupe 2" in page
    assert "Ce qui rassemble les groupes" not in page
    assert "Aucune affirmation ne recueille" not in page
    # Frozen with one opinion group beside the undecided: no grouping is shown.
    opinion["group_sizes"] = [6, 2]
    opinion["undecided_group"] = 1
    opinion["labels"] = [0 if label == 0 else 1 for label in opinion["labels"]]
    await frozen.save(update_fields=["results"])
    page = text_of((await client.get(url)).text)
    assert "Plutôt sans avis" not in page and "Groupe 1" not in page
