"""Rendering query trees: one SQL text that every dialect parses back to the same shape."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from proto.common import JoinKind
from shared.generation.template.sql import ir
from shared.generation.template.sql.render import render_sql

C = ir.Col
DIALECTS = ("sqlite", "postgres", "mysql")


def _every_node() -> ir.Query:
    sub = ir.Query(
        ir.Select(
            items=(ir.Item(ir.Agg("AVG", C("s2", "quantity")), "a"),),
            source=ir.TableRef("sales", "s2"),
        )
    )
    exists = ir.Query(
        ir.Select(
            items=(ir.Item(ir.Lit(1), ""),),
            source=ir.TableRef("sales", "s3"),
            where=ir.Cmp("=", C("s3", "product_id"), C("p", "id")),
        )
    )
    in_sub = ir.Query(
        ir.Select(
            items=(ir.Item(C("c2", "id"), "id"),),
            source=ir.TableRef("categories", "c2"),
            where=ir.InList(C("c2", "category_name"), (ir.Lit("Toys"), ir.Lit("O'Hara"))),
        )
    )
    core = ir.Select(
        items=(
            ir.Item(C("p", "product_name"), "product_name"),
            ir.Item(
                ir.Case(
                    ((ir.Cmp(">=", C("p", "price"), ir.Lit(10.0)), ir.Lit("High")),), ir.Lit("Low")
                ),
                "band",
            ),
            ir.Item(
                ir.Win(
                    "ROW_NUMBER",
                    None,
                    (C("p", "category_id"),),
                    (ir.Order(C("p", "price"), True), ir.Order(C("p", "id"))),
                ),
                "rn",
            ),
            ir.Item(ir.Func("COALESCE", (C("s", "quantity"), ir.Lit(0))), "q"),
            ir.Item(C("p", "id"), "product_id"),
        ),
        source=ir.TableRef("products", "p"),
        joins=(
            ir.Join(
                ir.TableRef("sales", "s"),
                JoinKind.LEFT,
                ir.Cmp("=", C("s", "product_id"), C("p", "id")),
            ),
            ir.Join(ir.TableRef("categories", "c"), JoinKind.CROSS),
        ),
        where=ir.And(
            (
                ir.Or((ir.Exists(exists), ir.IsNull(C("p", "color"), negate=True))),
                ir.InSub(C("p", "category_id"), in_sub),
                ir.Between(C("p", "price"), ir.Lit(0.1), ir.Lit(99.5)),
                ir.Not(ir.Cmp(">", ir.Arith("*", C("p", "price"), ir.Lit(2)), ir.ScalarSub(sub))),
            )
        ),
    )
    cte = ir.Cte("picked", ir.Query(core))
    outer = ir.Select(
        items=(ir.Item(C("d", "product_name"), "product_name"), ir.Item(C("d", "rn"), "rn")),
        source=ir.Derived(
            ir.Query(
                ir.Select(
                    items=(
                        ir.Item(C("k", "product_name"), "product_name"),
                        ir.Item(C("k", "rn"), "rn"),
                    ),
                    source=ir.CteRef("picked", "k"),
                    distinct=True,
                )
            ),
            "d",
        ),
        where=ir.Cmp("<=", C("d", "rn"), ir.Lit(2)),
    )
    other = ir.Select(
        items=(ir.Item(C("k2", "product_name"), "product_name"), ir.Item(C("k2", "rn"), "rn")),
        source=ir.CteRef("picked", "k2"),
        group_by=(C("k2", "product_name"), C("k2", "rn")),
        having=ir.Cmp(">=", ir.Agg("COUNT", ir.Star()), ir.Lit(1)),
    )
    body = ir.SetOp(
        "EXCEPT",
        ir.SetOp("UNION", outer, other),
        other,
        order_by=(ir.Order(C(None, "rn"), True), ir.Order(C(None, "product_name"))),
        limit=3,
    )
    return ir.Query(body, (cte,))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_node_renders_to_sql_each_dialect_parses(dialect: str) -> None:
    sql = render_sql(_every_node())
    parsed = sqlglot.parse_one(sql, read=dialect)
    # The same shape: same tables, joins and subqueries whichever dialect reads it (sqlglot
    # would add NULLS FIRST/LAST when writing another dialect; the builder never sorts NULLs).
    reference = sqlglot.parse_one(sql, read="sqlite")
    for kind in (exp.Table, exp.Join, exp.Subquery, exp.Window, exp.Case, exp.Exists):
        assert len(list(parsed.find_all(kind))) == len(list(reference.find_all(kind)))
    for banned in ("NULLS", '"', "`"):
        assert banned not in sql.replace("'O''Hara'", "")
    assert "'O''Hara'" in sql and "10.00" in sql and "LIMIT 3" in sql


def test_dml_renders_without_aliases_on_the_target() -> None:
    update = ir.Update(
        "products",
        (
            (
                "price",
                ir.Func("ROUND", (ir.Arith("*", C("products", "price"), ir.Lit(1.2)), ir.Lit(2))),
            ),
        ),
        ir.Cmp("=", C("products", "color"), ir.Lit("Red")),
    )
    sql = render_sql(update)
    assert sql.startswith("UPDATE products SET price = ROUND(products.price * 1.20, 2)")
    for dialect in DIALECTS:
        sqlglot.parse_one(sql, read=dialect)
