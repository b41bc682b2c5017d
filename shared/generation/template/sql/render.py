"""Turn a query tree (`ir.py`) into a sqlglot tree and portable SQL text.

The text is generated with sqlglot's SQLite generator. The tree only holds constructs whose
SQLite spelling is also valid PostgreSQL and MariaDB/MySQL: no quoting (catalogue names avoid
reserved words), ASC/DESC without NULLS FIRST/LAST, LIMIT without OFFSET, string literals in
single quotes, decimals with two digits.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.generator import Generator

from proto.common import JoinKind
from shared.generation.template.sql import ir

DIALECT = "sqlite"

_CMP: dict[str, type[exp.Binary]] = {
    "=": exp.EQ,
    "<>": exp.NEQ,
    "<": exp.LT,
    "<=": exp.LTE,
    ">": exp.GT,
    ">=": exp.GTE,
}
_ARITH: dict[str, type[exp.Binary]] = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}
_AGG: dict[str, type[exp.Func]] = {
    "SUM": exp.Sum,
    "AVG": exp.Avg,
    "MIN": exp.Min,
    "MAX": exp.Max,
}
_RANKING: dict[str, type[exp.Func]] = {
    "ROW_NUMBER": exp.RowNumber,
    "RANK": exp.Rank,
    "DENSE_RANK": exp.DenseRank,
}


_GENERATOR: list[Generator] = []


def render_sql(statement: ir.Statement, quoted: Collection[str] = ()) -> str:
    """The portable SQL text of a statement; names in `quoted` are double-quoted wherever they
    occur (a seed schema's names that need it, see SeedInfo.quoted)."""
    if not _GENERATOR:
        _GENERATOR.append(Dialect.get_or_raise(DIALECT).generator())
    tree = to_sqlglot(statement)
    if quoted:
        for ident in tree.find_all(exp.Identifier):
            if ident.this in quoted:
                ident.set("quoted", True)
    # The tree is built fresh for every call, so the generator may skip its defensive copy.
    return _GENERATOR[0].generate(tree, copy=False)


def to_sqlglot(statement: ir.Statement) -> exp.Expr:
    if isinstance(statement, ir.Query):
        return _query(statement)
    if isinstance(statement, ir.Update):
        return exp.Update(
            this=_table(statement.table),
            expressions=[
                exp.EQ(this=exp.column(name), expression=_expr(value))
                for name, value in statement.sets
            ],
            where=_where(statement.where),
        )
    if isinstance(statement, ir.Delete):
        return exp.Delete(this=_table(statement.table), where=_where(statement.where))
    source: exp.Expr = (
        _query(statement.query)
        if statement.query is not None
        else exp.Values(expressions=[exp.Tuple(expressions=[_expr(v) for v in statement.values])])
    )
    return exp.Insert(
        this=exp.Schema(
            this=_table(statement.table),
            expressions=[exp.to_identifier(c) for c in statement.columns],
        ),
        expression=source,
    )


def _table(name: str, alias: str | None = None) -> exp.Table:
    table = exp.Table(this=exp.to_identifier(name))
    if alias and alias != name:
        table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
    return table


def _where(pred: ir.Expr | None) -> exp.Where | None:
    return exp.Where(this=_expr(pred)) if pred is not None else None


def _query(query: ir.Query) -> exp.Query:
    body = _body(query.body)
    if query.ctes:
        body.set(
            "with_",
            exp.With(
                expressions=[
                    exp.CTE(
                        this=_query(cte.query),
                        alias=exp.TableAlias(this=exp.to_identifier(cte.name)),
                    )
                    for cte in query.ctes
                ]
            ),
        )
    return body


def _body(body: ir.Body, branch: bool = False) -> exp.Query:
    if isinstance(body, ir.Select):
        return _select(body, branch)
    # Branches name every column: SQLite matches a set operation's ORDER BY against names,
    # and two columns both called full_name (c.full_name, s.full_name) would be ambiguous.
    left, right = _body(body.left, True), _select(body.right, True)
    node: exp.SetOperation
    if body.op in ("UNION", "UNION ALL"):
        node = exp.Union(this=left, expression=right, distinct=body.op == "UNION")
    elif body.op == "INTERSECT":
        node = exp.Intersect(this=left, expression=right, distinct=True)
    else:
        node = exp.Except(this=left, expression=right, distinct=True)
    if body.order_by:
        node.set("order", _order(body.order_by))
    if body.limit is not None:
        node.set("limit", exp.Limit(expression=exp.Literal.number(body.limit)))
    return node


def _select(sel: ir.Select, branch: bool = False) -> exp.Select:
    node = exp.Select(
        expressions=[_item(item, branch) for item in sel.items],
        from_=exp.From(this=_source(sel.source)),
    )
    if sel.distinct:
        node.set("distinct", exp.Distinct())
    if sel.joins:
        node.set("joins", [_join(j) for j in sel.joins])
    if sel.where is not None:
        node.set("where", _where(sel.where))
    if sel.group_by:
        node.set("group", exp.Group(expressions=[_expr(e) for e in sel.group_by]))
    if sel.having is not None:
        node.set("having", exp.Having(this=_expr(sel.having)))
    if sel.order_by:
        node.set("order", _order(sel.order_by))
    if sel.limit is not None:
        node.set("limit", exp.Limit(expression=exp.Literal.number(sel.limit)))
    return node


def _item(item: ir.Item, branch: bool = False) -> exp.Expr:
    rendered = _expr(item.expr)
    same = isinstance(item.expr, ir.Col) and item.expr.name == item.alias
    if not item.alias or (same and not branch):
        return rendered
    return exp.Alias(this=rendered, alias=exp.to_identifier(item.alias))


def _source(src: ir.Source) -> exp.Expr:
    if isinstance(src, ir.TableRef):
        return _table(src.table, src.alias)
    if isinstance(src, ir.CteRef):
        return _table(src.name, src.alias)
    return exp.Subquery(
        this=_query(src.query), alias=exp.TableAlias(this=exp.to_identifier(src.alias))
    )


def _join(join: ir.Join) -> exp.Join:
    node = exp.Join(this=_source(join.source))
    if join.kind is JoinKind.CROSS:
        node.set("kind", "CROSS")
    elif join.kind is JoinKind.LEFT:
        node.set("side", "LEFT")
    else:
        node.set("kind", "INNER")
    if join.on is not None:
        node.set("on", _expr(join.on))
    return node


def _order(items: tuple[ir.Order, ...]) -> exp.Order:
    # nulls_first mirrors SQLite's default so the generator never writes NULLS FIRST/LAST,
    # which MySQL does not parse; the builder never sorts on a column that can be NULL.
    return exp.Order(
        expressions=[
            exp.Ordered(this=_expr(o.expr), desc=o.desc, nulls_first=not o.desc) for o in items
        ]
    )


def _literal(value: object) -> exp.Expr:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        raise ValueError("boolean literals are not portable")
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        return exp.Literal.number(f"{value:.2f}")
    return exp.Literal.string(str(value))


def _expr(node: ir.Expr) -> exp.Expr:
    if isinstance(node, ir.Col):
        return exp.column(node.name, table=node.qual) if node.qual else exp.column(node.name)
    if isinstance(node, ir.Lit):
        return _literal(node.value)
    if isinstance(node, ir.Star):
        return exp.Star()
    if isinstance(node, ir.Cmp):
        return _CMP[node.op](this=_expr(node.left), expression=_expr(node.right))
    if isinstance(node, ir.Between):
        return exp.Between(this=_expr(node.expr), low=_expr(node.low), high=_expr(node.high))
    if isinstance(node, ir.InList):
        found = exp.In(this=_expr(node.expr), expressions=[_expr(e) for e in node.items])
        return exp.Not(this=found) if node.negate else found
    if isinstance(node, ir.IsNull):
        test = exp.Is(this=_expr(node.expr), expression=exp.Null())
        return exp.Not(this=test) if node.negate else test
    if isinstance(node, ir.And | ir.Or):
        cls = exp.And if isinstance(node, ir.And) else exp.Or
        parts = [_wrap_bool(_expr(e)) for e in node.items]
        out = parts[0]
        for part in parts[1:]:
            out = cls(this=out, expression=part)
        return exp.Paren(this=out) if isinstance(node, ir.Or) else out
    if isinstance(node, ir.Not):
        return exp.Not(this=exp.Paren(this=_expr(node.item)))
    if isinstance(node, ir.Arith):
        return _ARITH[node.op](this=_paren(_expr(node.left)), expression=_paren(_expr(node.right)))
    if isinstance(node, ir.Case):
        case = exp.Case(
            ifs=[exp.If(this=_expr(c), true=_expr(v)) for c, v in node.whens],
        )
        if node.default is not None:
            case.set("default", _expr(node.default))
        return case
    if isinstance(node, ir.Func):
        return _func(node)
    if isinstance(node, ir.Agg):
        return _agg(node)
    if isinstance(node, ir.Win):
        return _window(node)
    if isinstance(node, ir.ScalarSub):
        return exp.Subquery(this=_query(node.query))
    if isinstance(node, ir.InSub):
        found = exp.In(this=_expr(node.expr), query=exp.Subquery(this=_query(node.query)))
        return exp.Not(this=found) if node.negate else found
    if isinstance(node, ir.Exists):
        exists = exp.Exists(this=_query(node.query))
        return exp.Not(this=exists) if node.negate else exists
    raise TypeError(f"cannot render {type(node).__name__}")


def _wrap_bool(node: exp.Expr) -> exp.Expr:
    return exp.Paren(this=node) if isinstance(node, exp.Or) else node


def _paren(node: exp.Expr) -> exp.Expr:
    return exp.Paren(this=node) if isinstance(node, exp.Add | exp.Sub) else node


def _func(node: ir.Func) -> exp.Expr:
    args = [_expr(a) for a in node.args]
    if node.name == "ROUND":
        return exp.Round(this=args[0], decimals=args[1])
    if node.name == "COALESCE":
        return exp.Coalesce(this=args[0], expressions=args[1:])
    raise ValueError(f"function {node.name} is not in the portable subset")


def _agg(node: ir.Agg) -> exp.Expr:
    arg = _expr(node.arg)
    if node.distinct:
        arg = exp.Distinct(expressions=[arg])
    if node.func == "COUNT":
        return exp.Count(this=arg)
    return _AGG[node.func](this=arg)


def _window(node: ir.Win) -> exp.Expr:
    func: exp.Expr
    if node.func in _RANKING:
        func = _RANKING[node.func]()
    elif node.func == "COUNT":
        func = exp.Count(this=_expr(node.arg or ir.Star()))
    elif node.func in ("LAG", "LEAD"):
        cls = exp.Lag if node.func == "LAG" else exp.Lead
        func = cls(this=_expr(node.arg or ir.Star()))
    else:
        func = _AGG[node.func](this=_expr(node.arg or ir.Star()))
    window = exp.Window(this=func, over="OVER")
    if node.partition:
        window.set("partition_by", [_expr(p) for p in node.partition])
    if node.order:
        window.set("order", _order(node.order))
    return window
