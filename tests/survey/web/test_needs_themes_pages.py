"""Themes first on the staff pages: the run page's folded themes, review actions that come
back to the need in its opened theme, themes by neighbourhood, and the dashboard's themes."""

from __future__ import annotations

import re

import httpx
import pytest

from survey.domain import needs as domain
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.need_themes import theme_key
from survey.models.needs import AnalysisRun, Need, NeedAnswer, NeedMention
from tests.factories.needs import finished_run, survey_with_answers
from tests.factories.staff import log_in
from tests.htmlform import field_value, post_form, text_of

pytestmark = pytest.mark.usefixtures("orm")

TRANSPORT = "Transports et déplacements"
HEALTH = "Santé et accès aux soins"
# (theme, need, residents whose main need it is), largest theme first.
NEEDS = [
    (TRANSPORT, "Bus le soir", 7),
    (TRANSPORT, "Pistes cyclables", 5),
    (HEALTH, "Trouver un médecin traitant", 6),
    ("Logement", "Loyers trop chers", 2),
]


async def _themed_run(definition: SurveyDef) -> tuple[AnalysisRun, dict[str, Need]]:
    """A finished run whose needs and themes are ``NEEDS``; the first resident of "Bus le
    soir" also speaks of the doctor."""
    async with connection() as conn:
        ids = [
            int(r["id"])
            for r in await conn.fetch(
                "SELECT id FROM responses WHERE survey_id = $1 ORDER BY id", definition.id
            )
        ]
    run = await finished_run(definition.id, "manque", n_answers=len(ids))
    made: dict[str, Need] = {}
    start = 0
    for position, (theme, label, size) in enumerate(NEEDS):
        members = ids[start : start + size]
        start += size
        made[label] = await Need.create(
            run=run,
            label=label,
            position=position,
            size=size,
            theme_label=theme,
            theme_position=[t for t, _, _ in NEEDS].index(theme),
            coherence=0.61,
            quote_response_ids=members[:2],
        )
        for index, rid in enumerate(members):
            await NeedAnswer.create(run=run, response_id=rid, need=made[label], x=position, y=index)
    await NeedMention.create(run=run, response_id=ids[0], need=made[NEEDS[2][1]], rank=1)
    return run, made


async def _survey() -> SurveyDef:
    # Twenty answers, every other one from each of two neighbourhoods.
    return await survey_with_answers([f"Réponse numéro {i}" for i in range(20)])


def _details(html: str) -> dict[str, str]:
    """Each theme's disclosure on the run page: its id and opening tag."""
    return {
        m.group(1): m.group(0)
        for m in re.finditer(r'<details class="theme-box" id="theme-([^"]+)"[^>]*>', html)
    }


async def test_run_page_folds_themes_and_opens_the_one_asked(client: httpx.AsyncClient) -> None:
    definition = await _survey()
    run, made = await _themed_run(definition)
    # More needs than are shown open (eight): five more, in the health theme.
    for index in range(5):
        await Need.create(
            run=run, label=f"Dentiste {index}", position=10 + index, theme_label=HEALTH
        )
    await log_in(client)
    base = f"/staff/surveys/{definition.slug}/analysis/{run.id}"
    html = (await client.get(base)).text
    boxes = _details(html)
    assert set(boxes) == {theme_key(TRANSPORT), theme_key(HEALTH), theme_key("Logement")}
    assert [" open" in tag for tag in boxes.values()] == [False, False, False]
    page = text_of(html)
    # Residents, once each: the transport theme holds 7 + 5, health 6 and one who also
    # spoke of the doctor.
    assert f"{TRANSPORT} – cité par 12 personnes · 2 besoins" in " ".join(page.split())
    assert f"{HEALTH} – cité par 7 personnes · " in " ".join(page.split())
    assert "Logement – cité par 2 personnes · 1 besoin" in " ".join(page.split())
    # The theme asked for opens, with its needs inside; the others stay folded.
    opened = (await client.get(f"{base}?theme={theme_key(HEALTH)}")).text
    boxes = _details(opened)
    assert " open" in boxes[theme_key(HEALTH)]
    assert " open" not in boxes[theme_key(TRANSPORT)]
    box = opened.index(f'id="theme-{theme_key(HEALTH)}"')
    assert box < opened.index(f'id="need-{made["Trouver un médecin traitant"].id}"')
    every = _details((await client.get(f"{base}?theme=all")).text)
    assert all(" open" in tag for tag in every.values())


async def test_run_page_themes_chart_counts_residents_and_escapes_labels(
    client: httpx.AsyncClient,
) -> None:
    definition = await _survey()
    run, made = await _themed_run(definition)
    hostile = '<img src=x onerror="alert(1)">'
    await Need.filter(id=made["Loyers trop chers"].id).update(theme_label=hostile)
    await log_in(client)
    html = (await client.get(f"/staff/surveys/{definition.slug}/analysis/{run.id}")).text
    assert hostile not in html
    assert "&lt;img src=x" in html
    # The themes' chart: residents per theme, largest first, in its data table too.
    rows = re.findall(r"<tr><td>([^<]*)</td><td>(\d+)</td><td>(\d+)%</td><td>(\d+)</td></tr>", html)
    assert rows[:2] == [(TRANSPORT, "12", "60", "2"), (HEALTH, "7", "35", "1")]
    assert "Personnes par thème" in text_of(html)
    # The map's table counts its points: the answers whose main need is in each theme.
    assert "Carte des réponses, colorées par thème" in text_of(html)
    points = re.findall(r"<tr><td>([^<]*)</td><td>(\d+)</td></tr>", html)
    assert points[:2] == [(TRANSPORT, "12"), (HEALTH, "6")]


