"""Stratified draw of a council over HTTP: proposed quotas, draw, members, audit, errors."""

from __future__ import annotations

import itertools
import json
import re
import uuid
from collections import Counter
from importlib.metadata import version

import httpx
import pytest

from analysis import sortition_lib
from survey.domain import sortition as sortition_domain
from survey.domain import sortition_form
from survey.domain.answering import load_responses
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef, create_survey_from_definition, get_definition
from survey.models.councils import Council, Member
from survey.models.sortition import SortitionDraw
from survey.web.sortition import draw_command
from tests.factories import demo_definition, finish_jobs, make_survey
from tests.factories.browser import PHONE, chromium_missing, launch, violations
from tests.factories.council import make_council
from tests.factories.staff import PASSWORD, login, staff_user
from tests.htmlform import field_value, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")
LIBRARY_VERSION = version("sortition-algorithms")
_emails = itertools.count(1)


async def volunteers(bissy: int, centre: int, refusing: int = 3) -> SurveyDef:
    """A survey whose volunteers live in Bissy or the centre, plus some who said no."""
    definition = await make_survey()
    people = [("bissy", "yes")] * bissy + [("centre", "yes")] * centre
    people += [("bissy", "no")] * refusing
    items = [
        {
            "key": str(uuid.uuid4()),
            "submitted_at": "2026-10-20T10:00:00+00:00",
            "answers": {
                "quartier": area,
                "age": "30-44" if i % 2 else "60-74",
                "conseil": said,
                "contact": f"v{i}@example.org",
            },
        }
        for i, (area, said) in enumerate(people)
    ]
    await load_responses(definition, items)
    return definition


async def staff_client(client: httpx.AsyncClient) -> None:
    email = f"sortition{next(_emails)}@example.org"
    await staff_user(email)
    assert (await login(client, email)).status_code == 303


def input_value(page: str, name: str) -> str:
    """The value of a visible text input."""
    found = re.search(rf'<input[^>]* name="{re.escape(name)}"[^>]* value="([^"]*)"', page)
    assert found is not None, name
    return found.group(1)


def url(council: Council) -> str:
    return f"/staff/councils/{council.id}/sortition"


async def plan_page(client, council: Council, definition: SurveyDef, size: int = 4) -> str:
    params = [("survey", definition.slug), ("question", "conseil"), ("size", str(size))]
    params.append(("strata", "quartier"))
    response = await client.get(url(council), params=params)
    assert response.status_code == 200
    return response.text


def draw_fields(page: str, definition: SurveyDef, **quotas: str) -> list[tuple[str, str]]:
    fields = [
        ("csrf", field_value(page, "csrf")),
        ("key", field_value(page, "key")),
        ("survey", definition.slug),
        ("question", "conseil"),
        ("size", "4"),
        ("strata", "quartier"),
        ("seed", quotas.pop("seed", "1234")),
    ]
    bounds = {"min:quartier:bissy": "1", "max:quartier:bissy": "3"}
    bounds |= {"min:quartier:centre": "1", "max:quartier:centre": "3"}
    bounds |= {k.replace("__", ":quartier:"): v for k, v in quotas.items()}
    return fields + list(bounds.items())


async def send_draw(client, address: str, fields: list[tuple[str, str]]) -> httpx.Response:  # type: ignore[no-untyped-def]
    """POST a draw form; a draw left to the job queue is run here and its page followed
    (to the report, or back to the form with its errors)."""
    response = await post_form(client, address, fields)
    location = response.headers.get("location", "")
    if response.status_code == 303 and "/sortition/queued/" in location:
        waiting = await client.get(location)
        if waiting.status_code == 200:  # (the browser tests' server may have been quicker)
            assert 'role="status"' in waiting.text
            assert f'href="{location.split("?")[0]}"' in waiting.text  # "Refresh"
        await finish_jobs(sortition_domain.DRAW_JOB)
        response = await client.get(location)
    return response


