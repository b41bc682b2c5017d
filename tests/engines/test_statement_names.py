"""Issue 14 §5: a refusal names the statement the record wrote, not sqlglot's node type."""

from __future__ import annotations

import pytest

from proto.common import Engine
from proto.sample import ErrorClass
from shared.engines.sandbox import screen_fixture_statement, screen_query

ALL = list(Engine)


@pytest.mark.parametrize("engine", ALL)
@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("SHUTDOWN", "SHUTDOWN"),
        ("CREATE ROLE intruder", "CREATE ROLE"),
        ("-- a comment first\nCREATE USER bob", "CREATE USER"),
        ("DROP TABLE emp", "DROP TABLE"),
        ("CREATE VIEW v AS SELECT 1", "CREATE VIEW"),
        ("GRANT ALL ON emp TO PUBLIC", "GRANT"),
    ],
)
def test_queries_are_refused_by_their_own_name(engine: Engine, sql: str, named: str) -> None:
    screened = screen_query(sql, engine)
    assert screened.error_class is ErrorClass.FORBIDDEN
    assert f"statement type {named} is not allowed" in (screened.message or "")
    assert "COLUMN" not in (screened.message or "") and "COMMAND" not in (screened.message or "")


@pytest.mark.parametrize("engine", ALL)
def test_fixture_statements_name_the_statement_and_keep_typos_as_syntax(engine: Engine) -> None:
    for sql, named in (("SHUTDOWN", "SHUTDOWN"), ("CREATE ROLE intruder", "CREATE ROLE")):
        screened = screen_fixture_statement(sql, engine)
        assert screened.error_class is ErrorClass.FORBIDDEN, screened
        assert f"{named} is not allowed" in (screened.message or "")
    typo = screen_fixture_statement("CREATE TABEL t (a INT)", engine)
    assert typo.error_class is ErrorClass.SYNTAX
