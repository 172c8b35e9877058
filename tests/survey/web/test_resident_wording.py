"""What residents read around their answers: counts in plural-aware words, the "required"
notice only where it applies, and a way from the thank-you page to their answers."""

from __future__ import annotations

import httpx
import pytest

from survey.i18n import plural_forms, translate
from tests.factories import VALID_ANSWERS, make_survey
from tests.factories.resident import answer_all, post_step
from tests.htmlform import hidden_fields, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")


@pytest.mark.parametrize(
    ("language", "n", "expected"),
    [
        ("fr", 0, "Merci de corriger 0 réponse :"),
        ("fr", 1, "Merci de corriger 1 réponse :"),
        ("fr", 2, "Merci de corriger 2 réponses :"),
        ("en", 0, "Please correct 0 answers:"),
        ("en", 1, "Please correct 1 answer:"),
        ("en", 3, "Please correct 3 answers:"),
    ],
)
def test_translate_plural_follows_the_language_rule(language: str, n: int, expected: str) -> None:
    assert translate(language, "form.errors_title", n=n) == expected


def test_plural_messages_have_two_forms_in_both_languages() -> None:
    fr, en = plural_forms("fr"), plural_forms("en")
    assert fr and en
    for key in set(fr) | set(en):
        for forms in (fr.get(key), en.get(key)):
            if forms is not None:
                one, many = forms
                assert one.strip() and many.strip(), key
                assert "(s)" not in one + many, key
        # A sentence may read the same in one language ("il y en a {n}"), not in both.
        assert (
            len(set(fr.get(key, ())) | set(en.get(key, ()))) > 2 or key not in fr or key not in en
        ), key


async def test_error_summary_counts_one_answer_in_singular(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    page = (await client.get(f"/s/{definition.slug}")).text
    answers = {k: v for k, v in VALID_ANSWERS.items() if k != "q_age"}
    response = await post_step(client, definition, page, 0, answers)
    assert response.status_code == 422
    assert "Merci de corriger 1 réponse :" in text_of(response.text)
    both = await post_step(client, definition, page, 0, {})
    assert "Merci de corriger 2 réponses :" in text_of(both.text)


async def test_required_notice_only_on_pages_with_a_required_question(
    client: httpx.AsyncClient,
) -> None:
    definition = await make_survey()
    notice = translate("fr", "form.required_hint")
    page = (await client.get(f"/s/{definition.slug}")).text
    assert notice in text_of(page)
    page = (await post_step(client, definition, page, 0, VALID_ANSWERS)).text
    assert notice in text_of(page)
    # The third page (priorities, offers of help, hours) asks nothing that is required.
    page = (await post_step(client, definition, page, 1, VALID_ANSWERS)).text
    assert "Étape 3 sur 4" in text_of(page)
    assert notice not in text_of(page)
    assert "(obligatoire)" not in text_of(page)


async def test_thanks_page_leads_to_the_residents_answers(client: httpx.AsyncClient) -> None:
    definition = await make_survey()
    response, _ = await answer_all(client, definition, VALID_ANSWERS)
    receipt = response.headers["location"].split("/")[-1].split("?")[0]
    thanks = (await client.get(response.headers["location"])).text
    assert "Voir ou effacer mes réponses" in text_of(thanks)
    assert f'action="/s/{definition.slug}/ma-reponse"' in thanks
    fields = hidden_fields(thanks)
    assert ("receipt", receipt) in fields
    shown = await post_form(client, f"/s/{definition.slug}/ma-reponse", fields)
    assert shown.status_code == 200
    assert "Une crèche, il n'y a aucune place pour les petits" in text_of(shown.text)
