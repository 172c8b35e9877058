"""Ballot options from needs over HTTP: list, pick, quotes carried, drafts only."""

from __future__ import annotations

import gzip
import itertools
import re
import uuid

import httpx
import pytest

from survey.domain.answering import load_responses
from survey.domain.consultation_options import create_options
from survey.domain.consultations import ConsultationDraft, create_consultation, open_consultation
from survey.domain.definitions import SurveyDef
from survey.domain.needs_ballot import NeedsPick
from survey.models import Response
from survey.models.councils import Consultation, ConsultationOption, Council
from survey.models.needs import Need, NeedAnswer
from survey.web.council_needs import needs_pick
from tests.factories import make_survey
from tests.factories.browser import PHONE, chromium_missing, launch, violations
from tests.factories.council import make_council, member_login
from tests.factories.needs import finished_run
from tests.factories.staff import PASSWORD, login, staff_user
from tests.htmlform import field_value, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")
_emails = itertools.count(1)
TEXTS = ["Une crèche près de chez nous", "Des places en crèche", "Un bus le dimanche"]


async def analysed_survey() -> tuple[SurveyDef, list[Need]]:
    """A survey with a finished analysis run of ``manque`` and three needs, one discarded."""
    definition = await make_survey()
    items = [
        {
            "key": str(uuid.uuid4()),
            "submitted_at": "2026-10-20T10:00:00+00:00",
            "answers": {"manque": t},
        }
        for t in TEXTS
    ]
    await load_responses(definition, items)
    ids = sorted(r.id for r in await Response.filter(survey_id=definition.id))
    run = await finished_run(definition.id, "manque", n_answers=3)
    needs = [
        await Need.create(run=run, label="Garde d'enfants", size=2, quote_response_ids=ids[:2]),
        await Need.create(run=run, label="Bus", size=1, quote_response_ids=ids[2:], position=1),
        await Need.create(run=run, label="Hors sujet", size=0, is_need=False, position=2),
    ]
    for response_id, need in zip(ids, [needs[0], needs[0], needs[1]], strict=True):
        await NeedAnswer.create(run=run, response_id=response_id, need=need)
    return definition, needs


async def draft(council: Council, method: str = "approval") -> Consultation:
    draft = ConsultationDraft("Priorités", method, secret=True)
    return await create_consultation(council.id, draft, actor="test")


async def staff_client(client: httpx.AsyncClient) -> None:
    email = f"needs-ballot{next(_emails)}@example.org"
    await staff_user(email)
    assert (await login(client, email)).status_code == 303


def url(council: Council, consultation: Consultation) -> str:
    return f"/staff/councils/{council.id}/consultations/{consultation.id}/from-needs"


async def test_needs_page_lists_the_latest_run_needs(client: httpx.AsyncClient) -> None:
    definition, needs = await analysed_survey()
    council, _ = await make_council(0)
    consultation = await draft(council)
    await staff_client(client)
    page = await client.get(url(council, consultation), params={"survey": definition.slug})
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Garde d'enfants" in text and "Bus" in text
    assert "Hors sujet" not in text
    assert "Une crèche près de chez nous" in text
    assert f'name="need" value="{needs[0].id}"' in page.text


async def test_needs_ticked_become_options_with_quotes(client: httpx.AsyncClient) -> None:
    definition, needs = await analysed_survey()
    council, _ = await make_council(0)
    consultation = await draft(council)
    await staff_client(client)
    page = (await client.get(url(council, consultation), params={"survey": definition.slug})).text
    fields = [
        ("csrf", field_value(page, "csrf")),
        ("survey", definition.slug),
        ("question", "manque"),
        ("need", str(needs[0].id)),
        ("need", str(needs[1].id)),
    ]
    response = await post_form(client, url(council, consultation), fields)
    assert response.status_code == 303
    options = await ConsultationOption.filter(consultation_id=consultation.id).order_by("position")
    assert [(o.title, o.need_id) for o in options] == [
        ("Garde d'enfants", needs[0].id),
        ("Bus", needs[1].id),
    ]
    assert options[0].quotes == TEXTS[:2]


async def test_needs_none_ticked_is_refused_next_to_the_list(client: httpx.AsyncClient) -> None:
    definition, needs = await analysed_survey()
    council, _ = await make_council(0)
    consultation = await draft(council)
    await staff_client(client)
    page = (await client.get(url(council, consultation), params={"survey": definition.slug})).text
    base = [
        ("csrf", field_value(page, "csrf")),
        ("survey", definition.slug),
        ("question", "manque"),
    ]
    response = await post_form(client, url(council, consultation), base)
    assert response.status_code == 422
    assert 'id="e-need">Cochez au moins un besoin.' in response.text
    # A discarded need (or one from elsewhere) is refused too.
    response = await post_form(
        client, url(council, consultation), [*base, ("need", str(needs[2].id))]
    )
    assert response.status_code == 422
    assert await ConsultationOption.filter(consultation_id=consultation.id).count() == 0