async def test_sortition_page_proposes_proportional_quotas(client: httpx.AsyncClient) -> None:
    definition = await volunteers(bissy=15, centre=5)
    council, _ = await make_council(0)
    await staff_client(client)
    page = await plan_page(client, council, definition)
    assert "20 volontaires pas encore tirés au sort" in text_of(page)
    # 15 of 20 volunteers in Bissy: 3 of a panel of 4, give or take one.
    assert input_value(page, "min:quartier:bissy") == "2"
    assert input_value(page, "max:quartier:bissy") == "4"
    assert input_value(page, "min:quartier:centre") == "0"
    assert input_value(page, "max:quartier:centre") == "2"


async def test_sortition_draw_adds_members_and_keeps_an_audit_record(
    client: httpx.AsyncClient,
) -> None:
    definition = await volunteers(bissy=6, centre=6)
    council, _ = await make_council(0)
    await staff_client(client)
    page = await plan_page(client, council, definition)
    response = await send_draw(client, url(council), draw_fields(page, definition))
    assert response.status_code == 303
    draw = await SortitionDraw.get(council_id=council.id)
    assert response.headers["location"] == f"{url(council)}/{draw.id}"
    assert (draw.seed, draw.pool_size, draw.panel_size, len(draw.selected)) == (1234, 12, 4, 4)
    members = await Member.filter(council_id=council.id).order_by("id")
    assert [m.name for m in members] == [f"Volontaire n° {n}" for n in range(1, 5)]
    assert all(m.email.endswith("@example.org") for m in members)
    areas = Counter(m.strata["quartier"] for m in members)
    assert 1 <= areas["bissy"] <= 3 and 1 <= areas["centre"] <= 3
    assert all(m.territory == m.strata["quartier"] for m in members)
    report = text_of((await client.get(response.headers["location"])).text)
    assert "1234" in report
    assert "Bissy" in report and "Centre-ville" in report


async def test_sortition_form_posted_twice_draws_once(client: httpx.AsyncClient) -> None:
    definition = await volunteers(bissy=6, centre=6)
    council, _ = await make_council(0)
    await staff_client(client)
    page = await plan_page(client, council, definition)
    fields = draw_fields(page, definition)
    first = await send_draw(client, url(council), fields)
    again = await send_draw(client, url(council), fields)  # a double click, a retried POST
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert await SortitionDraw.filter(council_id=council.id).count() == 1
    assert await Member.filter(council_id=council.id).count() == 4
    # The same form shown again is a new request: it draws among those still in the pool.
    fresh = await plan_page(client, council, definition)
    other = await send_draw(client, url(council), draw_fields(fresh, definition))
    assert other.headers["location"] != first.headers["location"]
    assert await Member.filter(council_id=council.id).count() == 8


async def test_sortition_same_seed_same_panel_and_no_volunteer_drawn_twice(
    client: httpx.AsyncClient,
) -> None:
    definition = await volunteers(bissy=6, centre=6)
    first, _ = await make_council(0)
    second, _ = await make_council(0)
    await staff_client(client)
    for council in (first, second):
        page = await plan_page(client, council, definition)
        response = await send_draw(client, url(council), draw_fields(page, definition))
        assert response.status_code == 303
    one = await SortitionDraw.get(council_id=first.id)
    two = await SortitionDraw.get(council_id=second.id)
    assert one.selected == two.selected
    # A second draw for the same council leaves out those already drawn.
    page = await plan_page(client, first, definition)
    assert "8 volontaires pas encore tirés au sort" in text_of(page)
    response = await send_draw(client, url(first), draw_fields(page, definition))
    assert response.status_code == 303
    again = await SortitionDraw.filter(council_id=first.id).order_by("-id").first()
    assert again is not None
    assert set(again.selected).isdisjoint(one.selected)
    names = [m.name for m in await Member.filter(council_id=first.id).order_by("id")]
    assert names == [f"Volontaire n° {n}" for n in range(1, 9)]


async def test_sortition_unreachable_minimum_is_shown_next_to_its_field(
    client: httpx.AsyncClient,
) -> None:
    definition = await volunteers(bissy=2, centre=8)
    council, _ = await make_council(0)
    await staff_client(client)
    page = await plan_page(client, council, definition)
    fields = draw_fields(page, definition, min__bissy="3", max__bissy="4")
    response = await send_draw(client, url(council), fields)
    assert response.status_code == 422
    assert 'id="e-min:quartier:bissy">Pas assez de volontaires pour ce minimum.' in response.text
    assert 'aria-describedby="e-min:quartier:bissy"' in response.text
    assert 'value="3"' in response.text and 'value="1234"' in response.text
    assert await Member.filter(council_id=council.id).count() == 0
    assert await SortitionDraw.filter(council_id=council.id).count() == 0


