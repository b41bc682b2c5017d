"""One reading per fixture statement (pure): the renderer and the screen share it, and DDL
written for another engine is screened on the tree it was written from while its text is
still checked token by token as that engine lexes it."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from proto.common import Engine
from proto.sample import ErrorClass
from shared.engines.fixture import Fixture
from shared.engines.reading import read_sql
from shared.engines.render import plan_fixture, render_statement
from shared.engines.sandbox import screen_fixture_statement
from shared.record_scope import record_scope

OTHERS = [Engine.POSTGRES, Engine.MYSQL]


def test_a_text_is_read_once_per_engine_within_a_record() -> None:
    text = "CREATE TABLE reading_once (a INT)"
    with record_scope():
        assert read_sql(text, Engine.SQLITE) is read_sql(text, Engine.SQLITE)
        assert read_sql(text, Engine.SQLITE) is not read_sql(text, Engine.POSTGRES)
    # The next record reads it again (test_record_scope.py).
    assert read_sql(text, Engine.SQLITE) is not read_sql(text, Engine.SQLITE)


def test_the_reading_gives_the_screen_its_verdicts() -> None:
    reading = read_sql("SELECT 1 /*! , 2 */", Engine.MYSQL)
    assert reading.lexical is not None  # an executable comment: refused in the gap check
    assert read_sql("SELECT 'a", Engine.SQLITE).tokenize_error is not None
    assert read_sql("SELECT FROM WHERE (", Engine.POSTGRES).parse_error is not None


@pytest.mark.parametrize("target", OTHERS)
def test_rendering_for_another_engine_leaves_the_shared_reading_as_it_was(target: Engine) -> None:
    text = 'CREATE TABLE "Shared" ("total" TEXT(20), "note" FLOAT(6, 2))'
    with record_scope():
        _render_beside_the_shared_reading(text, target)


def _render_beside_the_shared_reading(text: str, target: Engine) -> None:
    before = read_sql(text, Engine.SQLITE).first
    assert before is not None
    written = before.sql(dialect="sqlite")
    rendered, tree = render_statement(text, Engine.SQLITE, target)
    assert rendered.origin == (text, Engine.SQLITE)
    assert rendered.written_from(target) is tree is not None
    assert tree is not before
    assert read_sql(text, Engine.SQLITE).first is before
    assert before.sql(dialect="sqlite") == written  # no fixup reached the cached tree
    assert all(i.quoted for i in before.find_all(exp.Identifier))


def test_same_dialect_statements_are_run_as_written() -> None:
    text = "CREATE TABLE t (a INT)  -- kept"
    with record_scope():
        rendered, tree = render_statement(text, Engine.SQLITE, Engine.SQLITE)
        assert rendered.sql == text and rendered.origin is None
        assert rendered.written_from(Engine.SQLITE) is None
        assert tree is read_sql(text, Engine.SQLITE).first


@pytest.mark.parametrize("target", OTHERS)
def test_the_tree_a_statement_was_written_from_is_screened(target: Engine) -> None:
    # Plans keep text only; the tree comes back from the record's scope, or is rebuilt the same
    # (another record, or none).
    fixture = Fixture(
        "CREATE TABLE t (a TEXT);\nINSERT INTO t VALUES (load_extension('x'));",
        dialect=Engine.SQLITE,
    )
    plan = plan_fixture(fixture, target)
    verdicts = [
        screen_fixture_statement(s.sql, target, written_from=s.written_from(target))
        for s in plan.rendered
    ]
    assert all(s.written_from(target) is not None for s in plan.rendered)
    with record_scope():
        assert all(s.written_from(target) is not None for s in plan.rendered)
    assert verdicts[0].ok
    assert verdicts[1].error_class is ErrorClass.FORBIDDEN
    assert "load_extension" in (verdicts[1].message or "")


@pytest.mark.parametrize(
    ("engine", "text", "error_class"),
    [
        # The text that runs is still lexed the engine's way, whatever the tree says.
        (Engine.MYSQL, "CREATE TABLE t (a INT) /*! , b INT */", ErrorClass.FORBIDDEN),
        (Engine.MYSQL, "CREATE TABLE t (a INT) /*+ SET_VAR(x = 1) */", ErrorClass.FORBIDDEN),
        (Engine.MYSQL, "CREATE TABLE t (a VARCHAR(9) DEFAULT 'x\\')", ErrorClass.SYNTAX),
        # A second statement in the text, though the tree holds one.
        (Engine.POSTGRES, "CREATE TABLE t (a INT); DROP TABLE u", ErrorClass.FORBIDDEN),
        (Engine.MYSQL, "CREATE TABLE t (a INT);;", None),
    ],
)
def test_the_written_text_is_checked_token_by_token(
    engine: Engine, text: str, error_class: ErrorClass | None
) -> None:
    tree = sqlglot.parse_one("CREATE TABLE t (a INT)")
    screened = screen_fixture_statement(text, engine, written_from=tree)
    assert screened.error_class is error_class, screened.message
    if error_class is None:
        assert screened.expression is tree