async def test_needs_refused_once_the_consultation_is_open(client: httpx.AsyncClient) -> None:
    definition, needs = await analysed_survey()
    council, _ = await make_council(1)
    consultation = await draft(council)
    await create_options(consultation, [("A", "", None), ("B", "", None)], actor="test")
    await open_consultation(council.id, consultation.id, actor="test")
    await staff_client(client)
    page = await client.get(url(council, consultation), params={"survey": definition.slug})
    assert "n'est plus en préparation" in text_of(page.text)
    assert 'name="need"' not in page.text
    fields = [
        ("csrf", field_value(page.text, "csrf")),
        ("survey", definition.slug),
        ("question", "manque"),
        ("need", str(needs[0].id)),
    ]
    response = await post_form(client, url(council, consultation), fields)
    assert response.status_code == 409
    assert await ConsultationOption.filter(consultation_id=consultation.id).count() == 2


async def test_needs_without_analysis_says_so_and_needs_csrf(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    council, _ = await make_council(0)
    consultation = await draft(council)
    await staff_client(client)
    page = await client.get(url(council, consultation), params={"survey": definition.slug})
    assert "Aucune analyse terminée pour cette question" in text_of(page.text)
    response = await post_form(client, url(council, consultation), [("survey", definition.slug)])
    assert response.status_code == 403


@pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed")
async def test_needs_page_picked_on_a_phone_and_accessible(live_server: str) -> None:
    from playwright.async_api import async_playwright

    definition, _ = await analysed_survey()
    council, _ = await make_council(0)
    consultation = await draft(council)
    email = f"needs-browser{next(_emails)}@example.org"
    await staff_user(email)
    async with async_playwright() as p:
        browser = await launch(p)
        context = await browser.new_context(viewport=PHONE, bypass_csp=True)
        page = await context.new_page()
        await page.goto(live_server + "/staff/login")
        await page.get_by_label("Adresse e-mail").fill(email)
        await page.get_by_label("Mot de passe").fill(PASSWORD)
        await page.get_by_role("button", name="Se connecter").click()
        await page.goto(live_server + url(council, consultation))
        await page.get_by_label("Enquête").select_option(definition.slug)
        await page.get_by_role("button", name="Afficher les besoins").click()
        await page.get_by_role("button", name="Ajouter les besoins cochés au bulletin").click()
        assert "Cochez au moins un besoin." in await page.inner_text("#errors")
        problems = await violations(page)
        await page.get_by_label("Bus").check()
        await page.get_by_role("button", name="Ajouter les besoins cochés au bulletin").click()
        await browser.close()
    assert problems == []
    options = await ConsultationOption.filter(consultation_id=consultation.id)
    assert [o.title for o in options] == ["Bus"]


async def options_from(client: httpx.AsyncClient, council, consultation, definition, needs):  # type: ignore[no-untyped-def]
    """Tick ``needs`` on the needs page and add them; the options in ballot order."""
    page = (await client.get(url(council, consultation), params={"survey": definition.slug})).text
    fields = [
        ("csrf", field_value(page, "csrf")),
        ("survey", definition.slug),
        ("question", "manque"),
        *(("need", str(n.id)) for n in needs),
    ]
    assert (await post_form(client, url(council, consultation), fields)).status_code == 303
    return await ConsultationOption.filter(consultation_id=consultation.id).order_by("position")


async def test_options_from_needs_carry_reviewed_name_description_and_quotes(
    client: httpx.AsyncClient,
) -> None:
    definition, needs = await analysed_survey()
    await Need.filter(id=needs[0].id).update(staff_label="Places en crèche", edited=True)
    council, _ = await make_council(0)
    consultation = await draft(council)
    await staff_client(client)
    options = await options_from(client, council, consultation, definition, needs[:2])
    assert [o.title for o in options] == ["Places en crèche", "Bus"]
    question = definition.question("manque").text["fr"]
    assert options[0].description == (
        f"Besoin exprimé dans 2 réponses à la question « {question} »."
    )
    assert options[1].description == f"Besoin exprimé dans 1 réponse à la question « {question} »."
    assert options[0].quotes == TEXTS[:2]
    assert all(o.follows_need for o in options)


async def test_option_from_a_need_follows_its_rename_until_voting_opens(
    client: httpx.AsyncClient,
) -> None:
    definition, needs = await analysed_survey()
    council, _ = await make_council(1)
    consultation = await draft(council)
    await staff_client(client)
    await options_from(client, council, consultation, definition, needs[:2])
    base = f"/staff/councils/{council.id}/consultations/{consultation.id}"
    await Need.filter(id=needs[1].id).update(staff_label="Bus du dimanche", edited=True)
    page = text_of((await client.get(base)).text)
    assert "Bus du dimanche" in page
    await open_consultation(council.id, consultation.id, actor="test")
    await Need.filter(id=needs[1].id).update(staff_label="Transports", edited=True)
    page = text_of((await client.get(base)).text)
    assert "Bus du dimanche" in page and "Transports" not in page
    titles = [o.title for o in await ConsultationOption.filter(consultation_id=consultation.id)]
    assert sorted(titles) == ["Bus du dimanche", "Garde d'enfants"]


async def test_option_edited_while_draft_stops_following_and_can_be_removed(
    client: httpx.AsyncClient,
) -> None:
    definition, needs = await analysed_survey()
    council, _ = await make_council(1)
    consultation = await draft(council)
    await staff_client(client)
    first, second = await options_from(client, council, consultation, definition, needs[:2])
    base = f"/staff/councils/{council.id}/consultations/{consultation.id}"
    listing = await client.get(base)
    assert f'href="{base}/options/{first.id}"' in listing.text
    edit = await client.get(f"{base}/options/{first.id}")
    assert edit.status_code == 200
    assert "Ce nom suit celui du besoin « Garde d'enfants »" in text_of(edit.text)
    csrf = field_value(edit.text, "csrf")
    # An empty name is refused next to its field, what was typed kept.
    refused = await post_form(
        client,
        f"{base}/options/{first.id}",
        [("csrf", csrf), ("title", ""), ("description", "Gardé"), ("quote", "1")],
    )
    assert refused.status_code == 422
    assert 'id="e-title">Ce champ est obligatoire.' in refused.text and "Gardé" in refused.text
    assert 'name="quote" value="0">' in refused.text  # unticked stays unticked
    saved = await post_form(
        client,
        f"{base}/options/{first.id}",
        [
            ("csrf", csrf),
            ("title", "Une crèche de quartier"),
            ("description", "Trente places à Bissy."),
            ("quote", "1"),
        ],
    )
    assert saved.status_code == 303
    option = await ConsultationOption.get(id=first.id)
    assert (option.title, option.description, option.quotes) == (
        "Une crèche de quartier",
        "Trente places à Bissy.",
        [TEXTS[1]],
    )
    assert option.follows_need is False
    await Need.filter(id=needs[0].id).update(staff_label="Enfance", edited=True)
    await client.get(base)
    assert (await ConsultationOption.get(id=first.id)).title == "Une crèche de quartier"
    removed = await post_form(client, f"{base}/options/{second.id}/remove", [("csrf", csrf)])
    assert removed.status_code == 303
    assert [o.id for o in await ConsultationOption.filter(consultation_id=consultation.id)] == [
        first.id
    ]
    # Once voting is open, options stay as they are.
    await create_options(consultation, [("Autre", "", None)], actor="test")
    await open_consultation(council.id, consultation.id, actor="test")
    late = await post_form(client, f"{base}/options/{first.id}/remove", [("csrf", csrf)])
    assert late.status_code == 409
    late_edit = await post_form(
        client, f"{base}/options/{first.id}", [("csrf", csrf), ("title", "Changé")]
    )
    assert late_edit.status_code == 409
    assert (await ConsultationOption.get(id=first.id)).title == "Une crèche de quartier"


async def test_ballot_shows_each_option_description_and_quotes_masked(
    client: httpx.AsyncClient,
) -> None:
    council, (member, *_) = await make_council(1)
    consultation = await draft(council)
    await create_options(
        consultation,
        [("Crèche", "Trente places", None), ("Bus", "", None)],
        quotes=[["Appelez-moi au 06 12 34 56 78 pour en parler", "Plus de places"], []],
        actor="test",
    )
    await open_consultation(council.id, consultation.id, actor="test")
    await member_login(client, member)
    ballot = await client.get(f"/c/v/{consultation.id}")
    assert ballot.status_code == 200
    text = text_of(ballot.text)
    assert "Trente places" in text
    assert "Appelez-moi au [téléphone] pour en parler" in text and "Plus de places" in text
    assert "06 12 34 56 78" not in ballot.text
    # Still a light page for a phone: the ballot and its style sheets, gzipped.
    sheets = re.findall(r'href="(/static/css/[^"]+)"', ballot.text)
    assert len(sheets) == 2
    files = [ballot.content] + [(await client.get(href)).content for href in sheets]
    assert sum(len(gzip.compress(f)) for f in files) <= 14 * 1024


def test_needs_pick_reads_first_survey_and_question_and_every_need() -> None:
    raw = {"survey": [" velo ", "autre"], "question": ["besoin"], "need": ["3", "5", "3"]}
    assert needs_pick(raw) == NeedsPick("velo", "besoin", ("3", "5", "3"))
    assert needs_pick({}) == NeedsPick()
