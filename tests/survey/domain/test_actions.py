"""The action list and the council dashboard over HTTP, as staff use them without JavaScript."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import httpx
import pytest

from survey.domain.actions import (
    ActionDraft,
    InvalidAction,
    action_page,
    create_action,
    decision_draft,
    draft_of,
    list_actions,
    need_draft,
    survey_actions,
    update_action,
    winners,
)
from survey.domain.consultations import open_consultation
from survey.domain.council_ballots import record_paper_ballot
from survey.domain.council_results import close_consultation
from survey.domain.councils import NewMember, add_member
from survey.domain.db import connection
from survey.domain.staff_forms import Unread
from survey.enums import ActionStatus
from survey.errors import NotFound
from survey.models.actions import Action
from survey.models.needs import AnalysisRun, Need
from tests.factories import make_survey
from tests.factories.browser import PHONE, chromium_missing, launch
from tests.factories.council import make_consultation, make_council, option_ids
from tests.factories.staff import PASSWORD, login, staff_user
from tests.htmlform import field_value, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")
_counter = itertools.count(1)


async def staff_client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    email = f"actions{next(_counter)}@example.org"
    await staff_user(email)
    await login(client, email)
    return client


async def csrf(client: httpx.AsyncClient) -> str:
    return field_value((await client.get("/staff/actions/new")).text, "csrf")


def action_fields(token: str, **values: str) -> list[tuple[str, str]]:
    fields = {
        "title": "Ouvrir la salle des fêtes le samedi",
        "decision": "Vote du conseil du 12 mars",
        "responsible": "Service jeunesse",
        "status": "todo",
        "due_date": "",
        "survey": "",
        "notes": "",
        "need_id": "",
        "consultation_id": "",
        **values,
    }
    return [("csrf", token), *fields.items()]


async def test_action_create_lists_it_under_its_status(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    definition = await make_survey()
    title = f"Navette du marché {next(_counter)}"
    response = await post_form(
        client,
        "/staff/actions",
        action_fields(
            await csrf(client),
            title=title,
            status="doing",
            due_date="31/12/2026",
            survey=str(definition.id),
        ),
    )
    assert response.status_code == 303
    action = await Action.get(title=title)
    assert response.headers["location"] == f"/staff/actions?saved={action.id}#a-{action.id}"
    assert action.status == "doing"
    assert action.due_date is not None and action.due_date.isoformat() == "2026-12-31"
    assert action.survey_id == definition.id  # type: ignore[attr-defined]
    page = await client.get(f"/staff/actions?survey={definition.id}&status=doing")
    assert page.status_code == 200
    assert f'id="a-{action.id}"' in page.text
    assert "En cours (1)" in text_of(page.text)
    assert "31/12/2026" in page.text
    other = await client.get(f"/staff/actions?survey={definition.id}&status=done")
    assert f'id="a-{action.id}"' not in other.text


async def test_action_create_invalid_keeps_input_and_shows_errors(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    before = await Action.all().count()
    response = await post_form(
        client,
        "/staff/actions",
        action_fields(
            await csrf(client),
            title="  ",
            responsible="Mairie <adjointe>",
            status="someday",
            due_date="31 février",
            notes="à revoir",
        ),
    )
    assert response.status_code == 422
    assert await Action.all().count() == before
    text = text_of(response.text)
    assert "Ce champ est obligatoire." in text
    assert "Choisissez l'état de l'action." in text
    assert "Date non reconnue" in text
    assert 'id="e-title"' in response.text
    assert 'aria-describedby="h-title e-title"' in response.text
    assert 'aria-describedby="e-status"' in response.text
    assert 'class="error-summary"' in response.text
    # What was typed is kept, escaped.
    assert 'value="Mairie &lt;adjointe&gt;"' in response.text
    assert 'value="31 février"' in response.text
    assert ">à revoir</textarea>" in response.text


async def test_action_create_in_english_shows_english_errors(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    await client.get("/staff/actions?lang=en")
    response = await post_form(
        client, "/staff/actions", action_fields(await csrf(client), title="", status="todo")
    )
    assert response.status_code == 422
    assert "This field is required." in text_of(response.text)


async def test_action_edit_saves_changes_and_keeps_input_on_error(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    action = await Action.create(title="Réparer l'abribus", status="todo")
    form = await client.get(f"/staff/actions/{action.id}")
    assert form.status_code == 200
    assert 'value="Réparer l\'abribus"' in form.text.replace("&#39;", "'")
    assert 'value="todo" checked' in form.text
    token = field_value(form.text, "csrf")
    bad = await post_form(
        client,
        f"/staff/actions/{action.id}",
        action_fields(token, title="Réparer l'abribus", responsible="x" * 201, status="done"),
    )
    assert bad.status_code == 422
    assert "200 caractères au plus" in text_of(bad.text)
    assert 'value="done" checked' in bad.text
    await action.refresh_from_db()
    assert action.status == "todo"
    good = await post_form(
        client,
        f"/staff/actions/{action.id}",
        action_fields(token, title="Réparer l'abribus", responsible="Voirie", status="done"),
    )
    assert good.status_code == 303
    await action.refresh_from_db()
    assert (action.status, action.responsible) == ("done", "Voirie")


async def test_action_edit_unknown_is_not_found(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    assert (await client.get("/staff/actions/999999999")).status_code == 404
    assert (await client.get("/staff/actions/abc")).status_code == 404


async def test_action_post_without_csrf_is_refused(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    action = await Action.create(title="Bancs du parc", status="todo")
    before = await Action.all().count()
    created = await post_form(client, "/staff/actions", action_fields("forged"))
    assert created.status_code == 403
    edited = await post_form(
        client, f"/staff/actions/{action.id}", action_fields("forged", status="dropped")
    )
    assert edited.status_code == 403
    assert await Action.all().count() == before
    await action.refresh_from_db()
    assert action.status == "todo"


async def test_action_pages_refuse_anonymous_visitors(client: httpx.AsyncClient) -> None:
    council, _ = await make_council(1)
    for path in (
        "/staff/actions",
        "/staff/actions/new",
        "/staff/actions/1",
        f"/staff/councils/{council.id}/dashboard",
    ):
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/staff/login"), path
    posted = await post_form(client, "/staff/actions", action_fields("x"))
    assert posted.status_code == 303
    assert posted.headers["location"].startswith("/staff/login")


async def _closed_with_need() -> tuple[int, int, int, int, int]:
    """A closed approval vote whose winner came from a need: ids of council, consultation,
    winning option, need and survey."""
    definition = await make_survey()
    run = await AnalysisRun.create(survey_id=definition.id, question_code="besoins")
    need = await Need.create(run=run, label="Garde d'enfants", size=4)
    council, members = await make_council(3)
    consultation = await make_consultation(council, "approval", ["Crèche", "Bus"], open_now=False)
    ids = await option_ids(consultation)
    async with connection() as conn:
        await conn.execute(
            "UPDATE consultation_options SET need_id = $1, description = $2 WHERE id = $3",
            need.id,
            "Une crèche municipale de 20 places",
            ids[0],
        )
    await open_consultation(council.id, consultation.id, actor="test")
    await record_paper_ballot(council.id, consultation.id, members[0].id, {ids[0]: 1}, actor="t")
    await record_paper_ballot(
        council.id, consultation.id, members[1].id, {ids[0]: 1, ids[1]: 1}, actor="t"
    )
    await close_consultation(council.id, consultation.id, actor="test")
    return council.id, consultation.id, ids[0], need.id, definition.id


async def test_action_from_decision_is_prefilled_with_the_winner(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    council_id, consultation_id, option_id, need_id, survey_id = await _closed_with_need()
    board = await client.get(f"/staff/councils/{council_id}/dashboard")
    link = f"/staff/actions/new?consultation={consultation_id}&amp;option={option_id}"
    assert link in board.text
    form = await client.get(link.replace("&amp;", "&"))
    assert form.status_code == 200
    assert 'value="Crèche"' in form.text
    assert ">Une crèche municipale de 20 places</textarea>" in form.text
    assert field_value(form.text, "need_id") == str(need_id)
    assert field_value(form.text, "consultation_id") == str(consultation_id)
    assert f'<option value="{survey_id}" selected>' in form.text
    assert "Garde d'enfants" in text_of(form.text)
    fields = [
        ("csrf", field_value(form.text, "csrf")),
        ("consultation_id", str(consultation_id)),
        ("need_id", str(need_id)),
        ("title", "Crèche"),
        ("decision", "Une crèche municipale de 20 places"),
        ("responsible", "Petite enfance"),
        ("status", "todo"),
        ("survey", str(survey_id)),
    ]
    saved = await post_form(client, "/staff/actions", fields)
    assert saved.status_code == 303
    action = await Action.get(consultation_id=consultation_id)
    assert (action.need_id, action.survey_id) == (need_id, survey_id)  # type: ignore[attr-defined]
    board = await client.get(f"/staff/councils/{council_id}/dashboard")
    assert f'<a href="/staff/actions/{action.id}">Crèche</a>' in board.text
    assert "Petite enfance" in board.text


async def test_action_from_open_consultation_is_not_found(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    council, _ = await make_council(1)
    consultation = await make_consultation(council, "approval", ["A", "B"])
    response = await client.get(f"/staff/actions/new?consultation={consultation.id}")
    assert response.status_code == 404


async def test_council_dashboard_participation_matches_ballots(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    council, members = await make_council(3)
    closed = await make_consultation(council, "approval", ["Crèche", "Bus"], quorum="2")
    ids = await option_ids(closed)
    for member in members[:2]:
        await record_paper_ballot(council.id, closed.id, member.id, {ids[1]: 1}, actor="t")
    await close_consultation(council.id, closed.id, actor="test")
    # Joined after closing: the closed vote keeps the members it was counted with.
    await add_member(council.id, NewMember("Nouvelle"), actor="test")
    open_one = await make_consultation(council, "approval", ["Jardin", "Piste"], quorum="3")
    open_ids = await option_ids(open_one)
    await record_paper_ballot(council.id, open_one.id, members[0].id, {open_ids[0]: 1}, actor="t")
    board = await client.get(f"/staff/councils/{council.id}/dashboard")
    assert board.status_code == 200
    text = " ".join(text_of(board.text).split())
    closed_row = board.text.split(f'id="k-{closed.id}"')[1].split("</tr>")[0]
    closed_text = " ".join(text_of(closed_row).split())
    assert "2 3 66,7 % atteint (2)" in closed_text
    assert "Bus" in closed_text and "Crèche" not in closed_text
    open_row = board.text.split(f'id="k-{open_one.id}"')[1].split("</tr>")[0]
    open_text = " ".join(text_of(open_row).split())
    assert "1 4 25,0 % non atteint (3)" in open_text
    # 3 ballots out of 3 + 4 seats.
    assert "Total : 2 consultations 1 ouverte, 1 close 3 7 42,9 % atteint pour 1" in text


async def test_council_dashboard_unknown_council_is_not_found(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    assert (await client.get("/staff/councils/999999999/dashboard")).status_code == 404


def test_winners_budget_lists_every_funded_project() -> None:
    results = {
        "method": "budget",
        "ballots": 4,
        "options": [
            {"id": 7, "title": "A", "cost": 100},
            {"id": 8, "title": "B", "cost": 300},
            {"id": 9, "title": "C", "cost": 200},
        ],
        "budget": {
            "budget": 400,
            "approvals": [3, 1, 4],
            "equal_shares": {"funded": [2, 0], "total_cost": 300},
        },
    }
    assert [o["id"] for o in winners(results)] == [9, 7]


def test_winners_statements_or_no_ballot_is_empty() -> None:
    options = [{"id": 1, "title": "A"}]
    assert winners({"method": "statements", "ballots": 5, "options": options}) == []
    tie = {"method": "approval", "ballots": 0, "options": options, "approval": {"ranking": [[0]]}}
    assert winners(tie) == []
    assert winners(None) == []


async def test_action_list_unknown_filter_shows_every_action(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    action = await Action.create(title="Composteur partagé", status="dropped")
    page = await client.get("/staff/actions?status=someday&survey=abc")
    assert page.status_code == 200
    assert f'id="a-{action.id}"' in page.text
    assert '<option value="" selected>' not in page.text


async def test_council_dashboard_in_english(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    council, members = await make_council(2)
    consultation = await make_consultation(council, "approval", ["Crèche", "Bus"])
    ids = await option_ids(consultation)
    await record_paper_ballot(council.id, consultation.id, members[0].id, {ids[0]: 1}, actor="t")
    board = await client.get(f"/staff/councils/{council.id}/dashboard?lang=en")
    text = " ".join(text_of(board.text).split())
    assert "Council dashboard" in text
    assert "1 2 50.0% no quorum" in text


async def test_action_pages_link_their_stylesheet(client: httpx.AsyncClient) -> None:
    await staff_client(client)
    page = await client.get("/staff/actions")
    href = re.search(r'href="(/static/css/actions\.css\?v=\w+)"', page.text)
    assert href is not None
    css = await client.get(href.group(1))
    assert css.status_code == 200
    assert ".table-scroll" in css.text


@pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed")
async def test_action_created_on_a_phone_without_javascript(live_server: str) -> None:
    from playwright.async_api import async_playwright

    email = f"actions-phone{next(_counter)}@example.org"
    await staff_user(email)
    title = f"Éclairer le city-stade {next(_counter)}"
    async with async_playwright() as p:
        browser = await launch(p)
        context = await browser.new_context(
            viewport=PHONE, java_script_enabled=False, locale="fr-FR", is_mobile=True
        )
        page = await context.new_page()
        await page.goto(f"{live_server}/staff/login")
        await page.get_by_label("E-mail").fill(email)
        await page.get_by_label("Mot de passe").fill(PASSWORD)
        await page.get_by_role("button", name="Se connecter").click()
        await page.wait_for_url(f"{live_server}/staff")
        await page.goto(f"{live_server}/staff/actions/new")
        await page.get_by_role("button", name="Créer l'action").click()
        assert await page.locator("#e-title").inner_text() == "Ce champ est obligatoire."
        await page.get_by_label("Action").fill(title)
        await page.get_by_label("Responsable").fill("Services techniques")
        await page.get_by_label("En cours").check()
        await page.get_by_role("button", name="Créer l'action").click()
        await page.wait_for_url(re.compile(r"/staff/actions\?saved="))
        row = page.locator("tr", has_text=title)
        assert await row.is_visible()
        box = await page.locator("main").bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"]
        await browser.close()
    action = await Action.get(title=title)
    assert (action.status, action.responsible) == ("doing", "Services techniques")


async def test_survey_actions_lists_a_surveys_actions_by_status() -> None:
    definition = await make_survey()
    other = await make_survey()
    await Action.create(title="Abandonnée", status="dropped", survey_id=definition.id)
    await Action.create(title="Faite", status="done", survey_id=definition.id)
    await Action.create(
        title="À faire", status="todo", survey_id=definition.id, responsible="Mairie"
    )
    await Action.create(title="Ailleurs", status="todo", survey_id=other.id)
    listed = await survey_actions(definition.id)
    assert [(a.title, a.status) for a in listed] == [
        ("À faire", "todo"),
        ("Faite", "done"),
        ("Abandonnée", "dropped"),
    ]
    assert listed[0].responsible == "Mairie"


async def test_action_from_a_need_starts_on_its_needs_analysis_page(
    client: httpx.AsyncClient,
) -> None:
    from tests.survey.web.test_council_needs import analysed_survey

    definition, needs = await analysed_survey()
    await Need.filter(id=needs[0].id).update(staff_label="Places en crèche", edited=True)
    await staff_client(client)
    run_id = needs[0].run_id  # type: ignore[attr-defined]
    page = await client.get(
        f"/staff/surveys/{definition.slug}/analysis/{run_id}/needs/{needs[0].id}"
    )
    assert page.status_code == 200
    link = f"/staff/actions/new?need={needs[0].id}"
    assert f'<a href="{link}" id="need-action">Créer une action pour ce besoin</a>' in page.text
    form = await client.get(link)
    assert form.status_code == 200
    assert 'value="Places en crèche"' in form.text
    assert field_value(form.text, "need_id") == str(needs[0].id)
    assert f'<option value="{definition.id}" selected>' in form.text
    assert "Répond au besoin : Places en crèche" in " ".join(text_of(form.text).split())
    saved = await post_form(
        client,
        "/staff/actions",
        [
            ("csrf", field_value(form.text, "csrf")),
            ("need_id", field_value(form.text, "need_id")),
            ("consultation_id", ""),
            ("title", "Places en crèche"),
            ("decision", "Ouvrir 20 places"),
            ("responsible", "Petite enfance"),
            ("status", "todo"),
            ("survey", str(definition.id)),
        ],
    )
    assert saved.status_code == 303
    action = await Action.get(need_id=needs[0].id)
    assert (action.title, action.survey_id) == ("Places en crèche", definition.id)  # type: ignore[attr-defined]
    # A discarded need offers no action; an unknown one is not found.
    discarded = await client.get(
        f"/staff/surveys/{definition.slug}/analysis/{run_id}/needs/{needs[2].id}"
    )
    assert 'id="need-action"' not in discarded.text
    assert (await client.get("/staff/actions/new?need=999999999")).status_code == 404


async def test_action_create_unknown_survey_is_shown_next_to_its_field(
    client: httpx.AsyncClient,
) -> None:
    await staff_client(client)
    await client.get("/staff/actions?lang=en")
    before = await Action.all().count()
    response = await post_form(
        client,
        "/staff/actions",
        action_fields(await csrf(client), survey="999999999", responsible="Voirie"),
    )
    assert response.status_code == 422
    assert await Action.all().count() == before
    assert 'id="e-survey"' in response.text
    assert "This survey does not exist any more" in text_of(response.text)
    assert 'value="Voirie"' in response.text


async def test_create_action_from_a_draft_stores_its_values_trimmed() -> None:
    definition = await make_survey()
    title = f"Jardins partagés {next(_counter)}"
    action = await create_action(
        ActionDraft(
            title=f"  {title} ",
            status=ActionStatus.DOING,
            responsible=" Espaces verts ",
            due_date=dt.date(2027, 3, 1),
            survey_id=definition.id,
        )
    )
    stored = await Action.get(id=action.id)
    assert (stored.title, stored.status, stored.responsible, stored.due_date) == (
        title,
        "doing",
        "Espaces verts",
        dt.date(2027, 3, 1),
    )
    assert stored.survey_id == definition.id  # type: ignore[attr-defined]


async def test_create_action_draft_errors_are_keyed_by_attribute() -> None:
    before = await Action.all().count()
    with pytest.raises(InvalidAction) as caught:
        await create_action(
            ActionDraft(
                title=" ",
                status=None,
                responsible="x" * 201,
                due_date=Unread("31 février"),
                survey_id=Unread("la mienne"),
            )
        )
    errors = caught.value.errors
    assert {name: error.key for name, error in errors.items()} == {
        "title": "actions.required",
        "responsible": "actions.too_long",
        "status": "actions.bad_status",
        "due_date": "actions.bad_date",
        "survey_id": "actions.bad_survey",
    }
    assert errors["responsible"].params == {"max": 200}
    assert await Action.all().count() == before


async def test_create_action_unknown_survey_is_refused_stale_links_are_dropped() -> None:
    with pytest.raises(InvalidAction) as caught:
        await create_action(ActionDraft(title="Bancs du parc", survey_id=999999999))
    assert list(caught.value.errors) == ["survey_id"]
    action = await create_action(
        ActionDraft(title="Bancs du parc", need_id=999999999, consultation_id=999999999)
    )
    stored = await Action.get(id=action.id)
    assert (stored.need_id, stored.consultation_id) == (None, None)  # type: ignore[attr-defined]


async def test_update_action_from_a_draft_changes_nothing_on_error() -> None:
    action = await create_action(ActionDraft(title="Réparer l'abribus"))
    with pytest.raises(InvalidAction) as caught:
        await update_action(action.id, ActionDraft(title="", status=ActionStatus.DONE))
    assert list(caught.value.errors) == ["title"]
    await action.refresh_from_db()
    assert action.status == "todo"
    await update_action(
        action.id, ActionDraft(title="Réparer l'abribus", status=ActionStatus.DONE, notes="fait")
    )
    await action.refresh_from_db()
    assert (action.status, action.notes) == ("done", "fait")
    with pytest.raises(NotFound):
        await update_action(999999999, ActionDraft(title="Réparer l'abribus"))


async def test_action_page_shows_the_decision_and_need_linked() -> None:
    council_id, consultation_id, _, need_id, survey_id = await _closed_with_need()
    page = await action_page(consultation_id=consultation_id, need_id=need_id)
    assert page.consultation is not None
    assert (page.consultation["id"], page.consultation["council_id"]) == (
        consultation_id,
        council_id,
    )
    assert page.need == {"id": need_id, "label": "Garde d'enfants", "survey_id": survey_id}
    assert survey_id in [s["id"] for s in page.surveys]
    alone = await action_page(consultation_id=None, need_id=999999999)
    assert (alone.consultation, alone.need) == (None, None)


async def test_draft_of_an_action_saves_back_unchanged() -> None:
    definition = await make_survey()
    action = await create_action(
        ActionDraft(
            title="Bancs du parc",
            status=ActionStatus.DOING,
            notes="trois bancs",
            due_date=dt.date(2027, 5, 1),
            survey_id=definition.id,
        )
    )
    draft = draft_of(await Action.get(id=action.id))
    assert draft == ActionDraft(
        title="Bancs du parc",
        status=ActionStatus.DOING,
        notes="trois bancs",
        due_date=dt.date(2027, 5, 1),
        survey_id=definition.id,
    )
    await update_action(action.id, draft)
    assert draft_of(await Action.get(id=action.id)) == draft


async def test_prefilled_drafts_come_from_the_winner_and_the_need() -> None:
    _, consultation_id, option_id, need_id, survey_id = await _closed_with_need()
    from_decision = await decision_draft(consultation_id, option_id)
    assert from_decision == ActionDraft(
        title="Crèche",
        decision="Une crèche municipale de 20 places",
        survey_id=survey_id,
        need_id=need_id,
        consultation_id=consultation_id,
    )
    assert await decision_draft(consultation_id) == from_decision
    assert await need_draft(need_id) == ActionDraft(
        title="Garde d'enfants", survey_id=survey_id, need_id=need_id
    )
    assert await decision_draft(None) == await need_draft(None) == ActionDraft(title="")
    with pytest.raises(NotFound):
        await need_draft(999999999)


async def test_list_actions_filters_by_survey_and_status() -> None:
    definition = await make_survey()
    for title, status in (("Navette", ActionStatus.DOING), ("Abri", ActionStatus.TODO)):
        await create_action(ActionDraft(title=title, status=status, survey_id=definition.id))
    listing = await list_actions(definition.id, ActionStatus.DOING)
    assert [(g.status, g.count, [r["title"] for r in g.rows]) for g in listing.groups] == [
        ("doing", 1, ["Navette"])
    ]
    every = await list_actions(definition.id)
    assert [g.status for g in every.groups] == ["todo", "doing"]
    assert every.total == 2
