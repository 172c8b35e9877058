"""Views make domain calls and render: no SQL and no ORM query under ``survey/web``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[3] / "survey" / "web"
# Query methods of asyncpg connections and of Tortoise models and querysets.
QUERY_METHODS = {
    "fetch", "fetchrow", "fetchval", "execute", "executemany", "copy_records_to_table",
    "filter", "exclude", "get_or_none", "get_or_create", "update_or_create", "bulk_create",
    "select_for_update", "raw", "annotate", "values_list", "prefetch_related",
}  # fmt: skip
MODEL_METHODS = {"get", "create", "all", "first", "save", "delete", "update_from_dict"}
FORBIDDEN_MODULES = ("tortoise", "asyncpg", "survey.domain.db", "survey.db")
# Names whose attribute calls are never queries (`request.query_params.get`, `re.sub`).
NOT_DATABASE = {"request", "re"}
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b[\s\S]*\b(FROM|INTO|SET|WHERE)\b")


def queries_in(source: str) -> list[str]:
    """What in ``source`` queries the database directly, one line each."""
    tree = ast.parse(source)
    found = []
    models = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith(FORBIDDEN_MODULES):
                found.append(f"{node.lineno}: imports {node.module}")
            if node.module.startswith("survey.models"):
                models |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(FORBIDDEN_MODULES):
                    found.append(f"{node.lineno}: imports {alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name, target = node.func.attr, node.func.value
            if name in QUERY_METHODS and _root(target) not in NOT_DATABASE:
                found.append(f"{node.lineno}: .{name}()")
            elif name in MODEL_METHODS and _root(target) in models:
                found.append(f"{node.lineno}: {_root(target)}.{name}()")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SQL.search(node.value)
        ):
            found.append(f"{node.lineno}: SQL text")
    return found


def _root(node: ast.expr) -> str:
    while isinstance(node, (ast.Attribute, ast.Call)):
        node = node.value if isinstance(node, ast.Attribute) else node.func
    return node.id if isinstance(node, ast.Name) else ""


def test_no_view_queries_the_database() -> None:
    offences = {
        path.relative_to(WEB.parent.parent).as_posix(): found
        for path in sorted(WEB.rglob("*.py"))
        if (found := queries_in(path.read_text(encoding="utf-8")))
    }
    assert offences == {}


def test_the_check_sees_each_kind_of_query() -> None:
    planted = """
from survey.models import Survey
from survey.domain.db import connection
import asyncpg

async def view(request):
    async with connection() as conn:
        rows = await conn.fetch("SELECT id FROM surveys WHERE status = $1", "open")
    one = await Survey.filter(slug="x").first()
    two = await Survey.get(id=1)
    return rows, one, two
"""
    found = {line.split(": ", 1)[1] for line in queries_in(planted)}
    assert found == {
        "imports survey.domain.db",
        "imports asyncpg",
        ".fetch()",
        ".filter()",
        "Survey.first()",
        "Survey.get()",
        "SQL text",
    }
