"""Files in and out: XLSForm definitions, XLSX exports, responses from other tools."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from survey.domain.db import connection
from survey.domain.definitions import get_definition
from survey.domain.responses import count_responses, list_responses
from survey.domain.xlsform import parse_relevant, xlsform_to_definition
from survey.enums import QuestionKind
from survey.errors import SurveyError
from tests.factories import VALID_ANSWERS, make_survey
from tests.factories.resident import answer_all
from tests.factories.staff import csrf, log_in, new_slug
from tests.htmlform import text_of

pytestmark = pytest.mark.usefixtures("orm")
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def words(page: str) -> str:
    """Visible text with runs of white space made single."""
    return " ".join(text_of(page).split())


def xlsform() -> bytes:
    return (FIXTURES / "xlsform_familles.xlsx").read_bytes()


def test_xlsform_maps_groups_types_and_languages() -> None:
    definition, _ = xlsform_to_definition(xlsform(), "familles.xlsx")
    assert definition["title"]["fr"] == "Enquête familles (Kobo)"
    assert definition["slug"] == "enquete-familles"
    assert [s["title"]["fr"] for s in definition["sections"]] == [
        "Votre foyer",
        "La garde",
        "Votre avis",
    ]
    kinds = {q["code"]: q["kind"] for s in definition["sections"] for q in s["questions"]}
    assert kinds == {
        "enfants": "single",
        "prenom": "short_text",
        "age": "number",
        "garde": "multiple",
        "creche_avis": "long_text",
        "note": "scale",
        "pourquoi": "short_text",
        "bravo": "short_text",
        "priorites": "ranking",
        "arrivee": "date",
        "enfant_nom": "short_text",
    }
    first = definition["sections"][0]["questions"][0]
    assert first["text"] == {"fr": "Avez-vous des enfants ?", "en": "Do you have children?"}
    assert first["required"] is True
    garde = definition["sections"][1]["questions"][0]
    assert garde["settings"]["allow_other"] is True
    assert garde["settings"]["choices"][1] == {
        "code": "nounou",
        "fr": "Assistante maternelle",
        "en": "Childminder",
    }
    # The note became the page introduction.
    assert definition["sections"][1]["description"]["fr"] == "Quelques questions sur la garde."


def test_xlsform_relevant_expressions_become_conditions() -> None:
    definition, _ = xlsform_to_definition(xlsform())
    sections = definition["sections"]
    settings = {q["code"]: q["settings"] for s in sections for q in s["questions"]}
    assert sections[1]["settings"]["show_if"] == {
        "question": "enfants",
        "op": "equals",
        "value": "oui",
    }
    assert settings["creche_avis"]["show_if"] == {
        "question": "garde",
        "op": "includes",
        "value": "creche",
    }
    assert settings["pourquoi"]["show_if"] == {"question": "note", "op": "between", "max": 2}
    assert settings["bravo"]["show_if"] == {
        "question": "note",
        "op": "between",
        "min": 4,
        "max": 5,
    }
    assert "show_if" not in settings["arrivee"]


def test_xlsform_report_lists_everything_not_kept() -> None:
    _, notes = xlsform_to_definition(xlsform())
    found = {(n.where, n.key) for n in notes}
    assert found == {
        ("Enfants", "builder.note_renamed"),
        ("age", "builder.note_constraint"),
        ("intro_garde", "builder.note_note"),
        ("total", "builder.note_type"),
        ("lieu", "builder.note_type"),
        ("enfant", "builder.note_repeat"),
        ("arrivee", "builder.note_relevant"),
    }


def test_parse_relevant_simple_forms() -> None:
    names = {"q": "q", "m": "m", "n": "n"}
    kinds = {"q": QuestionKind.SINGLE, "m": QuestionKind.MULTIPLE, "n": QuestionKind.NUMBER}
    assert parse_relevant("${q}='a'", names, kinds) == {
        "question": "q",
        "op": "equals",
        "value": "a",
    }
    assert parse_relevant("${q} = 'a' or ${q} = 'b'", names, kinds) == {
        "question": "q",
        "op": "one_of",
        "values": ["a", "b"],
    }
    assert parse_relevant("(selected(${m}, 'x'))", names, kinds) == {
        "question": "m",
        "op": "includes",
        "value": "x",
    }
    assert parse_relevant("${n} > 3 and ${n} < 10", names, kinds) == {
        "question": "n",
        "op": "between",
        "min": 4,
        "max": 9,
    }
    assert parse_relevant("${q} != 'a'", names, kinds) is None
    assert parse_relevant("${zz} = 'a'", names, kinds) is None
    assert parse_relevant("count-selected(${m}) > 1", names, kinds) is None


def test_xlsform_without_survey_sheet_is_refused() -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "feuille"
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(SurveyError) as caught:
        xlsform_to_definition(buffer.getvalue())
    assert caught.value.key == "builder.xlsform_no_survey"


def test_xlsform_title_of_invisible_marks_falls_back_on_the_file_name() -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(["type", "name", "label"])
    survey.append(["text", "q", "Votre avis"])
    settings = workbook.create_sheet("settings")
    settings.append(["form_title", "form_id"])
    # A soft hyphen, a zero-width space and a no-break space: nothing a reader could see.
    settings.append(["\u00ad\u200b\u00a0", "q"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    definition, _ = xlsform_to_definition(buffer.getvalue(), "quartier.xlsx")
    assert definition["title"]["fr"] == "quartier"


async def test_xlsform_upload_creates_a_draft_and_shows_the_report(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    slug = new_slug()
    response = await client.post(
        "/staff/surveys/import",
        data={"csrf": await csrf(client), "slug": slug},
        files={"file": ("familles.xlsx", xlsform(), "application/vnd.ms-excel")},
    )
    assert response.status_code == 200, text_of(response.text)
    text = text_of(response.text)
    assert "« Enquête familles (Kobo) » a été créé en brouillon : 11 questions sur 3 pages." in text
    assert "7 éléments n'ont pas pu être repris tels quels" in text
    assert "type « geopoint » non géré : ligne non reprise" in text
    definition = await get_definition(slug)
    assert definition.status == "draft"
    assert definition.sections[1].settings["show_if"]["question"] == "enfants"


async def test_xlsx_export_with_labels_or_codes(client: httpx.AsyncClient) -> None:
    await log_in(client)
    definition = await make_survey()
    hostile = {**VALID_ANSWERS, "q_manque": ['=HYPERLINK("http://x")']}
    await answer_all(client, definition, hostile)
    labels = await client.get(f"/staff/surveys/{definition.slug}/export-xlsx?values=labels")
    assert labels.status_code == 200
    assert labels.headers["content-type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(labels.content)).active.iter_rows(values_only=True))
    header, row = rows[0], rows[1]
    cells = dict(zip(header, row, strict=True))
    assert cells["Dans quel quartier habitez-vous ?"] == "Bissy"
    assert cells["Quels services utilisez-vous déjà ?"] == "Médiathèque; Jardin partagé"
    assert cells["Combien d'heures par mois pourriez-vous donner ?"] == 4
    assert cells["Qu'est-ce qui vous manque le plus dans votre quartier ?"].startswith("'=")
    codes = await client.get(f"/staff/surveys/{definition.slug}/export-xlsx?values=codes")
    rows = list(load_workbook(io.BytesIO(codes.content)).active.iter_rows(values_only=True))
    cells = dict(zip(rows[0], rows[1], strict=True))
    assert cells["quartier"] == "bissy"
    assert cells["services"] == "mediatheque;__other__;Jardin partagé"
    assert cells["priorites"] == "enfance;mobilite;sante;lien;logement"
    assert cells["channel"] == "web"


async def upload(client: httpx.AsyncClient, slug: str, name: str, content: bytes):
    return await client.post(
        f"/staff/surveys/{slug}/responses-import",
        data={"csrf": await csrf(client)},
        files={"file": (name, content, "text/csv")},
    )


def selected(page: str) -> dict[str, str]:
    """The option chosen in each column's select of the mapping page."""
    import re

    found = {}
    for name, body in re.findall(r'<select id="m-\d+" name="(col_\d+)">(.*?)</select>', page, re.S):
        match = re.search(r'<option value="([^"]*)" selected>', body)
        found[name] = match.group(1) if match else ""
    return found