async def test_sortition_pool_too_small_and_bad_numbers_are_refused(
    client: httpx.AsyncClient,
) -> None:
    definition = await volunteers(bissy=2, centre=1)
    council, _ = await make_council(0)
    await staff_client(client)
    page = await plan_page(client, council, definition)
    response = await send_draw(client, url(council), draw_fields(page, definition))
    assert response.status_code == 422
    assert "pas assez de volontaires pour un panel de 4 personnes" in text_of(response.text)
    typed = draw_fields(page, definition, max__centre="beaucoup", seed="-5")
    response = await send_draw(client, url(council), typed)
    assert response.status_code == 422
    page_text = text_of(response.text)
    assert "Saisissez un nombre entier entre 0 et 500." in page_text
    assert "Saisissez un nombre entier positif" in page_text
    assert 'value="beaucoup"' in response.text


async def test_sortition_english_page_and_csrf_refusal(client: httpx.AsyncClient) -> None:
    definition = await volunteers(bissy=3, centre=3)
    council, _ = await make_council(0)
    await staff_client(client)
    english = await client.get(url(council), params={"lang": "en", "survey": definition.slug})
    assert "Stratified draw" in english.text
    page = await plan_page(client, council, definition)
    fields = [f for f in draw_fields(page, definition) if f[0] != "csrf"]
    assert (await send_draw(client, url(council), fields)).status_code == 403
    assert await Member.filter(council_id=council.id).count() == 0


async def test_sortition_draw_of_another_council_is_not_found(client: httpx.AsyncClient) -> None:
    definition = await volunteers(bissy=3, centre=3)
    council, _ = await make_council(0)
    other, _ = await make_council(0)
    await staff_client(client)
    page = await plan_page(client, council, definition)
    assert (await send_draw(client, url(council), draw_fields(page, definition))).status_code == 303
    draw = await SortitionDraw.get(council_id=council.id)
    assert (await client.get(f"{url(other)}/{draw.id}")).status_code == 404


@pytest.mark.skipif(chromium_missing(), reason="Debian's chromium is not installed")
async def test_sortition_drawn_on_a_phone_without_javascript_and_accessible(
    live_server: str,
) -> None:
    from playwright.async_api import async_playwright

    definition = await volunteers(bissy=6, centre=6)
    council, _ = await make_council(0)
    email = f"sortition-browser{next(_emails)}@example.org"
    await staff_user(email)
    found: dict[str, list[str]] = {}
    report_url = ""
    async with async_playwright() as p:
        browser = await launch(p)
        for javascript in (False, True):
            # Without JavaScript: the real walk; with it (CSP bypassed): axe's checks.
            context = await browser.new_context(
                viewport=PHONE, java_script_enabled=javascript, bypass_csp=javascript
            )
            page = await context.new_page()
            await page.goto(live_server + "/staff/login")
            await page.get_by_label("Adresse e-mail").fill(email)
            await page.get_by_label("Mot de passe").fill(PASSWORD)
            await page.get_by_role("button", name="Se connecter").click()
            await page.goto(live_server + url(council))
            await page.get_by_label("Enquête").select_option(definition.slug)
            await page.get_by_role("button", name="Calculer les quotas").click()
            await page.get_by_label("Dans quel quartier habitez-vous ?").check()
            await page.get_by_label("Taille du panel").fill("4")
            await page.get_by_role("button", name="Calculer les quotas").click()
            if javascript:
                await page.get_by_label("Minimum – Bissy").fill("9")
                await page.get_by_role("button", name="Tirer au sort").click()
                assert "Le minimum dépasse le maximum." in await page.inner_text("#errors")
                if problems := await violations(page):
                    found["plan"] = problems
                await page.goto(live_server + report_url)
                if problems := await violations(page):
                    found["report"] = problems
            else:
                await page.get_by_label("Graine du tirage").fill("77")
                await page.get_by_role("button", name="Tirer au sort").click()
                # Maximin is left to the served app's job worker: "Actualiser" until it is done.
                for _ in range(90):
                    if "Tirage au sort n°" in await page.inner_text("h1"):
                        break
                    assert "Tirage au sort en cours" in await page.inner_text("h1")
                    await page.wait_for_timeout(1000)
                    await page.get_by_role("link", name="Actualiser").click()
                assert "Tirage au sort n°" in await page.inner_text("h1")
                draw = await SortitionDraw.get(council_id=council.id)
                report_url = f"{url(council)}/{draw.id}"
                assert draw.seed == 77
                # The members as staff read them on the phone: by name in order, by label.
                await page.get_by_role("link", name="Voir les membres du conseil").click()
                rows = page.locator("#members ~ .table-scroll tbody tr")
                names = [n.split("\n")[0] for n in await rows.locator("th").all_inner_texts()]
                assert names == [f"Volontaire n° {n}" for n in range(1, 5)]
                areas = await rows.locator("td:nth-child(2)").all_inner_texts()
                assert set(areas) <= {"Bissy", "Centre-ville"} and areas
                width = await page.evaluate("document.documentElement.scrollWidth")
                assert width <= PHONE["width"]
            await context.close()
        await browser.close()
    assert found == {}
    assert await Member.filter(council_id=council.id).count() == 4


