"""The six operators on real accepted records (tests/fixtures/evolution, from a template run):
every kept evolution runs on the record's rows, returns rows, changes the parent's result, is
worded in its question and passes the sense checks; feasibility is zero where an operator
cannot apply."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from proto.common import Engine, PromptStyle
from shared.engines.render import render_sql
from shared.evolution.context import EvolveContext, view_query
from shared.evolution.direction import DirectionConfig, OperatorTally
from shared.evolution.evolve import EvolvedDraft, EvolveLog
from shared.evolution.model import Change, ChangeKind, Operator
from shared.evolution.operators import score_feasibility
from shared.evolution.ops_clause import propose_join, propose_logic
from shared.evolution.ops_expr import propose_func
from shared.evolution.ops_nest import _cte, propose_set
from shared.evolution.parents import Parent, Skip, parent_from_record
from shared.evolution.step import evolve_parent
from shared.evolution.wording import reword_question
from shared.pipeline.records import sql_context
from shared.sense import Origin, SenseInput, analyse_record
from tests.conftest import FIXTURES

RECORDS = FIXTURES / "evolution" / "parents.jsonl"


def load_records(path: Path = RECORDS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def parents() -> list[Parent]:
    found = [parent_from_record(r) for r in load_records()]
    return [p for p in found if isinstance(p, Parent)]


@pytest.fixture(scope="module")
def evolved(parents: list[Parent]) -> list[EvolvedDraft]:
    """Every feasible operator tried on every parent (K = 6)."""
    config = DirectionConfig(top_k=6)
    out: list[EvolvedDraft] = []
    for parent in parents:
        out += evolve_parent(parent, OperatorTally(), config, random.Random(7), EvolveLog())
    return out


def test_records_round_trip_and_dml_is_skipped() -> None:
    records = load_records()
    outcomes = Counter(
        "ok" if isinstance(p := parent_from_record(r), Parent) else p.value for r in records
    )
    assert outcomes[Skip.MANIPULATION.value] == sum(
        r["sql_task_type"] == "data manipulation" for r in records
    )
    for record in records:
        parent = parent_from_record(record)
        if isinstance(parent, Parent):
            # DDL and rows parsed back render the same sql_context: the same fixture key.
            assert sql_context(parent.draft) == record["sql_context"]
    assert parent_from_record({"id": "x"}) is Skip.MALFORMED


def test_every_operator_evolves_some_record(evolved: list[EvolvedDraft]) -> None:
    kept = Counter(e.evolution.operator for e in evolved)
    assert set(kept) == set(Operator), kept


def test_each_evolution_runs_changes_the_result_and_makes_sense(
    evolved: list[EvolvedDraft],
) -> None:
    for item in evolved:
        parent, draft = item.parent.draft, item.draft
        with EvolveContext.open(draft.schema_ddl, tuple(draft.rows)) as ctx:
            before, after = ctx.run(parent.sql), ctx.run(draft.sql)
        assert after, draft.sql
        assert sorted(map(repr, after)) != sorted(map(repr, before or [])), draft.sql
        assert draft.question != parent.question
        report = analyse_record(
            SenseInput(
                question=draft.question,
                sql=draft.sql,
                schema_ddl=draft.schema_ddl,
                rows=tuple(draft.rows),
                origin=Origin.GENERATED,
                planned_style=draft.prompt_style,
            )
        )
        assert not report.errors, (draft.sql, draft.question, report.errors)
        assert item.blueprint.parent_id == item.parent.id
        assert item.blueprint.evolution == [item.evolution.operator]


def test_new_literals_are_named_in_the_question(evolved: list[EvolvedDraft]) -> None:
    for item in evolved:
        change = item.evolution.change
        for value in change.values:
            if isinstance(value, str) and change.kind is not ChangeKind.ADD_BAND:
                assert value in item.draft.question, (value, item.draft.question)


def test_operators_change_the_tree_as_the_paper_defines(evolved: list[EvolvedDraft]) -> None:
    def count(sql: str, node: type[sqlglot.exp.Expr]) -> int:
        return len(list(sqlglot.parse_one(sql, read="sqlite").find_all(node)))

    for item in evolved:
        before, after, op = item.parent.draft.sql, item.draft.sql, item.evolution.operator
        if op is Operator.JOIN:  # Eq. 6: one more JOIN subtree
            assert count(after, sqlglot.exp.Join) == count(before, sqlglot.exp.Join) + 1
        if op is Operator.NEST:  # Eq. 7: a value became a query (subquery or CTE)
            assert count(after, sqlglot.exp.Select) > count(before, sqlglot.exp.Select)
        if op is Operator.SET:  # Eq. 8: a set operator, or EXISTS / NOT EXISTS
            assert count(after, sqlglot.exp.Exists) + count(after, sqlglot.exp.Except) > count(
                before, sqlglot.exp.Exists
            ) + count(before, sqlglot.exp.Except)
        if op is Operator.FUNC:  # Eq. 3: a column inside a new function
            assert count(after, sqlglot.exp.Func) > count(before, sqlglot.exp.Func)


SINGLE_TABLE = (
    "CREATE TABLE items (id INTEGER PRIMARY KEY, kind VARCHAR(20) NOT NULL,"
    " price DECIMAL(12,2) NOT NULL);\n"
    "INSERT INTO items (id, kind, price) VALUES (1, 'a', 1.5), (2, 'b', 2.5), (3, 'a', 9.0),"
    " (4, 'c', 4.0), (5, 'b', 7.0);"
)


def test_feasibility_is_zero_where_an_operator_cannot_apply() -> None:
    with EvolveContext.open(SINGLE_TABLE, ()) as ctx:
        view = view_query(sqlglot.parse_one("SELECT i.kind, i.price FROM items AS i"))
        assert view is not None
        scores = score_feasibility(view, ctx)
    # No foreign key: nothing to join along and no referencing table for EXISTS; no ORDER BY,
    # LIMIT or aggregate, so EXCEPT of a filtered copy stays possible.
    assert scores[Operator.JOIN] == 0.0
    assert scores[Operator.SET] == 0.5
    assert all(scores[op] > 0 for op in (Operator.FUNC, Operator.OP, Operator.LOGIC))
    dml = view_query(sqlglot.parse_one("DELETE FROM items WHERE id = 1"))
    assert dml is None


def test_a_widened_value_missing_from_the_question_is_not_worded() -> None:
    change = Change(ChangeKind.WIDEN_IN, label="kind", op="in", values=("a", "b"), replaces="a")
    rng = random.Random(0)
    assert reword_question("Items of kind 'a'?", change, PromptStyle.DIRECT, rng) == (
        "Items of kind 'a' or 'b'?"
    )
    assert reword_question("All items?", change, PromptStyle.DIRECT, rng) is None


def test_the_cte_form_keeps_the_order_portable() -> None:
    """A CTE's outer ORDER BY names the outputs and keeps each term's NULLS placement: a rebuilt
    term was rendered `NULLS LAST`, which MariaDB refused (found in a run's rejected.jsonl)."""
    sql = (
        "SELECT gc.class_type, COUNT(*) AS class_count FROM group_classes AS gc"
        " GROUP BY gc.class_type ORDER BY COUNT(*) DESC, gc.class_type ASC"
    )
    view = view_query(sqlglot.parse_one(sql))
    assert view is not None
    ddl = "CREATE TABLE group_classes (id INTEGER PRIMARY KEY, class_type VARCHAR(20) NOT NULL);"
    with EvolveContext.open(ddl, ()) as ctx:
        [evolution] = list(_cte(view, ctx))
    assert evolution.sql.endswith("ORDER BY class_count DESC, class_type ASC")
    assert "NULLS" not in render_sql(evolution.sql, Engine.SQLITE, Engine.MYSQL)


NULLABLE_PARENT = (
    "CREATE TABLE shops (id INTEGER PRIMARY KEY, shop_name VARCHAR(20) NOT NULL);\n"
    "CREATE TABLE items (id INTEGER PRIMARY KEY, kind VARCHAR(20) NOT NULL,"
    " price DECIMAL(12,2) NOT NULL, shop_id INTEGER,"
    " FOREIGN KEY (shop_id) REFERENCES shops (id));\n"
    "INSERT INTO shops (id, shop_name) VALUES (1, 'North'), (2, 'South');\n"
    "INSERT INTO items (id, kind, price, shop_id) VALUES (1, 'a', 1.5, 1), (2, 'b', 2.5, NULL),"
    " (3, 'a', 9.0, 2), (4, 'c', 4.0, 1), (5, 'b', 7.0, 2);"
)


def test_a_shown_parent_on_a_nullable_key_keeps_every_row() -> None:
    """Found reading a run: `INNER JOIN sprints` to show a sprint code dropped the tickets
    without a sprint, while the question only asked for one more column."""
    view = view_query(sqlglot.parse_one("SELECT i.kind, i.price FROM items AS i"))
    assert view is not None
    with EvolveContext.open(NULLABLE_PARENT, ()) as ctx:
        shown = [
            e
            for e in propose_join(view, ctx, random.Random(0))
            if e.change.kind is ChangeKind.JOIN_SHOW
        ]
        assert shown and "LEFT JOIN shops" in shown[0].sql
        assert len(ctx.run(shown[0].sql) or []) == 5


def test_no_except_over_a_window() -> None:
    """A RANK computed over the filtered copy differs, so EXCEPT would remove nothing."""
    ranked = "SELECT i.kind, RANK() OVER (ORDER BY i.price DESC) AS r FROM items AS i"
    view = view_query(sqlglot.parse_one(ranked))
    assert view is not None
    with EvolveContext.open(SINGLE_TABLE, ()) as ctx:
        assert not list(propose_set(view, ctx, random.Random(0)))


def test_logic_does_not_pin_a_shown_column_to_one_value() -> None:
    """Found reading evolved records: "the distinct customer segments of tariffs with customer
    segment 'Industrial'" answers itself."""
    schema = (
        "CREATE TABLE tariffs (id INTEGER PRIMARY KEY, segment VARCHAR(20) NOT NULL,"
        " price DECIMAL(6,2) NOT NULL);\n"
        "INSERT INTO tariffs (id, segment, price) VALUES (1, 'Home', 0.2), (2, 'Home', 0.3),"
        " (3, 'Industrial', 0.1), (4, 'Industrial', 0.15), (5, 'Shop', 0.25), (6, 'Shop', 0.2);"
    )
    view = view_query(sqlglot.parse_one("SELECT DISTINCT t.segment FROM tariffs AS t"))
    assert view is not None
    with EvolveContext.open(schema, ()) as ctx:
        found = list(propose_logic(view, ctx, random.Random(0)))
    assert found, "other filters are still proposed"
    assert not [e for e in found if "t.segment =" in e.sql], [e.sql for e in found]


def test_a_failing_operator_gives_its_place_to_the_next(parents: list[Parent]) -> None:
    """Top-K with fall-through: an operator none of whose candidates passes the trial run is
    replaced by the next by utility, so a parent gets K evolutions where K are possible; without
    it (the paper's plain top-K) the failed operator's place is lost."""
    strict, through = EvolveLog(), EvolveLog()
    plain_config = DirectionConfig(top_k=2, fall_through=False)
    on_config = DirectionConfig(top_k=2)
    plain = on = 0
    for parent in parents:
        kept = evolve_parent(parent, OperatorTally(), plain_config, random.Random(5), strict)
        more = evolve_parent(parent, OperatorTally(), on_config, random.Random(5), through)
        assert len(kept) <= len(more) <= 2
        plain, on = plain + len(kept), on + len(more)
    assert on > plain, (on, plain)
    assert sum(through.chosen.values()) > sum(strict.chosen.values())


def test_no_rank_over_a_column_that_may_be_null() -> None:
    """NULL ranks first on SQLite and MySQL, last on PostgreSQL: a RANK over a nullable column,
    or over the optional side of a LEFT JOIN, made the engines disagree (session 9)."""
    ddl = (
        "CREATE TABLE shops (id INTEGER PRIMARY KEY, rating DECIMAL(4,2) NOT NULL);\n"
        "CREATE TABLE items (id INTEGER PRIMARY KEY, price DECIMAL(12,2) NOT NULL,"
        " discount DECIMAL(5,2), shop_id INTEGER REFERENCES shops(id));\n"
        "INSERT INTO shops (id, rating) VALUES (1, 4.5), (2, 3.0);\n"
        "INSERT INTO items (id, price, discount, shop_id) VALUES (1, 1.5, NULL, 1),"
        " (2, 2.5, 0.1, 2), (3, 9.0, 0.2, NULL), (4, 4.0, NULL, 1);"
    )
    sql = "SELECT i.id, s.id AS shop FROM items AS i LEFT JOIN shops AS s ON s.id = i.shop_id"
    view = view_query(sqlglot.parse_one(sql))
    assert view is not None
    with EvolveContext.open(ddl, ()) as ctx:
        ranks = [e for e in propose_func(view, ctx, random.Random(0))]
    ranked = {e.change.label for e in ranks if e.change.kind is ChangeKind.ADD_RANK}
    assert ranked and all("discount" not in r and "rating" not in r for r in ranked), ranked
    assert any("price" in r for r in ranked)
