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