async def test_sortition_tampered_choices_are_refused_clearly(client: httpx.AsyncClient) -> None:
    definition = await volunteers(bissy=3, centre=3)
    council, _ = await make_council(0)
    await staff_client(client)
    params = {"survey": definition.slug, "question": "conseil", "strata": "contact"}
    page = await client.get(url(council), params=params)
    assert page.status_code == 200
    assert "Choisissez des questions à choix unique." in text_of(page.text)
    form = await plan_page(client, council, definition)
    fields = [(k, "inconnue" if k == "survey" else v) for k, v in draw_fields(form, definition)]
    response = await send_draw(client, url(council), fields)
    assert response.status_code == 422
    assert "Cette enquête n'existe pas." in text_of(response.text)
    fields = [(k, "quartier" if k == "question" else v) for k, v in draw_fields(form, definition)]
    response = await send_draw(client, url(council), fields)
    assert response.status_code == 422
    assert "Choisissez une question oui/non de l'enquête." in text_of(response.text)
    assert await Member.filter(council_id=council.id).count() == 0


def two_strata_fields(
    page: str, definition: SurveyDef, algorithm: str, bounds: dict[str, str]
) -> list[tuple[str, str]]:
    """A draw of 4 stratified by neighbourhood and age; ``min__age__30-44`` names a field."""
    fields = [
        ("csrf", field_value(page, "csrf")),
        ("survey", definition.slug),
        ("question", "conseil"),
        ("size", "4"),
        ("strata", "quartier"),
        ("strata", "age"),
        ("seed", "2026"),
        ("algorithm", algorithm),
    ]
    return fields + [(k.replace("__", ":"), v) for k, v in bounds.items()]


async def two_strata_page(client, council: Council, definition: SurveyDef) -> str:
    params = [("survey", definition.slug), ("question", "conseil"), ("size", "4")]
    params += [("strata", "quartier"), ("strata", "age")]
    response = await client.get(url(council), params=params)
    assert response.status_code == 200
    return response.text


BALANCED = {
    "min__quartier__bissy": "1",
    "max__quartier__bissy": "3",
    "min__quartier__centre": "1",
    "max__quartier__centre": "3",
    "min__age__30-44": "2",
    "max__age__30-44": "2",
    "min__age__60-74": "2",
    "max__age__60-74": "2",
}


