"""News of a follow-up by e-mail: opt-in with its own consent on the thank-you page, kept
apart from the answers, weekly digests through the job queue, one-click unsubscribe."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from survey.domain import followup_news, jobs, mail
from survey.domain.db import connection
from survey.domain.job_kinds import job_registry
from survey.settings import SmtpSettings
from tests.factories import PARIS, VALID_ANSWERS
from tests.factories.resident import answer_all
from tests.htmlform import field_value, post_form, text_of
from tests.survey.domain.test_followup import followed_survey, save, staff
from tests.survey.domain.test_mail import SENDER, smtp_server  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("orm")


async def sign_up(client: httpx.AsyncClient, slug: str, email: str, consent: bool = True):
    page = (await client.get(f"/s/{slug}/suivi/abonnement")).text
    fields = [("csrf", field_value(page, "csrf")), ("email", email)]
    if consent:
        fields.append(("consent", "1"))
    return await post_form(client, f"/s/{slug}/suivi/abonnement", fields)


async def stored(survey_id: int) -> list[dict]:
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT id, email, language, created_on FROM followup_subscribers"
            " WHERE survey_id = $1 ORDER BY email",
            survey_id,
        )
    return [dict(r) for r in rows]


async def test_thanks_page_offers_news_with_its_own_consent(client: httpx.AsyncClient) -> None:
    definition, _, _ = await followed_survey()
    response, _ = await answer_all(client, definition, VALID_ANSWERS)
    thanks = await client.get(response.headers["location"])
    assert "Recevoir des nouvelles du suivi" in text_of(thanks.text)
    assert f'action="/s/{definition.slug}/suivi/abonnement"' in thanks.text
    # The opt-in form carries no receipt: the address cannot be tied to the answer.
    form = thanks.text.split('action="/s/' + definition.slug + '/suivi/abonnement"')[1]
    assert 'name="receipt"' not in form.split("</form>")[0]
    refused = await sign_up(client, definition.slug, "marie@example.org", consent=False)
    assert refused.status_code == 422
    assert "Cochez la case" in text_of(refused.text)
    assert 'value="marie@example.org"' in refused.text
    bad = await sign_up(client, definition.slug, "marie(at)example")
    assert bad.status_code == 422
    assert "Cette adresse e-mail n'est pas valide" in text_of(bad.text)
    assert 'value="marie(at)example"' in bad.text
    assert await stored(definition.id) == []
    done = await sign_up(client, definition.slug, "marie@example.org")
    assert done.status_code == 303
    again = await sign_up(client, definition.slug, "marie@example.org")
    assert again.status_code == 303
    assert "C'est noté" in text_of((await client.get(done.headers["location"])).text)
    rows = await stored(definition.id)
    assert [(r["email"], r["language"]) for r in rows] == [("marie@example.org", "fr")]


async def test_subscribers_are_not_linkable_to_answers_after_the_daily_rewrite(
    client: httpx.AsyncClient,
) -> None:
    definition, _, _ = await followed_survey()
    addresses = [f"voisin{i:02d}@example.org" for i in range(20)]
    for address in addresses:
        assert (await sign_up(client, definition.slug, address)).status_code == 303
    async with connection() as conn:
        columns = await conn.fetch(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_name = 'followup_subscribers'"
        )
        # Nothing refers to a response, and no time finer than the day is kept.
        assert {c["column_name"] for c in columns} == {
            "id",
            "survey_id",
            "email",
            "language",
            "token",
            "created_on",
        }
        assert {c["data_type"] for c in columns if c["column_name"] == "created_on"} == {"date"}
        await conn.execute(
            "UPDATE followup_subscribers SET created_on = created_on - 1 WHERE survey_id = $1",
            definition.id,
        )
    moved = await followup_news.shuffle_subscribers(PARIS)
    assert moved >= 20
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT email, xmin::text AS xmin FROM followup_subscribers WHERE survey_id = $1"
            " ORDER BY ctid",
            definition.id,
        )
    # One transaction wrote them all, in an order that is not the order of signing up.
    assert len({r["xmin"] for r in rows}) == 1
    assert [r["email"] for r in rows] != addresses
    assert sorted(r["email"] for r in rows) == addresses


async def test_digest_is_sent_once_a_week_with_a_one_click_unsubscribe(
    client: httpx.AsyncClient,
    smtp_server,  # noqa: F811
) -> None:
    port, inbox = smtp_server
    registry = job_registry(SmtpSettings(host="127.0.0.1", port=port, sender=SENDER, tls="none"))
    definition, _, _ = await followed_survey()
    for address in ("marie@example.org", "john@example.org"):
        page = (
            await client.get(
                f"/s/{definition.slug}/suivi/abonnement"
                + ("?lang=en" if address.startswith("john") else "")
            )
        ).text
        await post_form(
            client,
            f"/s/{definition.slug}/suivi/abonnement",
            [("csrf", field_value(page, "csrf")), ("email", address), ("consent", "1")],
        )
    # Not published yet: nothing is due.
    assert await followup_news.queue_due_digests() == 0
    await staff(client)
    await save(client, definition.slug, "1", ["needs", "decisions", "actions"])
    async with connection() as conn:
        # The vote and the action came after the page was published.
        await conn.execute(
            "UPDATE followups SET published_at = now() - interval '1 day' WHERE survey_id = $1",
            definition.id,
        )
    assert await followup_news.queue_due_digests() == 2
    assert await followup_news.queue_due_digests() == 0  # at most one a week
    while await jobs.run_next(registry, [mail.NEWS_JOB], time_zone=PARIS) is not None:
        pass
    by_address = {to[0]: message for to, message in inbox.messages}
    assert set(by_address) == {"marie@example.org", "john@example.org"}
    french = by_address["marie@example.org"]
    body = french.get_content()
    assert french["Subject"].startswith("Suivi : ")
    assert "« Halte-garderie » l'emporte, approuvée sur 100 % des bulletins." in body
    assert "- Ouvrir une halte-garderie : En cours" in body
    assert f"http://testserver/s/{definition.slug}/suivi" in body
    assert "“Halte-garderie” wins" in by_address["john@example.org"].get_content()
    assert french.get_content_type() == "text/plain"
    assert french["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = french["List-Unsubscribe"].strip("<>")
    assert link in body
    path = link.removeprefix("http://testserver")
    page = await client.get(path)
    assert page.status_code == 200
    # A mail client's one-click POST: no cookie, no form token, the link is enough.
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as bare:
        gone = await bare.post(
            path,
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert gone.status_code == 200
    assert "C'est fait" in text_of(gone.text)
    assert [r["email"] for r in await stored(definition.id)] == ["john@example.org"]


async def test_unsubscribe_page_without_its_token_does_nothing(client: httpx.AsyncClient) -> None:
    definition, _, _ = await followed_survey()
    await sign_up(client, definition.slug, "marie@example.org")
    forged = await post_form(
        client, f"/s/{definition.slug}/suivi/desabonner/{uuid.uuid4().hex}", [("csrf", "x")]
    )
    assert forged.status_code == 403
    assert len(await stored(definition.id)) == 1


async def test_addresses_erased_when_the_follow_up_closes_or_retention_ends(
    client: httpx.AsyncClient,
) -> None:
    definition, _, _ = await followed_survey()
    await sign_up(client, definition.slug, "marie@example.org")
    async with connection() as conn:
        await conn.execute("UPDATE surveys SET retention_days = 30 WHERE id = $1", definition.id)
        await conn.execute(
            "UPDATE followup_subscribers SET created_on = $2 WHERE survey_id = $1",
            definition.id,
            dt.date.today() - dt.timedelta(days=31),
        )
    assert await followup_news.erase_expired_subscribers(PARIS) >= 1
    assert await stored(definition.id) == []
    await sign_up(client, definition.slug, "marie@example.org")
    await staff(client)
    page = await client.get(f"/staff/surveys/{definition.slug}/suivi")
    assert "(1 aujourd'hui)" in text_of(page.text)
    closed = await post_form(
        client,
        f"/staff/surveys/{definition.slug}/suivi/clore",
        [("csrf", field_value(page.text, "csrf"))],
    )
    assert closed.status_code == 303
    assert await stored(definition.id) == []


async def test_register_counts_news_addresses_and_the_daily_job_runs_each_step(
    client: httpx.AsyncClient,
) -> None:
    from survey.domain.privacy import processing_register

    definition, _, _ = await followed_survey()
    await sign_up(client, definition.slug, "marie@example.org")
    entry = next(e for e in await processing_register(PARIS) if e["survey"] == definition.slug)
    assert entry["followup_news_addresses"] == 1
    async with connection() as conn:
        await conn.execute(
            "UPDATE followup_subscribers SET created_on = created_on - 1 WHERE survey_id = $1",
            definition.id,
        )
        before = await conn.fetchval(
            "SELECT xmin::text FROM followup_subscribers WHERE survey_id = $1", definition.id
        )
        await conn.execute("DELETE FROM jobs WHERE kind = $1", followup_news.DAILY_KIND)
    await jobs.enqueue(followup_news.DAILY_KIND, {"day": dt.date.today().isoformat()})
    assert (
        await jobs.run_next(job_registry(None), [followup_news.DAILY_KIND], time_zone=PARIS)
        is not None
    )
    async with connection() as conn:
        after = await conn.fetchval(
            "SELECT xmin::text FROM followup_subscribers WHERE survey_id = $1", definition.id
        )
        # It queued the next day's run for itself.
        queued = await conn.fetchval(
            "SELECT count(*) FROM jobs WHERE kind = $1 AND state = 'queued'",
            followup_news.DAILY_KIND,
        )
    assert after != before  # rewritten by the daily step
    assert queued == 1
