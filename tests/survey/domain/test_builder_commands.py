"""The builder's verbs called with typed commands, as the web builds them from its forms."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from survey.domain.builder import (
    Invalid,
    NewSurvey,
    SurveySettings,
    Texts,
    create_blank_survey,
    get_editor,
    update_survey,
)
from survey.domain.builder_conditions import ConditionForm
from survey.domain.builder_questions import (
    NewQuestion,
    QuestionForm,
    TypedChoice,
    add_question,
    update_question,
)
from survey.domain.builder_sections import SectionForm, update_section
from survey.domain.forms import TODAY
from survey.domain.staff_forms import Unread
from survey.enums import QuestionKind
from survey.errors import NotFound
from tests.factories import VALID_ANSWERS, make_survey
from tests.factories.resident import answer_all
from tests.factories.staff import new_slug

pytestmark = pytest.mark.usefixtures("orm")


async def test_create_blank_survey_refuses_a_bad_slug_and_no_french_title() -> None:
    slug = new_slug()
    with pytest.raises(Invalid) as refused:
        await create_blank_survey(NewSurvey(f"{slug} !", Texts("  ", "Street party")))
    assert {k: e.key for k, e in refused.value.errors.items()} == {
        "slug": "builder.slug_invalid",
        "title.fr": "builder.title_missing",
    }
    with pytest.raises(NotFound):
        await get_editor(f"{slug} !")


async def test_create_blank_survey_trims_and_refuses_a_taken_slug() -> None:
    slug = new_slug()
    made = await create_blank_survey(NewSurvey(f" {slug.upper()} ", Texts(" Fête ", " Party ")))
    assert made == slug
    editor = await get_editor(slug)
    assert editor.title == {"fr": "Fête", "en": "Party"}
    assert [s.title["fr"] for s in editor.sections] == ["Page 1"]
    with pytest.raises(Invalid) as refused:
        await create_blank_survey(NewSurvey(slug, Texts("Autre")))
    assert refused.value.errors["slug"].key == "builder.slug_taken"
    assert refused.value.errors["slug"].params == {"slug": slug}


async def test_update_survey_refuses_each_bad_setting_and_keeps_the_survey() -> None:
    slug = await create_blank_survey(NewSurvey(new_slug(), Texts("Fête")))
    before = await get_editor(slug)
    with pytest.raises(Invalid) as refused:
        await update_survey(
            slug,
            SurveySettings(
                Texts("", "Party"),
                access_mode="everyone",
                resume_days=Unread("trente"),
                retention_days=0,
            ),
        )
    assert {k: e.key for k, e in refused.value.errors.items()} == {
        "title.fr": "builder.title_missing",
        "access_mode": "builder.access_invalid",
        "resume_days": "builder.resume_days_invalid",
        "retention_days": "error.retention_invalid",
    }
    with pytest.raises(Invalid) as refused:
        await update_survey(
            slug, SurveySettings(Texts("Fête"), resume_days=366, retention_days=Unread("1 an"))
        )
    assert sorted(refused.value.errors) == ["resume_days", "retention_days"]
    after = await get_editor(slug)
    assert (after.version, after.title, after.resume_days) == (
        before.version,
        before.title,
        before.resume_days,
    )


async def test_update_survey_saves_trimmed_texts_and_numbers() -> None:
    slug = await create_blank_survey(NewSurvey(new_slug(), Texts("Fête")))
    editor = await update_survey(
        slug,
        SurveySettings(
            Texts(" Fête des voisins ", "Neighbours' day"),
            description=Texts("x" * 6000, ""),
            consent=Texts("Vos réponses restent anonymes.", "Anonymous."),
            access_mode="open",
            resume_days=7,
            retention_days=365,
        ),
    )
    assert editor.title == {"fr": "Fête des voisins", "en": "Neighbours' day"}
    assert len(editor.description["fr"]) == 5000
    assert editor.consent["en"] == "Anonymous."
    assert (editor.resume_days, editor.retention_days) == (7, 365)
    kept = await update_survey(slug, SurveySettings(Texts("Fête")))
    assert (kept.resume_days, kept.retention_days) == (30, None)


def _keys(invalid: Invalid) -> dict[str, str]:
    return {name: error.key for name, error in invalid.errors.items()}


async def test_update_section_refuses_a_later_question_and_no_title() -> None:
    slug = (await make_survey(slug=new_slug())).slug
    before = await get_editor(slug)
    second = before.sections[1].id
    with pytest.raises(Invalid) as refused:
        await update_section(
            slug,
            second,
            SectionForm(
                Texts(" ", "Life"), condition=ConditionForm("conseil", ticked=frozenset({"yes"}))
            ),
        )
    assert _keys(refused.value) == {
        "title.fr": "builder.title_missing",
        "condition.question": "builder.condition_pick",
    }
    after = await get_editor(slug)
    assert (after.version, after.section(second).title) == (
        before.version,
        before.section(second).title,
    )


async def test_update_section_condition_on_choices_ticked_or_typed() -> None:
    slug = (await make_survey(slug=new_slug())).slug
    second = (await get_editor(slug)).sections[1].id
    ticked = ConditionForm("foyer", ticked=frozenset({"monoparental", "famille"}))
    editor = await update_section(slug, second, SectionForm(Texts("Vie"), condition=ticked))
    assert editor.section(second).condition == {
        "question": "foyer",
        "op": "one_of",
        "values": ["famille", "monoparental"],
    }
    typed = ConditionForm("foyer", answers=(" Famille ", ""))
    editor = await update_section(slug, second, SectionForm(Texts("Vie"), condition=typed))
    assert editor.section(second).condition == {
        "question": "foyer",
        "op": "equals",
        "value": "famille",
    }
    unknown = ConditionForm("foyer", answers=("Famille", "Tribu"))
    with pytest.raises(Invalid) as refused:
        await update_section(slug, second, SectionForm(Texts("Vie"), condition=unknown))
    assert _keys(refused.value) == {"condition.value": "builder.condition_value_unknown"}
    assert (await get_editor(slug)).section(second).condition == editor.section(second).condition
    cleared = await update_section(slug, second, SectionForm(Texts("Vie")))
    assert cleared.section(second).condition is None


@pytest.mark.parametrize(
    ("condition", "errors"),
    [
        (ConditionForm("heures", "above", number=3), {"condition.op": "builder.condition_op_pick"}),
        (ConditionForm("heures", "equals"), {"condition.value": "builder.condition_value_missing"}),
        (
            ConditionForm("heures", "equals", number=Unread("trois")),
            {"condition.value": "error.number"},
        ),
        (ConditionForm("heures", "between"), {"condition.low": "builder.condition_bounds"}),
        (
            ConditionForm("heures", "between", low=Unread("un"), high=Unread("x")),
            {"condition.low": "error.number", "condition.high": "error.number"},
        ),
    ],
)
async def test_update_section_condition_on_a_number_needs_a_readable_number(
    condition: ConditionForm, errors: dict[str, str]
) -> None:
    slug = (await make_survey(slug=new_slug())).slug
    last = (await get_editor(slug)).sections[3].id
    with pytest.raises(Invalid) as refused:
        await update_section(slug, last, SectionForm(Texts("Contact"), condition=condition))
    assert _keys(refused.value) == errors
    assert (await get_editor(slug)).section(last).condition is None


async def test_update_section_condition_on_a_number_is_saved() -> None:
    slug = (await make_survey(slug=new_slug())).slug
    last = (await get_editor(slug)).sections[3].id
    between = ConditionForm("heures", "between", low=2, high=7.5)
    editor = await update_section(slug, last, SectionForm(Texts("Contact"), condition=between))
    assert editor.section(last).condition == {
        "question": "heures",
        "op": "between",
        "min": 2,
        "max": 7.5,
    }
    equals = ConditionForm("heures", "equals", number=4)
    editor = await update_section(slug, last, SectionForm(Texts("Contact"), condition=equals))
    assert editor.section(last).condition == {"question": "heures", "op": "equals", "value": 4}


async def _draft_with_question(kind: QuestionKind) -> tuple[str, int]:
    slug = await create_blank_survey(NewSurvey(new_slug(), Texts("Fête")))
    section = (await get_editor(slug)).sections[0].id
    return slug, await add_question(slug, section, NewQuestion(kind, Texts("Votre avis ?")))


async def test_add_question_needs_a_kind_then_a_french_text() -> None:
    slug = await create_blank_survey(NewSurvey(new_slug(), Texts("Fête")))
    section = (await get_editor(slug)).sections[0].id
    with pytest.raises(Invalid) as refused:
        await add_question(slug, section, NewQuestion(None, Texts("")))
    assert _keys(refused.value) == {"kind": "builder.kind_pick"}
    with pytest.raises(Invalid) as refused:
        await add_question(slug, section, NewQuestion(QuestionKind.SINGLE, Texts(" ", "Why?")))
    assert _keys(refused.value) == {"text.fr": "builder.text_missing"}
    assert (await get_editor(slug)).questions == []
    added = await add_question(
        slug, section, NewQuestion(QuestionKind.SINGLE, Texts(" Quel quartier ? ", "Where?"))
    )
    question = (await get_editor(slug)).question(added)
    assert (question.code, question.text) == (
        "quel_quartier",
        {"fr": "Quel quartier ?", "en": "Where?"},
    )
    assert [c["code"] for c in question.settings["choices"]] == ["choix_1", "choix_2"]


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        (
            QuestionForm(None, Texts(""), code="Pas un code"),
            {
                "kind": "builder.kind_pick",
                "text.fr": "builder.text_missing",
                "code": "builder.code_invalid",
            },
        ),
        (
            QuestionForm(
                QuestionKind.MULTIPLE,
                Texts("Modes"),
                choices=(TypedChoice(Texts("Bus"), "bus"), TypedChoice(Texts("Car"), "bus")),
            ),
            {"choices": "builder.choice_code_twice"},
        ),
        (
            QuestionForm(QuestionKind.SINGLE, Texts("Modes"), choices=(TypedChoice(Texts("Bus")),)),
            {"choices": "builder.choices_few"},
        ),
        (
            QuestionForm(QuestionKind.SCALE, Texts("Note"), minimum=Unread("un"), maximum=11),
            {"minimum": "error.number", "maximum": "builder.scale_range"},
        ),
        (
            QuestionForm(QuestionKind.NUMBER, Texts("Âge"), minimum=10, maximum=2.5),
            {"maximum": "builder.min_max"},
        ),
        (
            QuestionForm(
                QuestionKind.DATE,
                Texts("Quand ?"),
                earliest=dt.date(2026, 5, 2),
                latest=dt.date(2026, 5, 1),
            ),
            {"latest": "builder.min_max"},
        ),
        (
            QuestionForm(QuestionKind.DATE, Texts("Quand ?"), earliest=Unread("demain")),
            {"earliest": "builder.date_bound_invalid"},
        ),
        (
            QuestionForm(
                QuestionKind.SHORT_TEXT, Texts("Rue ?"), condition=ConditionForm("inconnue")
            ),
            {"condition.question": "builder.condition_pick"},
        ),
    ],
)
async def test_update_question_refuses_each_bad_field(
    form: QuestionForm, errors: dict[str, str]
) -> None:
    slug, question_id = await _draft_with_question(QuestionKind.SHORT_TEXT)
    before = await get_editor(slug)
    with pytest.raises(Invalid) as refused:
        await update_question(slug, question_id, form)
    assert _keys(refused.value) == errors
    after = await get_editor(slug)
    assert (after.version, after.question(question_id)) == (
        before.version,
        before.question(question_id),
    )


async def test_update_question_saves_what_each_kind_keeps() -> None:
    slug, question_id = await _draft_with_question(QuestionKind.SHORT_TEXT)
    choices = (
        TypedChoice(Texts(" Bus ", "Bus")),
        TypedChoice(Texts("Vélo", "Bike"), " VELO "),
        TypedChoice(Texts("", "ignored")),
        TypedChoice(Texts("Aucun", "None"), "aucun"),
    )
    editor = await update_question(
        slug,
        question_id,
        QuestionForm(
            QuestionKind.MULTIPLE,
            Texts("Modes ?", "Ways?"),
            help=Texts(" Plusieurs réponses ", ""),
            code="modes",
            required=True,
            choices=choices,
            allow_other=True,
            exclusive=frozenset({"aucun", "inconnu"}),
            minimum=1,
            marks=frozenset({"offers"}),
        ),
    )
    question = editor.question(question_id)
    assert (question.code, question.kind, question.required) == ("modes", "multiple", True)
    assert question.help == {"fr": "Plusieurs réponses", "en": ""}
    assert question.settings == {
        "choices": [
            {"code": "bus", "fr": "Bus", "en": "Bus"},
            {"code": "velo", "fr": "Vélo", "en": "Bike"},
            {"code": "aucun", "fr": "Aucun", "en": "None"},
        ],
        "allow_other": True,
        "exclusive": ["aucun"],
    }
    dated = await update_question(
        slug,
        question_id,
        QuestionForm(
            QuestionKind.DATE, Texts("Quand ?"), earliest=dt.date(2026, 1, 1), latest=TODAY
        ),
    )
    assert dated.question(question_id).settings == {"min": "2026-01-01", "max": TODAY}
    scale = await update_question(
        slug,
        question_id,
        QuestionForm(
            QuestionKind.SCALE,
            Texts("Note"),
            maximum=4,
            min_label=Texts(" Peu ", ""),
            analyse=False,
        ),
    )
    assert scale.question(question_id).settings == {
        "min": 1,
        "max": 4,
        "min_label": {"fr": "Peu", "en": ""},
    }
    text = await update_question(
        slug,
        question_id,
        QuestionForm(
            QuestionKind.LONG_TEXT, Texts("Idées"), analyse=False, marks=frozenset({"offers"})
        ),
    )
    assert text.question(question_id).settings == {"analyse": False, "offers": True}


def _as_typed(choices: list[dict[str, str]]) -> tuple[TypedChoice, ...]:
    return tuple(TypedChoice(Texts(c["fr"], c["en"]), c["code"]) for c in choices)


async def test_update_question_never_loses_an_accepted_answer(client: httpx.AsyncClient) -> None:
    definition = await make_survey(slug=new_slug())
    await answer_all(client, definition, VALID_ANSWERS)
    slug = definition.slug
    before = await get_editor(slug)
    services = next(q for q in before.questions if q.code == "services")
    satisfaction = next(q for q in before.questions if q.code == "satisfaction")
    kept = _as_typed(services.settings["choices"])
    refusals = [
        (
            services.id,
            QuestionForm(QuestionKind.MULTIPLE, Texts("Services"), choices=kept[:1] + kept[2:]),
            {"choices": "builder.choice_locked"},
        ),
        (
            services.id,
            QuestionForm(QuestionKind.MULTIPLE, Texts("Services"), choices=kept),
            {"allow_other": "builder.other_locked"},
        ),
        (
            services.id,
            QuestionForm(
                QuestionKind.SINGLE,
                Texts("Services"),
                code="services_2",
                choices=kept,
                allow_other=True,
            ),
            {
                "code": "builder.code_locked",
                "kind": "builder.kind_locked",
                "allow_other": "builder.other_locked",
            },
        ),
        (
            satisfaction.id,
            QuestionForm(QuestionKind.SCALE, Texts("Satisfaction"), minimum=1, maximum=2),
            {"maximum": "builder.range_locked"},
        ),
    ]
    for question_id, form, errors in refusals:
        with pytest.raises(Invalid) as refused:
            await update_question(slug, question_id, form)
        assert _keys(refused.value) == errors
    assert (await get_editor(slug)).version == before.version
