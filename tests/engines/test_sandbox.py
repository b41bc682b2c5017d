"""The parser layer of the sandbox (pure): what untrusted SQL may be."""

from __future__ import annotations

import pytest

from proto.common import Engine
from proto.sample import ErrorClass
from shared.engines.sandbox import is_denied_function, screen_fixture_statement, screen_query

ALL = list(Engine)


@pytest.mark.parametrize("engine", ALL)
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT a FROM t",
        "WITH c AS (SELECT a FROM t) SELECT * FROM c ORDER BY a",
        "SELECT a FROM t UNION ALL SELECT b FROM u",
        "(SELECT a FROM t)",
        "SELECT COUNT(*), AVG(x) FROM t GROUP BY y HAVING COUNT(*) > 1",
        "SELECT pg_typeof(1)",
    ],
)
def test_read_queries_pass(engine: Engine, sql: str) -> None:
    screened = screen_query(sql, engine)
    assert screened.ok and not screened.writes and screened.expression is not None


@pytest.mark.parametrize("engine", ALL)
@pytest.mark.parametrize(
    ("sql", "error_class"),
    [
        ("SELECT 1; SELECT 2", ErrorClass.FORBIDDEN),
        ("DROP TABLE t", ErrorClass.FORBIDDEN),
        ("UPDATE t SET a = 1", ErrorClass.FORBIDDEN),
        ("SELECT * INTO u FROM t", ErrorClass.FORBIDDEN),
        ("SELECT * FROM t FOR UPDATE", ErrorClass.FORBIDDEN),
        ("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", ErrorClass.FORBIDDEN),
        ("SELECT * FROM other.t", ErrorClass.FORBIDDEN),
        ("SELECT pg_catalog.pg_sleep(5)", ErrorClass.FORBIDDEN),
        ("SELECT SLEEP(5)", ErrorClass.FORBIDDEN),
        ("SELECT load_extension('x')", ErrorClass.FORBIDDEN),
        ("SELECT * FROM dblink('h', 'q') AS x(a INT)", ErrorClass.FORBIDDEN),
        ("SELECT 1 /*!50000 , SLEEP(9) */", ErrorClass.FORBIDDEN),
        ("SELECT 1 /*M! , SLEEP(9) */", ErrorClass.FORBIDDEN),
        ("SELEC 1", ErrorClass.SYNTAX),
        ("", ErrorClass.SYNTAX),
    ],
)
def test_everything_else_is_rejected(engine: Engine, sql: str, error_class: ErrorClass) -> None:
    screened = screen_query(sql, engine)
    assert not screened.ok
    assert screened.error_class is error_class
    assert screened.message


@pytest.mark.parametrize(
    "sql", ["SELECT /*+ NO_INDEX(t) */ a FROM t", "SELECT /*+ SET_VAR(sql_mode='') */ a FROM t"]
)
def test_optimizer_hints_are_refused(sql: str) -> None:
    """MySQL 8 runs hints (SET_VAR changes the session's modes for the statement) while
    MariaDB reads a comment: the two servers would read different statements."""
    screened = screen_query(sql, Engine.MYSQL)
    assert screened.error_class is ErrorClass.FORBIDDEN
    assert "optimizer hint" in (screened.message or "")


@pytest.mark.parametrize("sql", ["INSERT INTO t VALUES (1)", "UPDATE t SET a = 2", "DELETE FROM t"])
def test_writes_need_allow_writes(sql: str) -> None:
    assert screen_query(sql, Engine.POSTGRES).error_class is ErrorClass.FORBIDDEN
    screened = screen_query(sql, Engine.POSTGRES, allow_writes=True)
    assert screened.ok and screened.writes


def test_writes_never_allow_ddl_or_nested_dml() -> None:
    assert not screen_query("DROP TABLE t", Engine.SQLITE, allow_writes=True).ok
    nested = "WITH d AS (DELETE FROM t RETURNING *) INSERT INTO u SELECT * FROM d"
    assert not screen_query(nested, Engine.POSTGRES, allow_writes=True).ok


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE t (a INT PRIMARY KEY, b VARCHAR(10))",
        "CREATE INDEX ix ON t (b)",
        "INSERT INTO t (a, b) VALUES (1, 'x')",
    ],
)
def test_fixture_ddl_allows_tables_indexes_and_inserts(sql: str) -> None:
    assert screen_fixture_statement(sql, Engine.MYSQL).ok


@pytest.mark.parametrize(
    ("sql", "error_class"),
    [
        ("CREATE VIEW v AS SELECT 1", ErrorClass.FORBIDDEN),
        ("CREATE TABLE t AS SELECT 1 AS a", ErrorClass.FORBIDDEN),
        ("CREATE TEMPORARY TABLE t (a INT)", ErrorClass.FORBIDDEN),
        ("CREATE TABLE t (a INT) ENGINE=MyISAM", ErrorClass.FORBIDDEN),
        ("CREATE TABLE other.t (a INT)", ErrorClass.FORBIDDEN),
        ("DROP TABLE t", ErrorClass.FORBIDDEN),
        ("INSERT INTO t SELECT SLEEP(10)", ErrorClass.FORBIDDEN),
        ("CREATE TABL t (a INT)", ErrorClass.SYNTAX),
    ],
)
def test_fixture_ddl_rejects_the_rest(sql: str, error_class: ErrorClass) -> None:
    assert screen_fixture_statement(sql, Engine.MYSQL).error_class is error_class


def test_denied_function_names() -> None:
    assert is_denied_function("PG_READ_FILE") and is_denied_function("lo_export")
    assert is_denied_function("benchmark") and is_denied_function("dblink_exec")
    assert not is_denied_function("pg_typeof") and not is_denied_function("coalesce")
