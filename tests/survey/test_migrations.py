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
