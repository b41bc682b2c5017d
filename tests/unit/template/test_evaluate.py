"""The Python evaluator agrees with SQLite, and refuses results engines could disagree on."""

from __future__ import annotations

import random
import sqlite3

import pytest

from proto.common import JoinKind, TaskType
from shared.generation.template.evaluation.eval_types import Fragile
from shared.generation.template.evaluation.evaluate import run_statement
from shared.generation.template.instance.rowstore import RowStore
from shared.generation.template.instance.schema_instance import build_schema
from shared.generation.template.query.compose import build_select
from shared.generation.template.query.context import Ctx
from shared.generation.template.query.dml import build_dml
from shared.generation.template.schema.variants import largest_component
from shared.generation.template.sql import ir
from shared.generation.template.sql.render import render_sql
from tests.unit.template.execution import normalise_rows
from tests.unit.template.helpers import random_blueprints, render_sql_context

C = ir.Col


def _sqlite(instance_sql: str) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(instance_sql)
    return conn


def test_evaluator_matches_sqlite_on_generated_statements() -> None:
    """Differential check: Python's result of every built tree equals SQLite's."""
    conns: dict[str, sqlite3.Connection] = {}
    stores: dict[str, RowStore] = {}
    checked = 0
    # Plans are drawn until 250 statements are built: a single draw (no retries here) is often
    # Fragile, since the builder refuses unwitnessed filters and fan-out, and how often depends
    # on the builder's rules, not on the evaluator this test is about.
    wanted = 250
    for i, bp in enumerate(random_blueprints(1500, seed=61)):
        if checked == wanted:
            break
        instance = build_schema(bp.domain, i % 4)
        if largest_component(instance.domain, bp.tables) < bp.num_tables:
            # A variant without enough linked tables for the plan (the engine skips it too).
            instance = build_schema(bp.domain, 0)
        key = instance.schema_id
        if key not in conns:
            conns[key] = _sqlite(render_sql_context(instance))
            stores[key] = RowStore.build(instance.domain, instance.rows, key)
        ctx = Ctx.from_blueprint(bp, stores[key], random.Random(i))
        try:
            if bp.task_type is TaskType.MANIPULATION:
                statement, _ = build_dml(ctx)
            else:
                statement, _ = build_select(ctx)
        except Fragile:
            continue
        sql = render_sql(statement)
        mine = run_statement(stores[key], statement)
        conn = conns[key]
        if isinstance(statement, ir.Query):
            theirs = conn.execute(sql).fetchall()
            assert normalise_rows(mine.rows, mine.ordered) == normalise_rows(
                theirs, mine.ordered
            ), sql
        else:
            conn.execute("BEGIN")
            try:
                assert conn.execute(sql).rowcount == mine.rows[0][0], sql
            finally:
                conn.execute("ROLLBACK")
        checked += 1
    assert checked == wanted


def _sorted_by(column: ir.Expr, *more: ir.Expr) -> ir.Query:
    return ir.Query(
        ir.Select(
            items=(ir.Item(C("p", "product_name"), "product_name"), ir.Item(column, "v")),
            source=ir.TableRef("products", "p"),
            order_by=tuple(ir.Order(e) for e in (column, *more)),
        )
    )


def test_ties_under_order_by_are_fragile(shop: RowStore) -> None:
    with pytest.raises(Fragile, match="tie"):
        run_statement(shop, _sorted_by(C("p", "category_id")))
    result = run_statement(shop, _sorted_by(C("p", "category_id"), C("p", "id")))
    assert result.ordered and len(result.rows) == 5


def test_nulls_that_decide_the_order_are_fragile(shop: RowStore) -> None:
    with pytest.raises(Fragile, match="NULL"):
        run_statement(shop, _sorted_by(C("p", "color"), C("p", "id")))


def test_sums_compared_within_float_noise_are_fragile(shop: RowStore) -> None:
    # 0.1 + 0.2 + 0.3 is 0.6 exactly on PostgreSQL, 0.6000000000000001 on SQLite.
    query = ir.Query(
        ir.Select(
            items=(ir.Item(ir.Agg("SUM", C("p", "price")), "s"),),
            source=ir.TableRef("products", "p"),
            where=ir.Cmp("<", C("p", "price"), ir.Lit(1.0)),
            having=ir.Cmp(">", ir.Agg("SUM", C("p", "price")), ir.Lit(0.6)),
        )
    )
    with pytest.raises(Fragile, match="float noise"):
        run_statement(shop, query)


def test_round_half_way_is_fragile(shop: RowStore) -> None:
    # AVG(0.1, 0.2) = 0.15: ROUND(.., 1) rounds up on PostgreSQL, may not on SQLite.
    query = ir.Query(
        ir.Select(
            items=(ir.Item(ir.Func("ROUND", (ir.Agg("AVG", C("p", "price")), ir.Lit(1))), "a"),),
            source=ir.TableRef("products", "p"),
            where=ir.InList(C("p", "id"), (ir.Lit(3), ir.Lit(4))),
        )
    )
    with pytest.raises(Fragile, match="half-way"):
        run_statement(shop, query)


def test_dml_that_breaks_a_key_is_refused(shop: RowStore) -> None:
    with pytest.raises(Fragile, match="reference"):
        run_statement(shop, ir.Delete("products", ir.Cmp("=", C("products", "id"), ir.Lit(1))))
    copy = ir.Insert(
        "categories",
        ("id", "category_name"),
        ir.Query(
            ir.Select(
                items=(ir.Item(C("c", "id"), "id"), ir.Item(C("c", "category_name"), "n")),
                source=ir.TableRef("categories", "c"),
            )
        ),
    )
    with pytest.raises(Fragile, match="primary key"):
        run_statement(shop, copy)
    deleted = run_statement(
        shop, ir.Delete("products", ir.Cmp("=", C("products", "id"), ir.Lit(5)))
    )
    assert deleted.rows == [(1,)]


def test_left_join_and_correlated_exists_match_sqlite(
    shop: RowStore, shop_sqlite: sqlite3.Connection
) -> None:
    inner = ir.Query(
        ir.Select(
            items=(ir.Item(ir.Lit(1), ""),),
            source=ir.TableRef("sales", "s2"),
            where=ir.Cmp("=", C("s2", "product_id"), C("p", "id")),
        )
    )
    query = ir.Query(
        ir.Select(
            items=(
                ir.Item(C("c", "category_name"), "category_name"),
                ir.Item(ir.Agg("COUNT", C("p", "id")), "n"),
            ),
            source=ir.TableRef("categories", "c"),
            joins=(
                ir.Join(
                    ir.TableRef("products", "p"),
                    JoinKind.LEFT,
                    ir.Cmp("=", C("p", "category_id"), C("c", "id")),
                ),
            ),
            where=ir.Or((ir.Exists(inner), ir.IsNull(C("p", "id")))),
            group_by=(C("c", "id"), C("c", "category_name")),
            order_by=(ir.Order(C("c", "id")),),
        )
    )
    mine = run_statement(shop, query).rows
    assert mine == shop_sqlite.execute(render_sql(query)).fetchall()
