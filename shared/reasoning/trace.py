"""An offline step-by-step trace derived from the gold SQL: schema linking, joins, filters,
grouping, ordering, output. Its SQL is the gold SQL, so it is execution-verified by the
run's own checks; the steps are read off the sqlglot tree, never parsed back from English."""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

_JOIN_WORDS = {
    "LEFT": "keeping every row of the left side",
    "RIGHT": "keeping every row of the right side",
    "FULL": "keeping the rows of both sides",
    "CROSS": "pairing every row with every row",
}


def _tables(select: exp.Expr) -> list[str]:
    out = []
    for table in select.find_all(exp.Table):
        alias = table.alias
        out.append(f"{table.name} (as {alias})" if alias and alias != table.name else table.name)
    return list(dict.fromkeys(out))


def _columns(tree: exp.Expr) -> list[str]:
    names = [c.sql() for c in tree.find_all(exp.Column) if not isinstance(c.this, exp.Star)]
    return list(dict.fromkeys(names))


def _conjuncts(condition: exp.Expr) -> list[str]:
    parts = condition.flatten() if isinstance(condition, exp.And) else [condition]
    return [p.sql() for p in parts]


def _describe_select(select: exp.Select, steps: list[str], label: str = "") -> None:
    source = select.args.get("from_") or select.args.get("from")
    if source is not None:
        derived = source.this
        if isinstance(derived, exp.Subquery) and isinstance(derived.this, exp.Select):
            name = derived.alias or "the derived table"
            steps.append(f"{label}First build the derived table {name}:")
            _describe_select(derived.this, steps, f"In {name}: ")
            steps.append(f"{label}Then read from {name}.")
        else:
            steps.append(f"{label}Start from {derived.sql()}.")
    for join in select.args.get("joins") or []:
        side = (join.side or join.kind or "").upper()
        how = _JOIN_WORDS.get(side, "keeping only matching rows")
        on = join.args.get("on")
        target = join.this.sql()
        condition = f" on {on.sql()}" if on is not None else ""
        steps.append(f"Join {target}{condition}, {how}.")
    where = select.args.get("where")
    if where is not None:
        steps.append("Filter the rows: " + "; ".join(_conjuncts(where.this)) + ".")
    group = select.args.get("group")
    if group is not None:
        steps.append("Group by " + ", ".join(e.sql() for e in group.expressions) + ".")
    aggregates = [
        a.sql()
        for a in select.find_all(exp.AggFunc)
        if not isinstance(a.parent, exp.Window) and a.find_ancestor(exp.Select) is select
    ]
    if aggregates:
        steps.append("Compute " + ", ".join(dict.fromkeys(aggregates)) + ".")
    windows = list(
        dict.fromkeys(
            w.sql() for w in select.find_all(exp.Window) if w.find_ancestor(exp.Select) is select
        )
    )
    if windows:
        steps.append("Over the result, compute the window function(s) " + ", ".join(windows) + ".")
    having = select.args.get("having")
    if having is not None:
        steps.append("Keep only the groups where " + having.this.sql() + ".")
    if select.args.get("distinct") is not None:
        steps.append("Remove duplicate rows (DISTINCT).")


def derive_trace(sql: str, dialect: str = "sqlite") -> str | None:
    """The numbered steps for one query, or None when sqlglot cannot read it."""
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except SqlglotError:
        return None
    if tree is None:
        return None
    steps: list[str] = []
    tables = _tables(tree)
    if tables:
        steps.append("Schema linking: the question concerns " + ", ".join(tables) + ".")
    columns = _columns(tree)
    if columns:
        steps.append("Columns needed: " + ", ".join(columns[:12]) + ".")
    with_ = tree.args.get("with_") or tree.args.get("with")
    if isinstance(with_, exp.With):
        for cte in with_.expressions:
            steps.append(f"First compute the intermediate result {cte.alias} (a CTE):")
            if isinstance(cte.this, exp.Select):
                _describe_select(cte.this, steps, f"In {cte.alias}: ")
                outputs = ", ".join(e.sql() for e in cte.this.selects[:8])
                steps.append(f"{cte.alias} returns {outputs}.")
    subqueries = [s for s in tree.find_all(exp.Subquery) if s is not tree]
    if subqueries:
        steps.append(f"Use {len(subqueries)} subquery(ies) for values the outer query compares.")
    if isinstance(tree, exp.SetOperation):
        operator = type(tree).__name__.upper()
        steps.append(f"Answer with two queries combined by {operator}.")
        for label, branch in (("First query: ", tree.left), ("Second query: ", tree.right)):
            if isinstance(branch, exp.Select):
                _describe_select(branch, steps, label)
    elif isinstance(tree, exp.Select):
        _describe_select(tree, steps)
    if isinstance(tree, exp.Insert):
        steps.append(f"Insert into {tree.this.sql()} the rows the query below returns.")
        if isinstance(tree.expression, exp.Select):
            _describe_select(tree.expression, steps)
    elif isinstance(tree, exp.Update):
        changes = ", ".join(e.sql() for e in tree.expressions)
        steps.append(f"Update {tree.this.sql()}, setting {changes}.")
    elif isinstance(tree, exp.Delete):
        steps.append(f"Delete rows from {tree.this.sql()}.")
    dml_where = tree.args.get("where") if isinstance(tree, exp.Update | exp.Delete) else None
    if dml_where is not None:
        steps.append("Filter the rows: " + "; ".join(_conjuncts(dml_where.this)) + ".")
    order = tree.args.get("order")
    if order is not None:
        steps.append("Order by " + ", ".join(o.sql() for o in order.expressions) + ".")
    limit = tree.args.get("limit")
    if limit is not None and limit.expression is not None:
        steps.append(f"Keep the first {limit.expression.sql()} rows.")
    if isinstance(tree, exp.Select):
        outputs = ", ".join(s.sql() for s in tree.selects[:8])
        steps.append(f"Return {outputs}.")
    return "\n".join(f"{i}. {step}" for i, step in enumerate(steps, start=1))
