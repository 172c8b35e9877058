"""Staff pages over HTTP: login, CSRF, role checks, exports."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest

from tests.factories import VALID_ANSWERS, make_survey
from tests.factories.resident import answer_all
from tests.factories.staff import PASSWORD, login, staff_user
from tests.htmlform import field_value, post_form

pytestmark = pytest.mark.usefixtures("orm")






async def test_staff_pages_send_anonymous_to_login(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    for path in (
        "/staff",
        f"/staff/surveys/{definition.slug}",
        f"/staff/surveys/{definition.slug}/export?format=csv",
    ):
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/staff/login")


async def test_login_wrong_password_is_refused_and_keeps_email(client: httpx.AsyncClient) -> None:
    await staff_user("wrong@example.org")
    response = await login(client, "wrong@example.org", "not the password")
    assert response.status_code == 401
    assert "E-mail ou mot de passe incorrect." in response.text
    assert 'value="wrong@example.org"' in response.text
    assert (await client.get("/staff")).status_code == 303


async def test_login_sets_httponly_samesite_cookie_and_renews_session(
    client: httpx.AsyncClient,
) -> None:
    await staff_user("cookie@example.org")
    await client.get("/staff/login")
    before = client.cookies.get("parlons_session")
    response = await login(client, "cookie@example.org")
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert client.cookies.get("parlons_session") != before
    assert (await client.get("/staff")).status_code == 200


async def test_login_without_csrf_is_forbidden(client: httpx.AsyncClient) -> None:
    await staff_user("csrf@example.org")
    await client.get("/staff/login")
    response = await post_form(
        client, "/staff/login", [("email", "csrf@example.org"), ("password", PASSWORD)]
    )
    assert response.status_code == 403


async def test_status_change_needs_csrf(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    await staff_user("status@example.org")
    await login(client, "status@example.org")
    forged = await post_form(
        client, f"/staff/surveys/{definition.slug}/status", [("status", "closed")]
    )
    assert forged.status_code == 403
    page = (await client.get("/staff")).text
    ok = await post_form(
        client,
        f"/staff/surveys/{definition.slug}/status",
        [("csrf", field_value(page, "csrf")), ("status", "closed")],
    )
    assert ok.status_code == 303
    assert (await client.get(f"/s/{definition.slug}")).status_code == 410


async def test_logout_ends_the_session(client: httpx.AsyncClient) -> None:
    await staff_user("logout@example.org")
    await login(client, "logout@example.org")
    page = (await client.get("/staff")).text
    response = await post_form(client, "/staff/logout", [("csrf", field_value(page, "csrf"))])
    assert response.status_code == 303
    assert (await client.get("/staff")).status_code == 303


async def test_login_next_does_not_redirect_off_site(client: httpx.AsyncClient) -> None:
    await staff_user("next@example.org")
    page = (await client.get("/staff/login")).text
    response = await post_form(
        client,
        "/staff/login",
        [
            ("csrf", field_value(page, "csrf")),
            ("next", "//evil.example/"),
            ("email", "next@example.org"),
            ("password", PASSWORD),
        ],
    )
    assert response.headers["location"] == "/staff"


async def test_responses_page_shows_answers_escaped(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    hostile = "<script>alert('x')</script>"
    await answer_all(client, definition, {**VALID_ANSWERS, "q_manque": [hostile]})
    await staff_user("list@example.org")
    await login(client, "list@example.org")
    page = (await client.get(f"/staff/surveys/{definition.slug}")).text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert hostile not in page
    assert "Jardin partagé" in page
    assert "1 réponse" in page


async def test_export_csv_neutralises_formulas(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    formulas = ['=HYPERLINK("http://x")', "+33 6 00", "-2+3", "@SUM(A1)"]
    for text in formulas:
        await answer_all(client, definition, {**VALID_ANSWERS, "q_manque": [text]})
    await staff_user("csv@example.org")
    await login(client, "csv@example.org")
    response = await client.get(f"/staff/surveys/{definition.slug}/export?format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(rows) == len(formulas)
    assert sorted(r["manque"] for r in rows) == sorted("'" + f for f in formulas)
    assert all(r["quartier"] == "Bissy" for r in rows)
    assert rows[0]["priorites"] == (
        "Garde et activités des enfants > Se déplacer > "
        "Accès aux soins > Lien social et isolement > Logement"
    )


async def test_export_json_is_complete(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    await answer_all(client, definition, VALID_ANSWERS)
    await staff_user("json@example.org")
    await login(client, "json@example.org")
    response = await client.get(f"/staff/surveys/{definition.slug}/export?format=json")
    data = json.loads(response.text)
    assert len(data) == 1
    assert data[0]["answers"]["contact"] == "marie.dupont@example.org"
    assert data[0]["channel"] == "web"


async def test_responses_page_masks_contact_details_typed_in_free_text(
    client: httpx.AsyncClient,
) -> None:
    definition = await make_survey()
    text = "Appelez-moi au 06 12 34 56 78 ou jean.martin@example.org pour la crèche"
    await answer_all(client, definition, {**VALID_ANSWERS, "q_manque": [text]})
    await staff_user("mask@example.org")
    await login(client, "mask@example.org")
    page = (await client.get(f"/staff/surveys/{definition.slug}")).text
    assert "06 12 34 56 78" not in page
    assert "jean.martin@example.org" not in page
    assert "pour la crèche" in page
    # The contact question collects a contact on purpose: shown as given.
    assert "marie.dupont@example.org" in page


async def test_survey_list_shows_a_survey_past_its_closing_date_as_closed(
    client: httpx.AsyncClient,
) -> None:
    import datetime as dt

    from survey.models import Survey

    definition = await make_survey()
    await Survey.filter(id=definition.id).update(
        closes_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    )
    await staff_user("scheduled@example.org")
    await login(client, "scheduled@example.org")
    page = (await client.get("/staff")).text
    row = page[page.index(f"/s/{definition.slug}") :]
    row = row[: row.index("</tr>")]
    assert "Fermé" in row and "selon les dates prévues" in row
