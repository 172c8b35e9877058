"""The builder's edit pages as a newcomer sees them: only the fields of the question's type,
headings in words, condition answers picked from the question's choices, exclusive choices
and date limits that the residents' pages enforce."""

from __future__ import annotations

import datetime as dt
import gzip
import re

import httpx
import pytest

from survey import localtime
from survey.domain import builder_questions
from survey.domain.builder import EditorQuestion, Texts
from survey.domain.builder_questions import TypedChoice
from survey.domain.definitions import get_definition
from survey.domain.forms import TODAY, FieldError
from survey.domain.staff_forms import Unread
from survey.enums import QuestionKind
from survey.web import builder_forms
from tests.factories.staff import log_in, send
from tests.htmlform import hidden_fields, post_form, text_of
from tests.survey.domain.test_builder import (
    add_question,
    create_blank,
    question_fields,
    section_ids,
)

pytestmark = pytest.mark.usefixtures("orm")


def _names(page: str) -> set[str]:
    """The names of the fields a person can fill in (hidden ones left out)."""
    found = set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', page))
    return found - {name for name, _ in hidden_fields(page)}


def _h1(page: str) -> str:
    return " ".join(text_of(re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)).split())  # type: ignore[union-attr]


async def _survey_with(client: httpx.AsyncClient, *kinds: tuple[str, str]) -> tuple[str, list[int]]:
    slug = await create_blank(client)
    first = section_ids((await client.get(f"/staff/surveys/{slug}/edit")).text)[0]
    ids = [await add_question(client, slug, first, kind, text) for kind, text in kinds]
    return slug, ids


async def test_builder_forms_show_only_the_fields_of_each_type(client: httpx.AsyncClient) -> None:
    await log_in(client)
    slug, (yes_no, scale, multiple, date) = await _survey_with(
        client,
        ("yes_no", "Avez-vous une voiture ?"),
        ("scale", "Votre satisfaction"),
        ("multiple", "Vos moyens de transport"),
        ("date", "Depuis quand habitez-vous ici ?"),
    )
    base = f"/staff/surveys/{slug}/questions"
    page = (await client.get(f"{base}/{yes_no}")).text
    common = {"kind", "text_fr", "text_en", "help_fr", "help_en", "required", "personal_data"}
    assert _names(page) == common | {"code"}
    assert _h1(page) == "Avez-vous une voiture ?"
    page = (await client.get(f"{base}/{scale}")).text
    assert _names(page) - common - {"code", "cond_question"} == {
        "min",
        "max",
        "min_label_fr",
        "min_label_en",
        "max_label_fr",
        "max_label_en",
    }
    page = (await client.get(f"{base}/{multiple}")).text
    assert _names(page) - common - {"code", "cond_question"} == {
        "choices",
        "allow_other",
        "exclusive__choix_1",
        "exclusive__choix_2",
    }
    page = (await client.get(f"{base}/{date}")).text
    assert _names(page) - common - {"code", "cond_question"} == {"min", "max"}
    assert "Date la plus récente" in text_of(page)


