"""Deciding over HTTP: changes of vote allowed by default, closing only once confirmed."""

from __future__ import annotations

import itertools

import httpx
import pytest

from survey.domain.council_ballots import record_paper_ballot
from survey.domain.council_results import close_consultation
from survey.models.councils import Consultation
from tests.factories.council import make_consultation, make_council, member_login, option_ids
from tests.factories.staff import login, staff_user
from tests.htmlform import field_value, post_form, text_of
from tests.survey.web.test_council import vote

pytestmark = pytest.mark.usefixtures("orm")
_emails = itertools.count(1)


def _words(html: str) -> str:
    return " ".join(text_of(html).split())


async def staff_client(client: httpx.AsyncClient) -> None:
    await staff_user(email := f"decide{next(_emails)}@council.example.org")
    assert (await login(client, email)).status_code == 303


async def test_new_consultation_form_allows_changes_by_default(client: httpx.AsyncClient) -> None:
    council, _ = await make_council(0)
    await staff_client(client)
    page = (await client.get(f"/staff/councils/{council.id}/consultations/new")).text
    assert 'name="allow_change" value="1" checked' in page
    # The form as sent by a browser that left the box ticked.
    created = await post_form(
        client,
        f"/staff/councils/{council.id}/consultations",
        [
            ("csrf", field_value(page, "csrf")),
            ("title", "Priorités 2027"),
            ("method", "approval"),
            ("secret", "1"),
            ("allow_change", "1"),
        ],
    )
    assert created.status_code == 303
    consultation = await Consultation.get(title="Priorités 2027", council_id=council.id)
    assert (consultation.secret, consultation.allow_change) == (True, True)


async def test_close_without_the_box_ticked_changes_nothing(client: httpx.AsyncClient) -> None:
    council, members = await make_council(2)
    consultation = await make_consultation(council, "approval", ["Crèche", "Bus"])
    session = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    await member_login(session, members[0])
    ids = [o.id for o in await consultation.options.all().order_by("position")]
    assert (await vote(session, consultation.id, [("a", str(ids[0]))])).status_code == 303
    await staff_client(client)
    base = f"/staff/councils/{council.id}/consultations/{consultation.id}"
    page = await client.get(base)
    # The consultation page leads to the confirmation page; it does not close by itself.
    assert f'<form method="get" action="{base}/close"' in page.text
    assert 'value="close"' not in page.text
    confirm = await client.get(f"{base}/close")
    assert confirm.status_code == 200
    assert "Clore le vote est définitif" in text_of(confirm.text)
    assert "1 bulletin sur 2 membres, dont 0 sur papier" in text_of(confirm.text)
    refused = await post_form(
        client, f"{base}/state", [("csrf", field_value(page.text, "csrf")), ("action", "close")]
    )
    assert refused.status_code == 422
    assert 'id="e-confirm">Cochez la case pour confirmer la clôture définitive.' in refused.text
    assert (await Consultation.get(id=consultation.id)).state == "open"
    closed = await post_form(
        client,
        f"{base}/state",
        [("csrf", field_value(page.text, "csrf")), ("action", "close"), ("confirm", "1")],
    )
    assert closed.status_code == 303
    after = await Consultation.get(id=consultation.id)
    assert after.state == "closed" and after.results is not None
    assert after.results["ballots"] == 1


async def test_statement_results_say_how_many_ballots_groups_need_and_point_out_consensus(
    client: httpx.AsyncClient,
) -> None:
    council, members = await make_council(3)
    consultation = await make_consultation(
        council, "statements", ["Un marché le dimanche", "Fermer la rue aux voitures", "Rien"]
    )
    ids = await option_ids(consultation)
    votes = [(1, 1, 0), (1, -1, 0), (1, 1, -1)]
    for member, marks in zip(members, votes, strict=True):
        await record_paper_ballot(
            council.id, consultation.id, member.id, dict(zip(ids, marks, strict=True)), actor="t"
        )
    await close_consultation(council.id, consultation.id, actor="t")
    await staff_client(client)
    url = f"/staff/councils/{council.id}/consultations/{consultation.id}/results"
    page = await client.get(url)
    text = text_of(page.text)
    assert "Les groupes d'opinion demandent au moins 6 bulletins ; il y en a 3." in text
    assert "Pas assez de votes" not in text
    consensus = _words(page.text.split('id="consensus">')[1].split("</div>")[0])
    assert consensus == (
        "Ce qui fait consensus Un marché le dimanche – consensus : d'accord"
        " (3 d'accord, 0 pas d'accord, 0 passent, sur 3 bulletins)"
    )
    division = _words(page.text.split('id="division">')[1].split("</div>")[0])
    assert division == (
        "Ce qui partage les votants Fermer la rue aux voitures"
        " (2 d'accord, 1 pas d'accord, 0 passent, sur 3 bulletins)"
    )
    # "Rien": two pass, one disagrees: neither a consensus nor a division.
    assert "Rien" not in consensus and "Rien" not in division
    english = text_of((await client.get(url + "?lang=en")).text)
    assert "Opinion groups need at least 6 ballots; there are 3." in english
    assert "What the voters agree on" in english


async def test_statement_results_with_enough_ballots_but_no_groups_say_so(
    client: httpx.AsyncClient,
) -> None:
    council, members = await make_council(8)
    consultation = await make_consultation(council, "statements", ["A", "B"])
    ids = await option_ids(consultation)
    for member in members:
        await record_paper_ballot(
            council.id, consultation.id, member.id, {ids[0]: 1, ids[1]: 1}, actor="t"
        )
    await close_consultation(council.id, consultation.id, actor="t")
    await staff_client(client)
    url = f"/staff/councils/{council.id}/consultations/{consultation.id}/results"
    page = _words((await client.get(url)).text)
    assert "Les 8 bulletins ne se répartissent pas en groupes d'opinion distincts." in page
    assert (
        "A – consensus : d'accord (8 d'accord, 0 pas d'accord, 0 passent, sur 8 bulletins)" in page
    )