@pytest.mark.parametrize("algorithm", ["maximin", "legacy"])
async def test_sortition_library_draw_holds_quotas_and_its_seed_gives_the_panel_again(
    client: httpx.AsyncClient, algorithm: str
) -> None:
    definition = await volunteers(bissy=7, centre=7)
    first, _ = await make_council(0)
    second, _ = await make_council(0)
    await staff_client(client)
    for council in (first, second):
        page = await two_strata_page(client, council, definition)
        assert input_value(page, "min:age:30-44") == "1"  # the proposal, before ours
        fields = two_strata_fields(page, definition, algorithm, BALANCED)
        response = await send_draw(client, url(council), fields)
        assert response.status_code == 303
    one = await SortitionDraw.get(council_id=first.id)
    two = await SortitionDraw.get(council_id=second.id)
    assert one.selected == two.selected
    assert (one.algorithm, one.software) == (algorithm, f"sortition-algorithms {LIBRARY_VERSION}")
    members = await Member.filter(council_id=first.id)
    assert len(members) == 4
    areas = Counter(m.strata["quartier"] for m in members)
    assert 1 <= areas["bissy"] <= 3 and 1 <= areas["centre"] <= 3
    assert Counter(m.strata["age"] for m in members) == {"30-44": 2, "60-74": 2}
    report = text_of((await client.get(f"{url(first)}/{one.id}")).text)
    assert f"sortition-algorithms {LIBRARY_VERSION}" in report
    if algorithm == "maximin":
        assert "Maximin (Sortition Foundation)" in report
        assert len(one.probabilities) == 14
        assert sum(one.probabilities.values()) == pytest.approx(4, abs=1e-3)
        assert "selon les volontaires" in report
    else:
        assert "Pas à pas (Sortition Foundation)" in report
        assert one.probabilities == {}


async def test_sortition_library_infeasible_quotas_name_the_quota_and_change_nothing(
    client: httpx.AsyncClient,
) -> None:
    # Of the two Bissy volunteers only one is 30-44, and the quotas want two of each and
    # nobody 60-74: the counts alone allow it, the combination does not.
    definition = await volunteers(bissy=2, centre=6)
    council, _ = await make_council(0)
    await staff_client(client)
    page = await two_strata_page(client, council, definition)
    bounds = {
        "min__quartier__bissy": "2",
        "max__quartier__bissy": "2",
        "min__quartier__centre": "2",
        "max__quartier__centre": "2",
        "min__age__30-44": "4",
        "max__age__30-44": "4",
        "min__age__60-74": "0",
        "max__age__60-74": "0",
    }
    fields = two_strata_fields(page, definition, "maximin", bounds)
    response = await send_draw(client, url(council), fields)
    assert response.status_code == 422
    assert (
        'id="e-min:age:30-44">Aucun panel ne respecte tous les quotas :'
        " abaissez le minimum de « 30-44 » (age) à 3." in response.text
    )
    assert 'aria-describedby="e-min:age:30-44"' in response.text
    assert 'value="2026"' in response.text
    assert await Member.filter(council_id=council.id).count() == 0
    assert await SortitionDraw.filter(council_id=council.id).count() == 0
    english = await send_draw(client, url(council) + "?lang=en", fields)
    assert "lower the minimum of &#34;30-44&#34; (age) to 3." in english.text


async def test_sortition_without_the_library_says_how_to_install_it(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sortition_lib, "AVAILABLE", False)
    definition = await volunteers(bissy=3, centre=3)
    council, _ = await make_council(0)
    await staff_client(client)
    page = await plan_page(client, council, definition)
    assert 'installez-la avec pip install "parlons[sortition]"' in text_of(page)
    assert 'value="simple" aria-describedby="h-algorithm-simple" checked' in page
    assert 'value="maximin"' not in page
    # A form posted for the library's algorithm is refused, next to the field.
    response = await post_form(
        client, url(council), [*draw_fields(page, definition), ("algorithm", "maximin")]
    )
    assert response.status_code == 422
    assert 'id="e-algorithm">La bibliothèque sortition-algorithms' in response.text
    assert await SortitionDraw.filter(council_id=council.id).count() == 0
    # Parlons's own algorithm draws, and the record says which one did.
    response = await post_form(
        client, url(council), [*draw_fields(page, definition), ("algorithm", "simple")]
    )
    assert response.status_code == 303
    draw = await SortitionDraw.get(council_id=council.id)
    assert draw.algorithm == "simple"
    assert draw.software.startswith("parlons")
    report = text_of((await client.get(response.headers["location"])).text)
    assert "Algorithme simple de Parlons" in report
    english = await client.get(url(council), params={"lang": "en"})
    assert 'install it with pip install "parlons[sortition]"' in text_of(english.text)