async def test_builder_forms_changing_the_type_shows_its_fields_and_keeps_the_typed_text(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    slug, (question,) = await _survey_with(client, ("yes_no", "Avez-vous une voiture ?"))
    url = f"/staff/surveys/{slug}/questions/{question}"
    fields = question_fields(kind="multiple", text_fr="Vos voitures, vélos, motos ?")
    response = await send(client, url, [*fields, ("shown_kind", "yes_no")])
    assert response.status_code == 200
    assert "Voici les réglages du type choisi" in text_of(response.text)
    assert {"choices", "allow_other"} <= _names(response.text)
    assert "Vos voitures, vélos, motos ?</textarea>" in response.text
    assert 'value="multiple" selected' in response.text
    assert (await get_definition(slug)).question("avez_vous_une_voiture").kind == "yes_no"
    saved = await send(
        client,
        url,
        [
            *question_fields(
                kind="multiple",
                text_fr="Vos voitures, vélos, motos ?",
                code="avez_vous_une_voiture",
                choices="Voiture\nVélo\nMoto",
            ),
            ("shown_kind", "multiple"),
        ],
    )
    assert saved.status_code == 303, text_of(saved.text)
    assert (await get_definition(slug)).question("avez_vous_une_voiture").kind == "multiple"


async def test_builder_forms_page_headings_say_page_n_once(client: httpx.AsyncClient) -> None:
    await log_in(client)
    slug = await create_blank(client)
    edit = (await client.get(f"/staff/surveys/{slug}/edit")).text
    section = section_ids(edit)[0]
    heading = re.search(rf'<h3 id="s-{section}-title">(.*?)</h3>', edit).group(1)  # type: ignore[union-attr]
    assert heading == "Page 1"
    assert _h1((await client.get(f"/staff/surveys/{slug}/sections/{section}")).text) == "Page 1"


async def test_builder_forms_condition_answers_are_picked_among_the_choices(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    slug, (mode, later) = await _survey_with(
        client, ("single", "Comment venez-vous ?"), ("short_text", "Où vous garez-vous ?")
    )
    await send(
        client,
        f"/staff/surveys/{slug}/questions/{mode}",
        question_fields(
            kind="single", code="mode", text_fr="Comment venez-vous ?", choices="Voiture\nBus\nVélo"
        ),
    )
    url = f"/staff/surveys/{slug}/questions/{later}"
    page = (await client.get(url)).text
    assert "cond_value" not in _names(page)
    fields = question_fields(text_fr="Où vous garez-vous ?", code="garage", cond_question="mode")
    shown = await send(client, url, [*fields, ("shown_cond_question", "")])
    assert shown.status_code == 200
    assert "Choisissez maintenant la réponse attendue" in text_of(shown.text)
    boxes = re.findall(r'name="cond_value__(\w+)" value="1"> (\w+)', shown.text)
    assert boxes == [("voiture", "Voiture"), ("bus", "Bus"), ("velo", "Vélo")]
    saved = await send(
        client,
        url,
        [
            *fields,
            ("shown_cond_question", "mode"),
            ("cond_value__voiture", "1"),
            ("cond_value__velo", "1"),
        ],
    )
    assert saved.status_code == 303, text_of(saved.text)
    condition = (await get_definition(slug)).question("garage").settings["show_if"]
    assert condition == {"question": "mode", "op": "one_of", "values": ["voiture", "velo"]}
    page = (await client.get(url)).text
    assert re.findall(r'name="cond_value__(\w+)" value="1" checked', page) == ["voiture", "velo"]


async def test_builder_forms_condition_number_is_checked_next_to_its_field(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    slug, (count, later) = await _survey_with(
        client, ("number", "Combien d'enfants ?"), ("short_text", "Leur école ?")
    )
    await send(
        client,
        f"/staff/surveys/{slug}/questions/{count}",
        question_fields(kind="number", code="enfants", text_fr="Combien d'enfants ?"),
    )
    fields = question_fields(
        text_fr="Leur école ?", code="ecole", cond_question="enfants", cond_value="deux"
    )
    bad = await send(
        client,
        f"/staff/surveys/{slug}/questions/{later}",
        [*fields, ("shown_cond_question", "enfants")],
    )
    assert bad.status_code == 422
    assert re.search(r'id="e-cond_value">Écrivez un nombre', bad.text)
    assert 'name="cond_value" type="text" value="deux"' in bad.text


async def _publish(client: httpx.AsyncClient, slug: str) -> None:
    response = await send(
        client, f"/staff/surveys/{slug}/publication", [("action", "publish"), ("confirm", "1")]
    )
    assert response.status_code == 303, text_of(response.text)


async def _resident_post(client: httpx.AsyncClient, slug: str, fields: list[tuple[str, str]]):
    page = (await client.get(f"/s/{slug}")).text
    return await post_form(client, f"/s/{slug}", hidden_fields(page) + fields)


async def test_builder_forms_exclusive_choice_is_refused_with_others_answers_kept(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    slug, (question,) = await _survey_with(client, ("multiple", "Vos moyens de transport"))
    url = f"/staff/surveys/{slug}/questions/{question}"
    saved = await send(
        client,
        url,
        [
            *question_fields(
                kind="multiple",
                code="transport",
                text_fr="Vos moyens de transport",
                text_en="Your means of transport",
                choices="Vélo | Bike\nBus | Bus\nAucun | None | aucun",
            ),
            ("exclusive__aucun", "1"),
        ],
    )
    assert saved.status_code == 303, text_of(saved.text)
    assert 'name="exclusive__aucun" value="1" checked' in (await client.get(url)).text
    edit = text_of((await client.get(f"/staff/surveys/{slug}/edit")).text)
    assert "choix exclusif : Aucun" in edit
    await _publish(client, slug)
    refused = await _resident_post(
        client, slug, [("q_transport", "velo"), ("q_transport", "aucun")]
    )
    assert refused.status_code == 422
    error = re.search(r'<p class="error" id="e-transport">(.*?)</p>', refused.text)
    assert error is not None
    assert text_of(error.group(1)) == (
        "« Aucun » ne peut pas être coché avec une autre réponse : décochez l'un ou l'autre."
    )
    assert re.findall(r'value="(\w+)" checked', refused.text) == ["velo", "aucun"]
    # Still light for a phone: the page and what it loads (style sheet, the optional script).
    loaded = re.findall(r'(?:<link[^>]+href|<script[^>]+src)="(/static/[^"?]+)', refused.text)
    assert "/static/js/builder.js" in loaded
    weight = len(gzip.compress(refused.content))
    for path in loaded:
        weight += len(gzip.compress((await client.get(path)).content))
    assert weight <= 14 * 1024, weight
    english = await _resident_post(
        client, slug, [("q_transport", "bus"), ("q_transport", "aucun"), ("lang", "en")]
    )
    assert "“None” cannot be ticked with another answer" in text_of(english.text)
    alone = await _resident_post(client, slug, [("q_transport", "aucun")])
    assert alone.status_code == 303


async def test_builder_forms_date_limits_are_enforced_in_the_residents_language(
    client: httpx.AsyncClient,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    await log_in(client)
    slug, (question,) = await _survey_with(client, ("date", "Depuis quand habitez-vous ici ?"))
    url = f"/staff/surveys/{slug}/questions/{question}"
    fields = question_fields(kind="date", code="arrivee", text_fr="Depuis quand habitez-vous ici ?")
    bad = await send(client, url, [*fields, ("min", "hier soir"), ("max", "")])
    assert bad.status_code == 422
    assert "Écrivez une date (31/12/2026) ou « aujourd'hui »." in text_of(bad.text)
    assert 'value="hier soir"' in bad.text
    fields = [(k, v) for k, v in fields if k not in ("min", "max")]
    saved = await send(client, url, [*fields, ("min", "01/01/1950"), ("max", "aujourd'hui")])
    assert saved.status_code == 303, text_of(saved.text)
    stored = (await get_definition(slug)).question("arrivee").settings
    assert (stored["min"], stored["max"]) == ("1950-01-01", "today")
    assert 'name="max" type="text" value="aujourd&#39;hui"' in (await client.get(url)).text
    await _publish(client, slug)
    late = await _resident_post(client, slug, [("q_arrivee", "2031-01-01")])
    assert late.status_code == 422
    assert "La date doit être au plus tard aujourd'hui." in text_of(late.text)
    assert 'value="2031-01-01"' in late.text
    early = await _resident_post(client, slug, [("q_arrivee", "1940-05-01")])
    assert "La date doit être au plus tôt le 01/01/1950." in text_of(early.text)
    english = await _resident_post(client, slug, [("q_arrivee", "1940-05-01"), ("lang", "en")])
    assert "The date must be 1950-01-01 or later." in text_of(english.text)
    today = localtime.today(settings.time_zone)
    ok = await _resident_post(client, slug, [("q_arrivee", today.isoformat())])
    assert ok.status_code == 303


def test_builder_forms_read_choice_lines_boxes_and_condition() -> None:
    form = builder_forms.question(
        {
            "kind": "multiple",
            "text_fr": "Modes ?",
            "text_en": "Ways?",
            "code": "modes",
            "required": "1",
            "choices": "Bus | Bus\n\n  | ignored\nAucun | None | AUCUN",
            "exclusive__aucun": "1",
            "exclusive__bus": "",
            "offers": "1",
            "analyse": "0",
            "cond_question": "car",
            "cond_value__yes": "1",
            "cond_value": "Oui; non",
        }
    )
    assert (form.kind, form.text, form.code) == (
        QuestionKind.MULTIPLE,
        Texts("Modes ?", "Ways?"),
        "modes",
    )
    assert (form.required, form.personal_data, form.analyse) == (True, False, False)
    assert form.choices == (
        TypedChoice(Texts("Bus", "Bus")),
        TypedChoice(Texts("Aucun", "None"), "AUCUN"),
    )
    assert (form.exclusive, form.marks) == (frozenset({"aucun"}), frozenset({"offers"}))
    assert form.condition.question == "car"
    assert form.condition.ticked == frozenset({"yes"})
    assert form.condition.answers == ("Oui", " non")
    assert isinstance(form.condition.number, Unread)
    assert builder_forms.question({"kind": "sideways"}).kind is None


def test_builder_forms_read_numbers_and_days() -> None:
    form = builder_forms.question({"kind": "number", "min": " 1,5 ", "max": "12"})
    assert (form.minimum, form.maximum) == (1.5, 12)
    assert (form.earliest, form.latest) == (Unread(" 1,5 "), Unread("12"))
    dated = builder_forms.question({"kind": "date", "min": "31/12/2026", "max": "Aujourd'hui"})
    assert (dated.earliest, dated.latest) == (dt.date(2026, 12, 31), TODAY)
    assert builder_forms.question({"min": "", "max": "inf"}).maximum == Unread("inf")
    condition = builder_forms.condition({"cond_min": "2", "cond_max": "2,0", "cond_value": "4"})
    assert (condition.low, condition.high, condition.number) == (2, 2.0, 4)
    assert isinstance(condition.high, float)
    settings = builder_forms.survey_settings({"resume_days": "", "retention_days": "un an"})
    assert (settings.access_mode, settings.resume_days) == ("open", 30)
    assert settings.retention_days == Unread("un an")


def test_builder_forms_put_domain_errors_next_to_their_fields() -> None:
    missing = FieldError("builder.text_missing", {})
    number = FieldError("error.number", {})
    errors = {
        "text.fr": missing,
        "minimum": number,
        "latest": number,
        "condition.value": missing,
        "condition.low": number,
        "code": missing,
    }
    assert builder_forms.field_errors(errors) == {
        "text_fr": missing,
        "min": number,
        "max": number,
        "cond_value": missing,
        "cond_min": number,
        "code": missing,
    }


def test_builder_forms_values_of_a_question_read_back_the_same() -> None:
    stored = EditorQuestion(
        id=1,
        section_id=1,
        code="modes",
        kind="multiple",
        text={"fr": "Modes ?", "en": "Ways?"},
        help={"fr": "", "en": ""},
        required=True,
        personal_data=False,
        settings={
            "choices": [
                {"code": "bus", "fr": "Bus", "en": "Bus"},
                {"code": "aucun", "fr": "Aucun", "en": "None"},
            ],
            "exclusive": ["aucun"],
            "allow_other": True,
            "show_if": {"question": "car", "op": "equals", "value": "yes"},
        },
    )
    form = builder_forms.question(builder_forms.question_values(stored))
    assert builder_questions.choices_from(form.choices) == (stored.settings["choices"], None)
    assert (form.exclusive, form.allow_other, form.required) == (frozenset({"aucun"}), True, True)
    assert (form.condition.question, form.condition.ticked) == ("car", frozenset({"yes"}))
