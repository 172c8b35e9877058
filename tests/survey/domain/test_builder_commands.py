"""The builder's verbs called with typed commands, as the web builds them from its forms."""

from __future__ import annotations

import pytest

from survey.domain.builder import (
    Invalid,
    NewSurvey,
    SurveySettings,
    Texts,
    Unreadable,
    create_blank_survey,
    get_editor,
    update_survey,
)
from survey.errors import NotFound
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
                resume_days=Unreadable("trente"),
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
            slug, SurveySettings(Texts("Fête"), resume_days=366, retention_days=Unreadable("1 an"))
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
