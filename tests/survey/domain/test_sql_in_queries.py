"""SQL is written in ``survey/domain/queries/`` only: the rest of the domain calls its
functions (Tortoise models on single staff-edited rows are the other, documented, access)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[3] / "survey" / "domain"
# The job queue is the jobs table's own module; db.py opens the connections.
OWN_TABLE = {"jobs.py", "db.py"}
SQL_METHODS = {
    "fetch", "fetchrow", "fetchval", "execute", "executemany", "cursor", "prepare",
    "copy_records_to_table", "copy_to_table", "copy_from_query", "copy_from_table",
    "execute_query", "execute_query_dict", "execute_script",
}  # fmt: skip
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b[\s\S]*\b(FROM|INTO|SET|WHERE)\b")


def sql_in(source: str) -> list[str]:
    """Each place in ``source`` that runs or writes SQL, one line each."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_METHODS
        ):
            found.append(f"{node.lineno}: .{node.func.attr}()")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SQL.search(node.value)
        ):
            found.append(f"{node.lineno}: SQL text")
    return found


def test_sql_lives_in_the_queries_package() -> None:
    offences = {
        path.relative_to(DOMAIN).as_posix(): found
        for path in sorted(DOMAIN.rglob("*.py"))
        if path.parent.name != "queries" and path.name not in OWN_TABLE
        if (found := sql_in(path.read_text(encoding="utf-8")))
    }
    assert offences == {}


def test_the_check_sees_sql_run_or_written() -> None:
    planted = """
async def count(conn, survey_id):
    total = await conn.fetchval("SELECT count(*) FROM responses WHERE survey_id = $1", survey_id)
    await conn.execute(STATEMENT)
    async for row in conn.cursor(QUERY):
        pass
    return total
"""
    found = {line.split(": ", 1)[1] for line in sql_in(planted)}
    assert found == {".fetchval()", ".execute()", ".cursor()", "SQL text"}