async def test_review_actions_come_back_to_the_need_in_its_opened_theme(
    client: httpx.AsyncClient,
) -> None:
    definition = await _survey()
    run, made = await _themed_run(definition)
    await log_in(client)
    base = f"/staff/surveys/{definition.slug}/analysis/{run.id}"
    csrf = field_value((await client.get(base)).text, "csrf")
    bus = made["Bus le soir"]
    renamed = await post_form(
        client, f"{base}/needs/{bus.id}/rename", [("csrf", csrf), ("label", "Bus du soir")]
    )
    assert renamed.status_code == 303
    assert renamed.headers["location"] == f"{base}?theme={theme_key(TRANSPORT)}#need-{bus.id}"
    page = (await client.get(renamed.headers["location"])).text
    assert " open" in _details(page)[theme_key(TRANSPORT)]
    # Set aside: it goes to the needs set aside, opened.
    rent = made["Loyers trop chers"]
    aside = await post_form(client, f"{base}/needs/{rent.id}/toggle", [("csrf", csrf)])
    assert aside.headers["location"] == f"{base}?theme=aside#need-{rent.id}"
    page = (await client.get(aside.headers["location"])).text
    assert " open" in _details(page)["aside"]
    assert "Mis de côté (pas un besoin)" in text_of(page)
    assert theme_key("Logement") not in _details(page)
    # The need's own page leads back to it in its theme.
    need_page = (await client.get(f"{base}/needs/{bus.id}")).text
    assert f'href="{base}?theme={theme_key(TRANSPORT)}#need-{bus.id}"' in need_page
    # Merging needs of two themes: the kept one (the largest) in its theme.
    doctor = made["Trouver un médecin traitant"]
    merged = await post_form(
        client,
        f"{base}/merge",
        [("csrf", csrf), ("confirm", "1"), ("need", str(doctor.id)), ("need", str(bus.id))]
        + [("label", "Bus et médecin")],
    )
    assert merged.headers["location"] == f"{base}?theme={theme_key(TRANSPORT)}#need-{bus.id}"
    assert [n.label for n in await domain.needs_of_run(run) if n.id == bus.id] == ["Bus et médecin"]


async def test_breakdown_counts_themes_by_main_need_small_groups_hidden(
    client: httpx.AsyncClient,
) -> None:
    definition = await _survey()
    run, _made = await _themed_run(definition)
    await log_in(client)
    html = (
        await client.get(f"/staff/surveys/{definition.slug}/analysis/{run.id}?by=quartier")
    ).text
    assert "Thèmes par réponse à une autre question" in text_of(html)
    table = html[html.index('<h2 id="breakdown">') :]
    # Answers alternate centre, bissy: transport's twelve are six and six, health's 3 and 3.
    row = re.search(rf'<th scope="row">{TRANSPORT}</th>(.*?)</tr>', table)
    assert row is not None
    cells = re.findall(r"<td>(.*?)</td>", row.group(1))
    assert cells[:2] == ["6", "6"]
    row = re.search(rf'<th scope="row">{HEALTH}</th>(.*?)</tr>', table)
    assert row is not None
    assert re.findall(r"<td>(.*?)</td>", row.group(1))[:2] == ["&lt; 5", "&lt; 5"]


async def test_dashboard_leads_needs_with_themes_linked_to_the_analysis(
    client: httpx.AsyncClient,
) -> None:
    definition = await _survey()
    run, _made = await _themed_run(definition)
    await log_in(client)
    html = (await client.get(f"/staff/surveys/{definition.slug}/dashboard")).text
    section = html[html.index('id="h-themes"') : html.index('id="h-needs-top"')]
    items = [" ".join(text_of(li).split()) for li in re.findall(r"<li>(.*?)</li>", section, re.S)]
    # Shares of the residents with a real answer. "Logement" (2) is hidden, and so is the
    # next smallest, lest it be found from the total.
    assert items == [
        f"{TRANSPORT} – cité par 12 personnes (60 %)",
        f"{HEALTH} – < 5",
        "Logement – < 5",
    ]
    run_url = f"/staff/surveys/{definition.slug}/analysis/{run.id}"
    assert f'href="{run_url}?theme={theme_key(TRANSPORT)}#theme-{theme_key(TRANSPORT)}"' in section
    link = re.search(r'<a href="([^"]+)" id="themes-link">([^<]+)</a>', html)
    assert link is not None
    assert (link.group(1), text_of(link.group(2))) == (
        f"{run_url}#themes",
        "Voir les 3 thèmes et leurs besoins dans l'analyse",
    )
    # The free-text question's block names its largest themes too.
    rest = html[html.index('id="q-manque"') :]
    block = rest[: rest.index('class="question"')]
    assert "Thèmes les plus cités : " in " ".join(text_of(block).split())
    assert f"{TRANSPORT} (12) · {HEALTH} (< 5) · Logement (< 5)" in " ".join(text_of(block).split())
    # Under a filter the themes count the residents it keeps.
    filtered = (
        await client.get(f"/staff/surveys/{definition.slug}/dashboard?f_quartier=centre")
    ).text
    section = filtered[filtered.index('id="h-themes"') : filtered.index('id="h-needs-top"')]
    assert f"{TRANSPORT} – cité par 6 personnes" in " ".join(text_of(section).split())