async def import_file(client: httpx.AsyncClient, slug: str, name: str):  # type: ignore[no-untyped-def]
    response = await upload(client, slug, name, (FIXTURES / name).read_bytes())
    assert response.status_code == 303, text_of(response.text)
    mapping_url = response.headers["location"]
    page = (await client.get(mapping_url)).text
    return mapping_url, page, selected(page)


async def confirm(client: httpx.AsyncClient, url: str, mapping: dict[str, str], action: str):
    fields = [("csrf", await csrf(client)), *mapping.items(), ("action", action)]
    from tests.htmlform import post_form

    return await post_form(client, url, fields)


async def test_google_forms_export_is_mapped_checked_and_imported(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    definition = await make_survey()
    url, page, mapping = await import_file(client, definition.slug, "google_forms.csv")
    assert "4 lignes, 13 colonnes" in text_of(page)
    assert mapping["col_0"] == "__date__"
    assert mapping["col_1"] == "quartier"
    assert mapping["col_6"] == "services"
    assert {mapping[f"col_{i}"] for i in range(7, 12)} == {"priorites"}
    assert mapping["col_12"] == "conseil"
    check = await confirm(client, url, mapping, "check")
    text = words(check.text)
    assert "3 lignes sur 4 sont valides." in text
    # Reported once per cause, with its rows; the value is also offered for recoding.
    assert (
        "quartier : la valeur « Quartier inconnu » ne correspond à aucun choix"
        " — 1 ligne (lignes : 4)" in text
    )
    assert "« Quartier inconnu » — 1 ligne Ne pas importer ces lignes" in text
    assert await count_responses(definition.id) == 0
    done = await confirm(client, url, mapping, "import")
    assert "3 réponses importées." in text_of(done.text)
    rows = sorted(await list_responses(definition.id, page=1), key=lambda r: r["submitted_at"])
    assert [r["channel"] for r in rows] == ["import"] * 3
    first, second, _ = (r["answers"] for r in rows)
    assert first["quartier"] == "bissy"
    assert first["services"] == ["mediatheque", "epicerie"]
    assert first["priorites"] == ["mobilite", "enfance", "sante", "logement", "lien"]
    assert first["conseil"] == "yes"
    assert second["manque"] == "Des bus le soir\net des bancs"
    assert second["services"] == ["centre_social", "__other__"]
    assert second["services__other"] == "Jardin partagé"
    assert rows[0]["submitted_at"].isoformat().startswith("2024-03-15T09:22:33")
    # The same file again stores nothing twice.
    _, _, mapping = await import_file(client, definition.slug, "google_forms.csv")
    again_url = (
        await upload(
            client,
            definition.slug,
            "google_forms.csv",
            (FIXTURES / "google_forms.csv").read_bytes(),
        )
    ).headers["location"]
    await confirm(client, again_url, mapping, "import")
    assert await count_responses(definition.id) == 3


async def test_limesurvey_export_with_codes_and_option_columns(client: httpx.AsyncClient) -> None:
    await log_in(client)
    definition = await make_survey()
    url, _, mapping = await import_file(client, definition.slug, "limesurvey.csv")
    assert mapping["col_1"] == "__date__"
    assert mapping["col_5"] == "quartier"
    assert {mapping[f"col_{i}"] for i in range(10, 17)} == {"services"}
    assert {mapping[f"col_{i}"] for i in range(17, 22)} == {"priorites"}
    assert mapping["col_0"] == mapping["col_2"] == mapping["col_4"] == ""
    done = await confirm(client, url, mapping, "import")
    assert "3 réponses importées." in text_of(done.text)
    rows = sorted(await list_responses(definition.id, page=1), key=lambda r: r["id"])
    answers = [r["answers"] for r in rows]
    assert answers[0]["services"] == ["mediatheque", "epicerie"]
    assert answers[0]["priorites"] == ["enfance", "mobilite", "sante", "logement", "lien"]
    assert answers[0]["conseil"] == "yes"
    assert answers[1]["services"] == ["tad", "__other__"]
    assert answers[1]["services__other"] == "Jardin partagé"
    assert answers[2] == {"quartier": "hauts", "age": "45-59"}


async def test_framaforms_export_in_windows_encoding(client: httpx.AsyncClient) -> None:
    await log_in(client)
    definition = await make_survey()
    url, page, mapping = await import_file(client, definition.slug, "framaforms.csv")
    assert "Dans quel quartier habitez-vous ?" in text_of(page)  # Decoded from cp1252.
    assert mapping["col_2"] == "__date__"
    assert mapping["col_4"] == mapping["col_5"] == mapping["col_6"] == "services"
    done = await confirm(client, url, mapping, "import")
    text = text_of(done.text)
    assert "2 réponses importées." in text
    assert "Écrivez un nombre, par exemple 12." in text
    rows = sorted(await list_responses(definition.id, page=1), key=lambda r: r["id"])
    assert rows[0]["answers"]["services"] == ["mediatheque", "sante"]
    assert rows[0]["answers"]["quartier"] == "charmettes"
    assert rows[1]["answers"]["heures"] == 12.5
    assert rows[1]["answers"]["conseil"] == "no"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Choisissez un fichier."),
        (b"   \n", "Le fichier est vide."),
        (b"titre,autre\n", "aucune réponse à importer"),
    ],
    ids=["nothing", "blank", "header-only"],
)
async def test_unreadable_responses_file_changes_nothing(
    client: httpx.AsyncClient, content: bytes, message: str
) -> None:
    await log_in(client)
    definition = await make_survey()
    async with connection() as conn:
        before = await conn.fetchval("SELECT count(*) FROM uploads")
    response = await upload(client, definition.slug, "x.csv", content)
    assert response.status_code == 400
    assert message in text_of(response.text)
    async with connection() as conn:
        assert await conn.fetchval("SELECT count(*) FROM uploads") == before
    assert await count_responses(definition.id) == 0


