"""Migrations and models agree: every model column exists in the migrated database."""

from __future__ import annotations

import pytest
from tortoise import Tortoise

from survey.domain.db import connection

pytestmark = pytest.mark.usefixtures("orm")


async def test_every_model_field_has_its_column() -> None:
    async with connection() as conn:
        rows = await conn.fetch(
            "SELECT table_name, column_name, is_nullable FROM information_schema.columns"
            " WHERE table_schema = 'public'"
        )
    columns = {(r["table_name"], r["column_name"]): r["is_nullable"] == "YES" for r in rows}
    problems = []
    for model in Tortoise.apps["models"].values():
        table = model._meta.db_table
        if table == "aerich":
            continue
        for name in model._meta.db_fields:
            field = model._meta.fields_map[model._meta.fields_db_projection_reverse[name]]
            if (table, name) not in columns:
                problems.append(f"{table}.{name} missing")
            elif columns[(table, name)] != field.null and not field.pk:
                problems.append(f"{table}.{name} nullability differs")
    assert problems == []


async def test_migrations_are_recorded_once_each() -> None:
    async with connection() as conn:
        versions = [r["version"] for r in await conn.fetch("SELECT version FROM aerich")]
    assert len(versions) == len(set(versions))
    assert any(v.startswith("0_") for v in versions)


async def test_response_numbers_are_backfilled_in_order_of_submission() -> None:
    """Upgrading an instance that already holds answers numbers them per survey, oldest
    first, and the next answer continues after them. Run inside a transaction that is
    rolled back, so the shared test database is left as it was."""
    import datetime as dt
    import importlib.util
    import uuid

    from survey.db import MIGRATIONS
    from survey.domain.answering import load_responses
    from tests.factories import make_survey

    path = next((MIGRATIONS / "models").glob("22_*_response_numbers.py"))
    spec = importlib.util.spec_from_file_location("response_numbers", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    definition = await make_survey()
    base = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    # Stored newest first, so the ids run against the order of submission.
    days = [5, 3, 1]
    await load_responses(
        definition,
        [
            {
                "key": str(uuid.uuid4()),
                "submitted_at": (base + dt.timedelta(days=d)).isoformat(),
                "answers": {"manque": f"jour {d}"},
            }
            for d in days
        ],
    )

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback):
        async with connection() as conn, conn.transaction():
            await conn.execute(await migration.downgrade(None))
            await conn.execute(await migration.upgrade(None))
            rows = await conn.fetch(
                "SELECT number, answers->>'manque' AS text FROM responses"
                " WHERE survey_id = $1 ORDER BY number",
                definition.id,
            )
            assert [(r["number"], r["text"]) for r in rows] == [
                (1, "jour 1"),
                (2, "jour 3"),
                (3, "jour 5"),
            ]
            number = await conn.fetchval(
                "INSERT INTO responses (survey_id, idempotency_key, receipt, answers, language,"
                " channel, submitted_at) VALUES ($1, $2, $3, '{}'::jsonb, 'fr', 'web', now())"
                " RETURNING number",
                definition.id,
                uuid.uuid4(),
                uuid.uuid4().hex[:16],
            )
            assert number == 4
            raise Rollback


async def test_actor_links_take_the_need_they_were_shown_on() -> None:
    """Decisions kept under a need's folded name move to the need itself: one named before
    any analysis (or whose need was merged away) takes the newest run's need of that name,
    one whose need was renamed since finds it again, and an actor keeps one decision per
    need, a confirmation first. Rolled back, like the test above."""
    import importlib.util

    from survey.db import MIGRATIONS
    from tests.factories import make_survey

    path = next((MIGRATIONS / "models").glob("30_*_actor_links_follow_needs.py"))
    spec = importlib.util.spec_from_file_location("actor_links", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    definition = await make_survey()

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback):
        async with connection() as conn, conn.transaction():
            await conn.execute(await migration.downgrade(None))
            old = await conn.fetchval(
                "INSERT INTO analysis_runs (survey_id, question_code, params, changes,"
                " quality, review, finished_at) VALUES ($1, 'manque', '{}', '{}', '{}', '{}',"
                " now() - interval '1 day') RETURNING id",
                definition.id,
            )
            new = await conn.fetchval(
                "INSERT INTO analysis_runs (survey_id, question_code, params, changes,"
                " quality, review, finished_at) VALUES ($1, 'manque', '{}', '{}', '{}', '{}',"
                " now()) RETURNING id",
                definition.id,
            )
            needs = {}
            for run, name, staff in (
                (old, "Crèche", None),
                (new, "Crèche", "Crèches et garderies"),
                (new, "Médecin", None),
                (new, "Épicerie solidaire", None),
            ):
                needs[(run, name)] = await conn.fetchval(
                    "INSERT INTO needs (run_id, label, staff_label, keywords,"
                    " quote_response_ids) VALUES ($1, $2, $3, '[]', '[]') RETURNING id",
                    run,
                    name,
                    staff,
                )
            actors = [
                await conn.fetchval(
                    "INSERT INTO actors (name, services, skills, resources, themes)"
                    " VALUES ($1, '[]', '[]', '[]', '[]') RETURNING id",
                    f"Acteur {i}",
                )
                for i in range(3)
            ]
            links = [
                # Renamed since: its name no longer matches, its need is the newest run's.
                (actors[0], "creche", "Crèche", needs[(new, "Crèche")], "confirmed"),
                # Named before any analysis (the demo's).
                (actors[0], "epicerie solidaire", "Épicerie solidaire", None, "confirmed"),
                # Decided on the previous run, shown on the newest run's need of its name...
                (actors[1], "medecin", "Médecin", needs[(old, "Crèche")], "rejected"),
                # ... where the same actor was also confirmed: the confirmation stands.
                (actors[1], "médecin-x", "Médecin", needs[(new, "Médecin")], "confirmed"),
                # A need no run has any more.
                (actors[2], "bus", "Bus", None, "confirmed"),
            ]
            for actor, key, label, need, state in links:
                await conn.execute(
                    "INSERT INTO actor_need_links (actor_id, survey_id, question_code,"
                    " need_key, need_label, need_id, state) VALUES ($1, $2, 'manque', $3, $4,"
                    " $5, $6)",
                    actor,
                    definition.id,
                    key,
                    label,
                    need,
                    state,
                )
            await conn.execute(await migration.upgrade(None))
            rows = await conn.fetch(
                "SELECT actor_id, need_label, need_id, state FROM actor_need_links"
                " WHERE survey_id = $1 ORDER BY actor_id, need_label",
                definition.id,
            )
            assert [(r["actor_id"], r["need_label"], r["need_id"], r["state"]) for r in rows] == [
                (actors[0], "Crèche", needs[(new, "Crèche")], "confirmed"),
                (actors[0], "Épicerie solidaire", needs[(new, "Épicerie solidaire")], "confirmed"),
                (actors[1], "Médecin", needs[(new, "Médecin")], "confirmed"),
                (actors[2], "Bus", None, "confirmed"),
            ]
            raise Rollback
