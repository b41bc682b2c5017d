"""Issue 14: the screen bounds the strings a statement can build, so no call the engines cannot
interrupt (PostgreSQL strpos, MariaDB LOCATE/LIKE, SQLite instr over tens of kB) ever starts.

Unit cases read each statement as its engine does; the engine cases run the original runaway
records on all three engines and check that nothing of theirs runs on the servers afterwards.
"""

from __future__ import annotations

import pytest

from proto.common import Engine, Level
from proto.sample import ErrorClass, TableRows
from shared.engines.base import SqlEngine
from shared.engines.fixture import Fixture
from shared.engines.sandbox import screen_fixture_statement, screen_query
from shared.engines.settings import EngineSettings
from shared.engines.strings import MAX_SEARCH_WORK, MAX_VALUE_CHARS, round_column_chars
from shared.engines.validator import Validator
from tests.engines.admin import fetch_mysql, fetch_pg
from tests.engines.conftest import ALL, make_staff_fixture

PG, MY, LITE = Engine.POSTGRES, Engine.MYSQL, Engine.SQLITE

# (engine, statement, words of the refusal)
REFUSED = [
    (PG, "SELECT strpos(repeat('a', 80000), 'b' || repeat('a', 40000))", "80000 x 40001"),
    (MY, "SELECT LOCATE(CONCAT('b', REPEAT('a', 40000)), REPEAT('a', 80000))", "80000 x 40001"),
    (MY, "SELECT SPACE(100000) LIKE CONCAT('%', SPACE(50000), 'x')", "100000 x 50002"),
    (LITE, "SELECT instr(hex(zeroblob(50000)), '1' || hex(zeroblob(20000)))", "100002 x 40003"),
    (PG, "SELECT repeat('*', rating) FROM emp", "count that is not a literal number"),
    (MY, "SELECT LPAD(name, salary, '0') FROM emp", "count that is not a literal number"),
    (MY, "SELECT SPACE(id) FROM emp", "count that is not a literal number"),
    (LITE, "SELECT zeroblob(id) FROM emp", "count that is not a literal number"),
    (PG, "SELECT format('%*s', 100000, 'a')", "width that is not a literal number"),
    (LITE, "SELECT printf('%.*c', 100000, 'x')", "width that is not a literal number"),
    (LITE, "SELECT printf(name, 1) FROM emp", "format that is not a literal string"),
    (PG, "SELECT 'a'::char(2000000)", "2000000 characters"),
    (PG, "SELECT repeat(name, 100000) FROM emp", "6400000 characters"),
    (
        PG,
        "WITH RECURSIVE r(n, s) AS (SELECT 1, 'a' UNION ALL SELECT n + 1, s || 'a' FROM r "
        "WHERE n < 100000) SELECT max(length(s)) FROM r",
        "grows at each step of the recursive query r (column s)",
    ),
    (
        MY,
        "WITH RECURSIVE r(n, s) AS (SELECT 1, CAST('a' AS CHAR(10)) UNION ALL "
        "SELECT n + 1, CONCAT(s, s) FROM r WHERE n < 30) SELECT MAX(LENGTH(s)) FROM r",
        "grows at each step",
    ),
    (
        PG,
        "SELECT strpos(s, 'b') FROM (SELECT string_agg(name, '') AS s FROM emp) AS q",
        "searches a string an aggregate built",
    ),
    # Through derived tables, CTEs, VALUES and SELECT *: a column keeps the bound of what
    # defined it.
    (
        PG,
        "WITH a AS (SELECT repeat('a', 8000) AS s) SELECT strpos(x.s, x.s) "
        "FROM (SELECT * FROM a) AS x",
        "8000 x 8000",
    ),
    (PG, "SELECT strpos(v.s, v.s) FROM (VALUES (repeat('a', 9000))) AS v(s)", "9000 x 9000"),
    (
        PG,
        "WITH a AS (SELECT repeat('ab', 2000) AS s), b AS (SELECT s || s || s AS t FROM a) "
        "SELECT name FROM emp WHERE (SELECT t FROM b) LIKE (SELECT t FROM b)",
        "12000 x 12000",
    ),
    (
        PG,
        "SELECT replace(replace(name, 'a', repeat('a', 1000)), 'a', repeat('a', 1000)) FROM emp",
        "characters, over",
    ),
    (PG, "UPDATE emp SET name = repeat(name, 100000) WHERE id = 1", "6400000 characters"),
    # Encodings compound: eight hex() of 1,000 bytes are 512,000 characters.
    (
        LITE,
        "SELECT instr(hex(hex(hex(hex(hex(hex(hex(hex(zeroblob(1000))))))))), "
        "hex(hex(hex(zeroblob(1000)))))",
        "string searches over up to",
    ),
    (
        MY,
        "SELECT LOCATE(TO_BASE64(HEX(s)), JSON_QUOTE(s)) FROM (SELECT REPEAT('a', 3000) AS s) AS q",
        "18002 x 12006",
    ),
    # Split into characters and joined again with a separator: each character gains one.
    (
        PG,
        "SELECT strpos(array_to_string(string_to_array(s, NULL), repeat('x', 100)), s) "
        "FROM (SELECT repeat('a', 5000) AS s) AS q",
        "505000 x 5000",
    ),
    # The SELECT's own aliases, which MySQL's HAVING and SQLite's WHERE may name.
    (MY, "SELECT REPEAT('a', 8000) AS s FROM emp HAVING LOCATE(s, s) > 0", "8000 x 8000"),
    (LITE, "SELECT printf('%8000d', 1) AS s FROM emp WHERE instr(s, s) > 0", "8007 x 8007"),
]
PASSES = [
    (PG, "SELECT lpad(CAST(id AS TEXT), 5, '0'), rpad(name, 20) FROM emp"),
    (MY, "SELECT LPAD(id, 5, '0'), SPACE(3), REPEAT('-', 10) FROM emp"),
    (LITE, "SELECT printf('%05d', id), replace(name, 'a', 'b') FROM emp"),
    (PG, "SELECT name FROM emp WHERE name LIKE '%An%' OR strpos(name, 'e') > 0"),
    (MY, "SELECT name FROM emp WHERE LOCATE('e', name) > 0 AND name LIKE CONCAT('%', 'n')"),
    (PG, "SELECT dept_id, string_agg(name, ', ') FROM emp GROUP BY dept_id"),
    (MY, "SELECT dept_id, GROUP_CONCAT(name) FROM emp GROUP BY dept_id"),
    (
        PG,
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) "
        "SELECT n FROM r",
    ),
    (
        PG,
        "WITH RECURSIVE r(id, name) AS (SELECT id, name FROM emp WHERE id = 1 UNION ALL "
        "SELECT e.id, e.name FROM emp AS e JOIN r ON e.id = r.id + 1) SELECT * FROM r",
    ),
    (PG, "SELECT e.name || ' (' || d.name || ')' FROM emp AS e JOIN dept AS d ON d.id = e.dept_id"),
    (LITE, "UPDATE emp SET name = name || '!' WHERE id = 1"),
]