async def test_sortition_large_pool_proposes_the_quick_draw_and_limits_maximin(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The limits are lowered so that a small pool stands for a large one.
    monkeypatch.setattr(sortition_form, "MAXIMIN_PROPOSED_POOL", 5)
    monkeypatch.setattr(sortition_form, "MAXIMIN_MAX_POOL", 5)
    definition = await volunteers(bissy=3, centre=3)
    council, _ = await make_council(0)
    await staff_client(client)
    page = await plan_page(client, council, definition)
    assert 'value="legacy" aria-describedby="h-algorithm-legacy" checked' in page
    fields = [*draw_fields(page, definition), ("algorithm", "maximin")]
    response = await send_draw(client, url(council), fields)
    assert response.status_code == 422
    assert 'id="e-algorithm">Maximin est limité à 5 volontaires' in response.text
    assert await SortitionDraw.filter(council_id=council.id).count() == 0


async def test_sortition_queued_draw_pages_for_unknown_and_failed_draws(
    client: httpx.AsyncClient,
) -> None:
    definition = await volunteers(bissy=4, centre=4)
    council, _ = await make_council(0)
    await staff_client(client)
    for key in ("pas-une-cle", "7d0c3b8e-9a51-4f0e-8a43-3a7f43a0b111"):
        assert (await client.get(f"{url(council)}/queued/{key}")).status_code == 404
    page = await plan_page(client, council, definition)
    fields = [*draw_fields(page, definition), ("algorithm", "maximin")]
    key = field_value(page, "key")
    # A queued draw whose worker broke down (recorded as the queue records it): the staff
    # get their form back, with a new key, and an explanation.
    async with connection() as conn:
        await conn.execute(
            "INSERT INTO jobs (kind, payload, state, progress, error, created_at)"
            " VALUES ($1, $2::jsonb, 'failed', 0, 'boom', now())",
            sortition_domain.DRAW_JOB,
            json.dumps(
                {
                    "council": council.id,
                    "key": key,
                    "actor": "x",
                    "command": sortition_domain.command_payload(
                        draw_command({k: [v] for k, v in fields})
                    ),
                }
            ),
        )
    failed = await client.get(f"{url(council)}/queued/{key}")
    assert failed.status_code == 422
    assert "Le tirage n'a pas pu se faire" in text_of(failed.text)
    assert field_value(failed.text, "key") != key
    assert await SortitionDraw.filter(council_id=council.id).count() == 0


async def test_sortition_pool_leaves_out_volunteers_without_a_usable_contact(
    client: httpx.AsyncClient,
) -> None:
    definition = await volunteers(bissy=4, centre=4)
    contacts = ["", "pas de contact", "06 12 34 56 78", "  v99@example.org  ", "awa@"]
    await load_responses(
        definition,
        [
            {
                "key": str(uuid.uuid4()),
                "submitted_at": "2026-10-21T10:00:00+00:00",
                "answers": {"quartier": "bissy", "age": "30-44", "conseil": "yes", "contact": c},
            }
            for c in contacts
        ]
        + [
            {
                "key": str(uuid.uuid4()),
                "submitted_at": "2026-10-21T10:00:00+00:00",
                "answers": {"quartier": "centre", "age": "30-44", "conseil": "yes"},
            }
        ],
    )
    council, _ = await make_council(0)
    await staff_client(client)
    page = await plan_page(client, council, definition)
    # 8 reachable volunteers, plus the phone number and the padded address: 10 in the pool.
    assert "10 volontaires pas encore tirés au sort" in text_of(page)
    assert (
        "4 volontaires laissés de côté faute d'un contact utilisable (adresse e-mail ou numéro"
        " de téléphone valide)" in text_of(page)
    )
    assert input_value(page, "max:quartier:bissy") != ""
    fields = draw_fields(page, definition)
    fields = [(k, "10" if k == "size" else v) for k, v in fields]
    fields = [(k, "10" if k.startswith("max:") else v) for k, v in fields]
    response = await send_draw(client, url(council), fields)
    assert response.status_code == 303, text_of(response.text)[:400]
    members = await Member.filter(council_id=council.id)
    assert len(members) == 10
    assert all(m.email or m.phone for m in members)
    assert sorted(m.phone for m in members if m.phone) == ["06 12 34 56 78"]
    report = text_of((await client.get(response.headers["location"])).text)
    assert "sans compter 4 volontaires sans contact utilisable" in report


async def test_sortition_members_listed_by_label_in_natural_order(
    client: httpx.AsyncClient,
) -> None:
    definition = await volunteers(bissy=6, centre=6)
    council, _ = await make_council(0)
    await staff_client(client)
    params = [("survey", definition.slug), ("question", "conseil"), ("size", "11")]
    params += [("strata", "quartier"), ("strata", "age")]
    page = (await client.get(url(council), params=params)).text
    fields = [
        ("csrf", field_value(page, "csrf")),
        ("key", field_value(page, "key")),
        ("survey", definition.slug),
        ("question", "conseil"),
        ("size", "11"),
        ("strata", "quartier"),
        ("strata", "age"),
        ("seed", "99"),
        ("algorithm", "legacy" if sortition_lib.AVAILABLE else "simple"),
    ]
    fields += [
        (name, "0" if name.startswith("min:") else "11")
        for name in re.findall(r'name="((?:min|max):[^"]+)"', page)
    ]
    response = await send_draw(client, url(council), fields)
    assert response.status_code == 303, text_of(response.text)[:400]
    listing = await client.get(f"/staff/councils/{council.id}")
    names = re.findall(r'<th scope="row">(Volontaire n° \d+)', listing.text)
    assert names == [f"Volontaire n° {n}" for n in range(1, 12)]
    text = text_of(listing.text)
    assert "Bissy" in text and "Centre-ville" in text
    assert "30 à 44 ans" in text and "60 à 74 ans" in text
    assert "bissy" not in text and "60-74" not in text and "age =" not in text
    english = text_of((await client.get(f"/staff/councils/{council.id}?lang=en")).text)
    assert "Town centre" in english and "60 to 74" in english


async def test_sortition_survey_without_a_contact_question_says_nobody_can_be_reached(
    client: httpx.AsyncClient,
) -> None:
    data = demo_definition()
    for section in data["sections"]:
        section["questions"] = [q for q in section["questions"] if q["kind"] != "contact"]
    await create_survey_from_definition(data)
    definition = await get_definition(data["slug"])
    await load_responses(
        definition,
        [
            {
                "key": str(uuid.uuid4()),
                "submitted_at": "2026-10-21T10:00:00+00:00",
                "answers": {"quartier": "bissy", "age": "30-44", "conseil": "yes"},
            }
        ],
    )
    council, _ = await make_council(0)
    await staff_client(client)
    page = text_of(await plan_page(client, council, definition))
    assert "0 volontaire pas encore tiré au sort" in page
    assert (
        "Ce questionnaire ne demande pas de contact : aucun volontaire ne pourrait être joint"
        in page
    )


def test_sortition_form_read_into_a_typed_command() -> None:
    key = uuid.uuid4()
    command = draw_command(
        {
            "survey": [" enquete "],
            "size": ["4"],
            "seed": ["-5"],
            "strata": ["quartier", "age"],
            "min:quartier:bissy": ["1"],
            "max:quartier:bissy": ["beaucoup"],
            "min:age:": ["²"],  # a digit to str.isdigit, not to int
            "max:age:": ["12345678901234567"],
            "key": [str(key)],
        }
    )
    assert (command.survey, command.size, command.seed, command.key) == ("enquete", 4, None, key)
    assert (command.question, command.algorithm, command.strata) == ("", "", ("quartier", "age"))
    assert command.quotas == {
        "quartier": {"bissy": sortition_form.Quota(1, None)},
        "age": {"": sortition_form.Quota(None, None)},
    }
    assert draw_command({"size": ["123456"], "key": ["pas-une-cle"]}).size is None
    assert draw_command({"key": ["pas-une-cle"]}).key is None
