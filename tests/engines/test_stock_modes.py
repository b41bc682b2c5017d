"""MySQL checks run under MySQL 8's stock sql_mode and a case-insensitive collation, and the
screen reads SQL exactly as each engine does under those modes (issues 14 §1 and 15)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlglot import exp

from proto.common import Engine, Level
from proto.sample import DisagreementKind, ErrorClass, TableRows
from shared.engines.base import SqlEngine
from shared.engines.fixture import Fixture
from shared.engines.mysql import MysqlEngine
from shared.engines.provision import MYSQL_SQL_MODE, build_session_settings, detect_flavour
from shared.engines.sandbox import screen_fixture_statement, screen_query
from shared.engines.settings import EngineSettings
from shared.engines.validator import Validator
from tests.engines.admin import fetch_mysql
from tests.engines.conftest import make_staff_fixture

pytestmark = pytest.mark.engines


MYSQL, PG, LITE = Engine.MYSQL, Engine.POSTGRES, Engine.SQLITE
MYSQL8_DEFAULT_MODE = {
    "ONLY_FULL_GROUP_BY",
    "STRICT_TRANS_TABLES",
    "NO_ZERO_IN_DATE",
    "NO_ZERO_DATE",
    "ERROR_FOR_DIVISION_BY_ZERO",
    "NO_ENGINE_SUBSTITUTION",
}


def test_session_mode_is_mysql8_default() -> None:
    assert set(MYSQL_SQL_MODE.split(",")) == MYSQL8_DEFAULT_MODE
    init = build_session_settings(detect_flavour("10.11.19-MariaDB"), EngineSettings())
    assert "ANSI_QUOTES" not in init
    assert "utf8mb4_uca1400_nopad_ai_ci" in init


# --- the screen: text an engine reads differently from sqlglot is refused ------------------

REFUSED_READINGS = [
    # A backslash in a quoted identifier: MariaDB under ANSI_QUOTES read `"a\"` as a name.
    (MYSQL, "SELECT `a\\` FROM t -- `, (SELECT k FROM sx_x.secrets)"),
    (LITE, 'SELECT "a\\" FROM t'),
    (PG, 'SELECT "a\\" FROM t'),
    # Characters sqlglot skips as blanks but no engine does.
    (MYSQL, "SELECT 1\u00a0FROM t"),
    (PG, "SELECT \x85 1"),
    # Optimizer hints: MySQL 8 runs SET_VAR, MariaDB reads a comment.
    (MYSQL, "SELECT /*+ SET_VAR(sql_mode='ANSI_QUOTES') */ 1"),
    # Executable comments.
    (MYSQL, "SELECT 1 /*!99999 , SLEEP(9) */"),
    (MYSQL, "SELECT 1 /*M! , SLEEP(9) */"),
    # User and server variables, user-level locks, LAST_INSERT_ID(expr): session state.
    (MYSQL, "SELECT @x"),
    (MYSQL, "SELECT @@secure_file_priv"),
    (MYSQL, "SELECT GET_LOCK('sx_0123456789abcdef', 0)"),
    (MYSQL, "SELECT IS_USED_LOCK('x')"),
    (MYSQL, "SELECT LAST_INSERT_ID(5)"),
    (PG, "SELECT LAST_INSERT_ID(5)"),
]


@pytest.mark.parametrize(("engine", "sql"), REFUSED_READINGS)
def test_text_read_differently_or_touching_session_state_is_refused(
    engine: Engine, sql: str
) -> None:
    screened = screen_query(sql, engine)
    assert screened.error_class is ErrorClass.FORBIDDEN, screened
    assert (screened.message or "").startswith("sandbox: ")


@pytest.mark.parametrize(
    ("engine", "sql"),
    [
        (MYSQL, "SELECT 1--1"),  # MySQL: 1 - -1, and sqlglot reads the same
        (MYSQL, "SELECT a FROM t -- a comment\nWHERE a > 1"),
        (MYSQL, "SELECT a FROM t # a comment\nWHERE a > 1"),
        (MYSQL, "SELECT 'it''s', 'a\\'b', \"say \\\"hi\\\"\", `odd``name` FROM t"),
        (MYSQL, "SELECT N'x', X'41', _utf8mb4'a', b'1'"),
        (PG, "SELECT E'a\\'b', 'c\\', $$x$$, U&'d' FROM t /* a /* nested */ comment */"),
        (PG, "SELECT 1 -- PostgreSQL ends a comment at CR too\rFROM t"),
        # Nested block comments: each engine and sqlglot's dialect agree on (not) nesting.
        (MYSQL, "SELECT 1 /* /* */ FROM t"),
        (LITE, 'SELECT [a b], `c`, "d" FROM t /* c */'),
    ],
)
def test_text_read_alike_passes(engine: Engine, sql: str) -> None:
    assert screen_query(sql, engine).ok, screen_query(sql, engine)


@pytest.mark.parametrize(
    "ddl",
    [
        "CREATE TABLE t (a INT) ENGINE=MyISAM",
        "CREATE TABLE t (a INT) ENGINE=Aria",
        "CREATE TABLE t (a INT) ENGINE=InnoDB DATA DIRECTORY='/tmp'",
        "CREATE TABLE t (a INT) ENGINE=InnoDB INDEX DIRECTORY='/tmp'",
        "CREATE TABLE t (a INT) CONNECTION='mysql://root@127.0.0.1/mysql/user'",
        "CREATE TABLE t (a INT) ENGINE=InnoDB STATS_PERSISTENT=0",
    ],
)
def test_fixture_table_options_beyond_innodb_basics_are_refused(ddl: str) -> None:
    screened = screen_fixture_statement(ddl, MYSQL)
    assert screened.error_class in (ErrorClass.FORBIDDEN, ErrorClass.SYNTAX), screened


def test_plain_innodb_table_options_pass() -> None:
    ddl = "CREATE TABLE t (a INT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='x'"
    assert screen_fixture_statement(ddl, MYSQL).ok


@pytest.mark.parametrize(
    ("sql", "writes"),
    [
        ("DELETE FROM t WHERE a = 1 RETURNING a", True),
        ("SELECT a FROM t ORDER BY a FETCH FIRST 1 ROWS ONLY", False),
    ],
)
def test_mariadb_only_syntax_is_not_valid_on_mysql(sql: str, writes: bool) -> None:
    screened = screen_query(sql, MYSQL, allow_writes=writes)
    assert screened.error_class is ErrorClass.SYNTAX
    assert "MySQL 8" in (screened.message or "")


# --- both readings, on the live engines -------------------------------------------------------


async def test_double_quotes_are_a_string_on_mysql_and_a_name_elsewhere(
    engines: dict[Engine, SqlEngine],
) -> None:
    fixture = make_staff_fixture("stock-quotes")
    quoted = await engines[MYSQL].check(fixture, 'SELECT "name" FROM dept ORDER BY id', Level.FULL)
    literal = await engines[MYSQL].check(fixture, "SELECT 'name' FROM dept ORDER BY id", Level.FULL)
    column = await engines[MYSQL].check(fixture, "SELECT `name` FROM dept ORDER BY id", Level.FULL)
    on_sqlite = await engines[LITE].check(
        fixture, 'SELECT "name" FROM dept ORDER BY id', Level.FULL
    )
    assert quoted.ok and literal.ok and column.ok and on_sqlite.ok
    assert quoted.digest == literal.digest != column.digest
    assert on_sqlite.digest == column.digest


async def test_the_backslash_quote_trick_reads_as_one_string_on_both_sides(
    engines: dict[Engine, SqlEngine], engine_settings: EngineSettings
) -> None:
    """`"a\\"` once hid the rest of a statement from the screen (ANSI_QUOTES made it a name
    for MariaDB). Under stock modes the engine and the screen read the same string."""
    sql = 'SELECT id FROM dept WHERE name <> "a\\" OR (SELECT k FROM sx_other.secrets) -- "'
    screened = screen_query(sql, MYSQL)
    assert screened.ok
    assert screened.expression is not None
    literal = screened.expression.find(exp.Literal)
    assert isinstance(literal, exp.Literal) and "sx_other.secrets" in literal.this
    bare = MysqlEngine(engine_settings, screen=False)
    await bare.start()
    try:
        fixture = make_staff_fixture("stock-trick")
        for engine in (engines[MYSQL], bare):
            check = await engine.check(fixture, sql, Level.FULL)
            assert check.ok and check.row_count == 3, check  # a string compare, nothing else
    finally:
        await bare.close()


async def test_engine_side_refuses_other_storage_engines_and_directories(
    engine_settings: EngineSettings, tmp_path: Path
) -> None:
    """The screen switched off: the server itself refuses what the screen refuses first."""
    outside = tmp_path / "outside"
    outside.mkdir()
    outside.chmod(0o777)
    bare = MysqlEngine(engine_settings, screen=False)
    await bare.start()
    try:
        for ddl in (
            "CREATE TABLE t (a INT) ENGINE=MyISAM",
            "CREATE TABLE t (a INT) ENGINE=Aria",
            "CREATE TABLE t (a INT) ENGINE=MEMORY",
            f"CREATE TABLE t (a INT) ENGINE=MyISAM DATA DIRECTORY='{outside}'",
            f"CREATE TABLE t (a INT) ENGINE=InnoDB DATA DIRECTORY='{outside}'",
        ):
            check = await bare.check_fixture(Fixture(ddl=ddl, dialect=MYSQL))
            assert not check.ok, ddl
            assert check.error_class in (ErrorClass.SCHEMA, ErrorClass.FORBIDDEN), check
        assert list(outside.iterdir()) == []
        rows = await fetch_mysql(
            engine_settings,
            "SELECT COUNT(*) FROM information_schema.tables "
            "WHERE table_schema LIKE 'sx\\_%%' AND engine <> 'InnoDB'",
        )
        assert rows[0][0] == 0
    finally:
        await bare.close()


# --- comparing under a case- and accent-insensitive collation -------------------------------


async def test_case_insensitive_match_is_a_typed_disagreement(validator: Validator) -> None:
    fixture = make_staff_fixture("stock-collation")
    validation, _ = await validator.validate(fixture, "SELECT id FROM emp WHERE name = 'ann'")
    counts = {c.engine: c.row_count for c in validation.checks}
    assert counts == {LITE: 0, PG: 0, MYSQL: 1}
    assert validation.results_agree is False
    assert validation.disagreement is not None
    assert validation.disagreement.kinds == [DisagreementKind.TEXT_COLLATION]
    assert sorted(map(sorted, validation.disagreement.groups)) == [[MYSQL], [PG, LITE]]
    assert "'Ann' = 'ann'" in validation.disagreement.examples


async def test_collation_is_no_pad_and_accent_insensitive(
    engines: dict[Engine, SqlEngine],
) -> None:
    fixture = make_staff_fixture("stock-pad")
    padded = await engines[MYSQL].check(
        fixture, "SELECT id FROM emp WHERE name = 'Ann '", Level.FULL
    )
    accent = await engines[MYSQL].check(
        fixture, "SELECT id FROM emp WHERE name = 'Ánn'", Level.FULL
    )
    assert padded.row_count == 0  # NO PAD, as MySQL 8's utf8mb4_0900_ai_ci
    assert accent.row_count == 1


async def test_null_ordering_is_named_when_postgres_stands_apart(validator: Validator) -> None:
    fixture = make_staff_fixture("stock-nulls")
    validation, _ = await validator.validate(fixture, "SELECT id FROM emp ORDER BY rating LIMIT 2")
    assert validation.results_agree is False
    assert validation.disagreement is not None
    assert DisagreementKind.NULL_ORDERING in validation.disagreement.kinds


async def test_mixed_case_names_resolve_as_on_sqlite(engines: dict[Engine, SqlEngine]) -> None:
    """BIRD's DDL quotes `"Date"`; its PostgreSQL and MySQL gold SQL writes `T2.Date`."""
    ddl = 'CREATE TABLE "Posts" ("Id" INTEGER PRIMARY KEY, "Date" DATE, "Comment" TEXT);'
    rows = TableRows(
        table="Posts", columns=["Id", "Date", "Comment"], values=[[1, "2024-01-02", "x"]]
    )
    fixture = Fixture(ddl=ddl, dialect=LITE, rows=(rows,))
    queries = {
        PG: "SELECT T2.Date, t2.COMMENT FROM posts AS T2 WHERE T2.Id = 1",
        MYSQL: "SELECT T2.Date, T2.comment FROM Posts AS T2 WHERE T2.id = 1",
        LITE: 'SELECT T2."DATE", T2.comment FROM POSTS AS T2 WHERE T2.id = 1',
    }
    checks = await asyncio.gather(
        *(engines[e].check(fixture, sql, Level.FULL) for e, sql in queries.items())
    )
    assert all(c.ok and c.row_count == 1 for c in checks), checks
    assert len({c.digest for c in checks}) == 1


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT `a\\` FROM dept",
        "SELECT id\u00a0FROM dept",
        "SELECT @x FROM dept",
        "SELECT GET_LOCK('sx_0123456789abcdef', 0) FROM dept",
        "SELECT LAST_INSERT_ID(5) FROM dept",
        "SELECT /*+ SET_VAR(sql_mode='ANSI_QUOTES') */ id FROM dept",
    ],
)
async def test_hostile_readings_end_as_a_clear_refusal_on_every_engine(
    validator: Validator, sql: str
) -> None:
    fixture = make_staff_fixture("stock-hostile")
    validation, _ = await validator.validate(fixture, sql)
    assert {c.engine for c in validation.checks} == {MYSQL, PG, LITE}
    for check in validation.checks:
        assert not check.ok and check.error_class in (ErrorClass.FORBIDDEN, ErrorClass.SYNTAX), (
            check
        )