@pytest.mark.parametrize(("engine", "sql", "words"), REFUSED)
def test_statements_that_could_build_runaway_strings_are_refused(
    engine: Engine, sql: str, words: str
) -> None:
    screened = screen_query(sql, engine, allow_writes=True)
    assert screened.error_class is ErrorClass.FORBIDDEN, screened
    assert screened.message and screened.message.startswith("sandbox: "), screened
    assert words in screened.message


@pytest.mark.parametrize(("engine", "sql"), PASSES)
def test_ordinary_string_work_passes(engine: Engine, sql: str) -> None:
    screened = screen_query(sql, engine, allow_writes=True)
    assert screened.ok, screened


def test_the_screen_reads_concatenation_as_each_engine_does() -> None:
    # MySQL's || is OR (no PIPES_AS_CONCAT): no string is built there, one of 40,001 here.
    sql = "SELECT strpos(repeat('a', 80000), 'b' || repeat('a', 40000)) > 0"
    assert screen_query(sql, MY).ok
    refused = screen_query(sql, PG)
    assert refused.error_class is ErrorClass.FORBIDDEN and "80000 x 40001" in str(refused.message)


def test_searches_over_columns_are_judged_by_the_fixture_values() -> None:
    sql = "SELECT strpos(a.name, b.name) FROM emp AS a, emp AS b"
    assert screen_query(sql, PG, column_chars=round_column_chars(40)).ok
    # 8,192-character values: 67 M comparisons a call, past the budget.
    assert round_column_chars(5000) ** 2 > MAX_SEARCH_WORK
    refused = screen_query(sql, PG, column_chars=round_column_chars(5000))
    assert refused.error_class is ErrorClass.FORBIDDEN and "8192 x 8192" in str(refused.message)


