"""Fixture keys, statement splitting and per-engine rendering (pure, no servers)."""

from __future__ import annotations

import pytest
import sqlglot

from proto.common import Complexity, Engine, PromptStyle, TaskType
from proto.sample import Draft, TableRows
from shared.engines.fixture import Fixture, fixture_from_draft
from shared.engines.reading import engine_dialect, read_sql
from shared.engines.render import (
    FixtureRenderError,
    plan_fixture,
    render_fixture,
    render_sql,
    split_statements,
)
from shared.record_scope import record_scope
from shared.sql.dialects import sqlglot_dialect

ROWS = (TableRows(table="t", columns=["a", "b"], values=[[1, "x"], [2, None]]),)


def test_key_is_stable_and_content_addressed() -> None:
    one = Fixture("CREATE TABLE t (a INT, b TEXT)", Engine.SQLITE, ROWS)
    same = Fixture("CREATE TABLE t (a INT, b TEXT)", Engine.SQLITE, ROWS)
    other_rows = Fixture("CREATE TABLE t (a INT, b TEXT)", Engine.SQLITE, ())
    other_dialect = Fixture("CREATE TABLE t (a INT, b TEXT)", Engine.MYSQL, ROWS)
    assert one.key == same.key and one == same and hash(one) == hash(same)
    assert len({one.key, other_rows.key, other_dialect.key}) == 3


def test_fixture_from_draft_carries_ddl_dialect_and_rows() -> None:
    draft = Draft(
        domain="d",
        schema_ddl="CREATE TABLE t (a INT, b TEXT)",
        rows=list(ROWS),
        sql="SELECT 1",
        sql_dialect=Engine.POSTGRES,
        question="q",
        prompt_style=PromptStyle.DIRECT,
        explanation="e",
        task_type=TaskType.RETRIEVAL,
        complexity=Complexity.EASY,
    )
    fixture = fixture_from_draft(draft)
    assert (fixture.ddl, fixture.dialect, fixture.rows) == (draft.schema_ddl, Engine.POSTGRES, ROWS)


def test_split_keeps_semicolons_inside_strings() -> None:
    script = (
        "CREATE TABLE t (a TEXT);\nINSERT INTO t VALUES ('a;b'); -- done;\n"
        ";INSERT INTO t VALUES ('c')"
    )
    parts = split_statements(script, Engine.SQLITE)
    assert parts == [
        "CREATE TABLE t (a TEXT)",
        "INSERT INTO t VALUES ('a;b')",
        "INSERT INTO t VALUES ('c')",
    ]


@pytest.mark.parametrize("engine", list(Engine))
def test_render_sql_is_identity_for_the_same_engine(engine: Engine) -> None:
    odd = "select  IFNULL(a , 0)   from t -- keep me"
    assert render_sql(odd, engine, engine) == odd


def test_render_sql_transpiles_functions() -> None:
    sql = "SELECT IFNULL(name, '-') FROM emp"
    assert "COALESCE" in render_sql(sql, Engine.SQLITE, Engine.POSTGRES).upper()
    # Output parses in the target dialect.
    for target in (Engine.POSTGRES, Engine.MYSQL):
        sqlglot.parse_one(render_sql(sql, Engine.SQLITE, target), read=sqlglot_dialect(target))


def test_render_sql_returns_unparseable_text_unchanged() -> None:
    assert render_sql("SELEC * FRM", Engine.SQLITE, Engine.POSTGRES) == "SELEC * FRM"


def test_postgres_gets_varchar_and_decimal_for_mysql_type_parameters() -> None:
    fixture = Fixture("CREATE TABLE Song (Title TEXT(30), Genre TEXT, Price FLOAT(10, 2))")
    (pg,) = render_fixture(fixture, Engine.POSTGRES)
    assert "VARCHAR(30)" in pg and "TEXT(30)" not in pg
    assert "DECIMAL(10, 2)" in pg and "Genre TEXT" in pg


def test_mysql_gets_varchar_for_keyed_text_columns() -> None:
    fixture = Fixture("CREATE TABLE c (code TEXT PRIMARY KEY, note TEXT, tag TEXT, UNIQUE (tag))")
    (my,) = render_fixture(fixture, Engine.MYSQL)
    tree = sqlglot.parse_one(my, read="mysql")
    types = {c.name: c.args["kind"].sql("mysql") for c in tree.find_all(sqlglot.exp.ColumnDef)}
    assert types == {"code": "VARCHAR(255)", "note": "TEXT", "tag": "VARCHAR(255)"}


def test_same_dialect_keeps_the_original_statement_text() -> None:
    ddl = "CREATE TABLE t (a   INTEGER PRIMARY KEY AUTOINCREMENT);INSERT INTO t VALUES (1)"
    assert render_fixture(Fixture(ddl), Engine.SQLITE) == [
        "CREATE TABLE t (a   INTEGER PRIMARY KEY AUTOINCREMENT)",
        "INSERT INTO t VALUES (1)",
    ]


@pytest.mark.parametrize(
    ("engine", "marks"),
    [(Engine.SQLITE, "?, ?"), (Engine.POSTGRES, "$1, $2"), (Engine.MYSQL, "%s, %s")],
)
def test_row_inserts_use_the_driver_placeholders_and_ddl_spelling(
    engine: Engine, marks: str
) -> None:
    fixture = Fixture(
        'CREATE TABLE "order" (id INT, "group" TEXT)',
        rows=(TableRows(table="order", columns=["id", "group"], values=[[1, "a"]]),),
    )
    plan = plan_fixture(fixture, engine)
    (insert,) = plan.inserts
    quote = "`" if engine is Engine.MYSQL else '"'
    assert (
        insert.sql == f"INSERT INTO {quote}order{quote} (id, {quote}group{quote}) VALUES ({marks})"
    )
    assert insert.rows == ((1, "a"),)
    assert plan.tables == (f"{quote}order{quote}",)


def test_unparseable_ddl_cannot_be_rendered_for_another_engine() -> None:
    with pytest.raises(FixtureRenderError):
        render_fixture(Fixture("CREATE TABLE t (a INT"), Engine.POSTGRES)


def test_rendering_for_other_engines_reads_a_create_once_and_leaves_its_reading_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """#23: each target gets its own copy of the statement's one reading (not a second parse),
    and the target's fixups (unquoting, TEXT keys widened for MySQL) never reach the reading
    the SQLite screen and the name search share."""
    ddl = 'CREATE TABLE "Shop" ("Code" TEXT PRIMARY KEY, price REAL)'
    source = engine_dialect(Engine.SQLITE)
    parses: list[str] = []
    real = source.parse

    def counted(sql: str, **opts: object) -> object:
        parses.append(sql)
        return real(sql, **opts)  # type: ignore[arg-type]

    monkeypatch.setattr(source, "parse", counted)
    with record_scope():
        shared = read_sql(ddl, Engine.SQLITE).first
        assert shared is not None
        before = shared.sql()
        postgres = plan_fixture(Fixture(ddl, Engine.SQLITE), Engine.POSTGRES).statements
        mysql = plan_fixture(Fixture(ddl, Engine.SQLITE), Engine.MYSQL).statements
        assert shared.sql() == before  # the reading is as it was
        assert read_sql(ddl, Engine.SQLITE).first is shared
    assert parses == []  # neither target parsed the statement again
    # the targets got their fixups: names unquoted where safe, the TEXT key widened
    assert mysql[0].startswith("CREATE TABLE Shop (Code VARCHAR(255)")
    assert postgres[0].startswith("CREATE TABLE Shop (Code TEXT")
    assert '"Shop"' in before and '"Code"' in before