async def test_responses_file_too_large_is_refused(client: httpx.AsyncClient) -> None:
    await log_in(client)
    definition = await make_survey()
    big = b"a,b\n" + b"x,y\n" * (2 * 1024 * 1024)
    response = await upload(client, definition.slug, "big.csv", big)
    assert response.status_code == 413
    assert "Le fichier est trop gros" in text_of(response.text)
    # Just over the limit: the body fits with the form's allowance, the file does not.
    response = await upload(client, definition.slug, "big.csv", b"x" * (5 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert "Le fichier est trop gros" in text_of(response.text)


async def test_mapping_with_no_column_chosen_says_so(client: httpx.AsyncClient) -> None:
    await log_in(client)
    definition = await make_survey()
    url, _, mapping = await import_file(client, definition.slug, "google_forms.csv")
    response = await confirm(client, url, dict.fromkeys(mapping, ""), "import")
    assert "Associez au moins une colonne à une question." in text_of(response.text)
    assert await count_responses(definition.id) == 0


async def test_upload_of_another_survey_is_not_found(client: httpx.AsyncClient) -> None:
    await log_in(client)
    one = await make_survey()
    other = await make_survey()
    url, _, _ = await import_file(client, one.slug, "google_forms.csv")
    response = await client.get(url.replace(one.slug, other.slug))
    assert response.status_code == 404