def test_fixture_statements_cannot_store_unbounded_strings() -> None:
    too_long = f"INSERT INTO t (v) VALUES (repeat('a', {MAX_VALUE_CHARS + 1}))"
    refused = screen_fixture_statement(too_long, PG)
    assert refused.error_class is ErrorClass.TOO_LARGE, refused
    aggregated = "INSERT INTO t (v) SELECT string_agg(v, '') FROM t"
    assert screen_fixture_statement(aggregated, PG).error_class is ErrorClass.TOO_LARGE
    literal = "INSERT INTO t (v) VALUES ('" + "x" * (MAX_VALUE_CHARS + 1) + "')"
    assert screen_fixture_statement(literal, MY).error_class in (
        ErrorClass.TOO_LARGE,
        ErrorClass.FORBIDDEN,  # also longer than a statement may be
    )
    # A count that is not a literal is a refused form, not a size.
    counted = screen_fixture_statement("INSERT INTO t (v) SELECT repeat('a', id) FROM t", PG)
    assert counted.error_class is ErrorClass.FORBIDDEN, counted
    ok = screen_fixture_statement("INSERT INTO t (v) VALUES (repeat('a', 100))", PG)
    assert ok.ok and ok.longest_string == 100


# A DDL statement that stores a string of 9,000 characters, in each engine's own words.
BUILT_IN_DDL = {
    LITE: "replace(hex(zeroblob(4500)), '0', 'a')",
    PG: "repeat('a', 9000)",
    MY: "REPEAT('a', 9000)",
}


def wide_fixture(tag: str, chars: int, engine: Engine = LITE, *, in_ddl: bool = False) -> Fixture:
    """One table whose `v` holds strings of `chars` characters, as rows or built in the DDL."""
    ddl = f"-- {tag}\nCREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
    if in_ddl:
        insert = f"\nINSERT INTO t (id, v) VALUES (1, {BUILT_IN_DDL[engine]}), (2, 'b');"
        return Fixture(ddl + insert, dialect=engine)
    rows = TableRows(table="t", columns=["id", "v"], values=[[1, "a" * chars], [2, "b"]])
    return Fixture(ddl, rows=(rows,))


@pytest.mark.engines
async def test_runaway_records_end_refused_at_once_and_nothing_runs_on_the_servers(
    validator: Validator, engine_settings: EngineSettings
) -> None:
    fixture = make_staff_fixture("runaway-strings")
    records = [
        "SELECT strpos(repeat('a', 80000), 'b' || repeat('a', 40000))",
        "SELECT LOCATE(CONCAT('b', REPEAT('a', 40000)), REPEAT('a', 80000))",
        "SELECT instr(replace(hex(zeroblob(1000000)), '0', 'a'), 'b')",
    ]
    for sql in records:
        validation, _ = await validator.validate(fixture, sql, sql_dialect=PG)
        refused = [c for c in validation.checks if not c.ok]
        assert refused, validation.checks
        for check in refused:
            assert check.error_class is not ErrorClass.TIMEOUT, check
            if check.error_class is ErrorClass.FORBIDDEN:
                # Refused before anything ran: no time spent, nothing sent to a server.
                assert check.elapsed_ms == 0.0 and "sandbox:" in str(check.message), check
        assert {c.engine for c in refused if c.error_class is ErrorClass.FORBIDDEN} >= {PG}
    query = f"{engine_settings.sandbox_prefix}_query"
    pg = await fetch_pg(
        engine_settings,
        "SELECT count(*) FROM pg_stat_activity WHERE usename = $1 AND state <> 'idle'",
        query,
    )
    my = await fetch_mysql(
        engine_settings,
        "SELECT count(*) FROM information_schema.processlist WHERE user = %s "
        "AND command <> 'Sleep'",
        query,
    )
    assert int(pg[0][0]) == 0 and int(my[0][0]) == 0


@pytest.mark.engines
@pytest.mark.parametrize("engine", ALL)
async def test_a_fixture_with_a_value_past_the_cap_is_too_large(
    engines: dict[Engine, SqlEngine], engine: Engine
) -> None:
    check = await engines[engine].check_fixture(wide_fixture("cap", MAX_VALUE_CHARS + 1))
    assert check.error_class is ErrorClass.TOO_LARGE, check
    assert f"over {MAX_VALUE_CHARS}" in str(check.message)


@pytest.mark.engines
@pytest.mark.parametrize("engine", ALL)
async def test_values_built_by_the_fixture_bound_the_searches_over_them(
    engines: dict[Engine, SqlEngine], engine: Engine
) -> None:
    runner = engines[engine]
    search = "SELECT COUNT(*) FROM t AS a, t AS b WHERE a.v LIKE b.v"
    small = await runner.check(wide_fixture("small", 100), search, Level.FULL)
    assert small.ok, small
    # 9,000-character values, given as rows or built by the DDL: a search of one by another
    # is refused before it runs.
    built = wide_fixture("built", 9000, engine, in_ddl=True)
    for fixture in (wide_fixture("rows", 9000), built):
        wide = await runner.check(fixture, search, Level.FULL)
        assert wide.error_class is ErrorClass.FORBIDDEN, wide
        assert "16384 x 16384" in str(wide.message)
