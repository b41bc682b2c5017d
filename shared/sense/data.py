"""Data checks: run the query and variants of it on the record's rows (SQLite).

A predicate whose removal leaves the result unchanged is not witnessed by the data; a set
operation branch with no rows adds nothing; a DML statement that changes every row or none
says nothing about its WHERE. For a generated record these are the generator's defects (its
fixture must make each predicate matter); for a user's dataset they are reported.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from sqlglot import exp

from shared.sense.findings import SenseCheck
from shared.sense.fixture_db import reset_budget
from shared.sense.record import ParsedRecord
from shared.sense.scopes import aggregates_in, build_scope, conjuncts, cte_queries
from shared.sense.structure import Hit

Rows = list[tuple[object, ...]]


def run_rows(db: sqlite3.Connection, sql: str) -> Rows | None:
    reset_budget(db)
    try:
        rows = db.execute(sql).fetchall()
    except (sqlite3.Error, OverflowError):
        return None
    return sorted(rows, key=repr)


def check_data(parsed: ParsedRecord, db: sqlite3.Connection) -> Iterator[Hit]:
    tree = parsed.tree
    if isinstance(tree, exp.Update | exp.Delete | exp.Insert):
        yield from _dml_all_or_none(tree, db)
        return
    if not isinstance(tree, exp.Query):
        return
    base = run_rows(db, tree.sql("sqlite"))
    if base is None:
        return
    yield from _empty_branches(tree, db)
    if base:
        yield from _unwitnessed(tree, base, db)
    yield from _order_on_one_row(tree, db)
    yield from _inflated_count(parsed, tree, base, db)


def _is_join_condition(part: exp.Expr) -> bool:
    """Column = column (a join or a correlation), not a filter on values."""
    return isinstance(part, exp.EQ) and all(
        isinstance(side, exp.Column) for side in (part.this, part.expression)
    )


def _unwitnessed(tree: exp.Query, base: Rows, db: sqlite3.Connection) -> Iterator[Hit]:
    for select in list(tree.find_all(exp.Select)):
        for clause in ("where", "having"):
            node = select.args.get(clause)
            if node is None:
                continue
            parts = conjuncts(node.this)
            for index, part in enumerate(parts):
                if _is_join_condition(part):
                    continue
                rest = [p for i, p in enumerate(parts) if i != index]
                original = node.this
                if rest:
                    node.set("this", exp.and_(*[p.copy() for p in rest]))
                    variant = tree.sql("sqlite")
                    node.set("this", original)
                else:
                    select.set(clause, None)
                    variant = tree.sql("sqlite")
                    select.set(clause, node)
                if run_rows(db, variant) == base:
                    yield Hit(
                        SenseCheck.UNWITNESSED_PREDICATE,
                        f"dropping {part.sql()} from {clause.upper()} leaves the result unchanged "
                        "on the rows: the data does not witness it; add rows it excludes, or drop "
                        "it if it is not asked for",
                    )


def _with_of(tree: exp.Expr) -> exp.Expr | None:
    found = tree.args.get("with_") or tree.args.get("with")
    return found if isinstance(found, exp.Expr) else None


def _empty_branches(tree: exp.Query, db: sqlite3.Connection) -> Iterator[Hit]:
    ctes = _with_of(tree)
    for setop in tree.find_all(exp.SetOperation):
        for side in (setop.this, setop.expression):
            if not isinstance(side, exp.Query):
                continue
            branch = side.copy()
            if ctes is not None and _with_of(branch) is None:
                branch.set("with_", ctes.copy())
            rows = run_rows(db, branch.sql("sqlite"))
            if rows is not None and not rows:
                yield Hit(
                    SenseCheck.EMPTY_SET_BRANCH,
                    f"the {setop.key.upper()} branch `{side.sql()[:160]}` returns no rows: it "
                    "adds nothing; drop it, or add rows it matches",
                )


def _order_on_one_row(tree: exp.Query, db: sqlite3.Connection) -> Iterator[Hit]:
    if tree.args.get("order") is None and tree.args.get("limit") is None:
        return
    bare = tree.copy()
    bare.set("order", None)
    bare.set("limit", None)
    rows = run_rows(db, bare.sql("sqlite"))
    if rows is not None and len(rows) <= 1:
        yield Hit(
            SenseCheck.ORDER_ON_ONE_ROW,
            "ORDER BY / LIMIT on a result of at most one row: they order nothing; drop them or "
            "add rows that make the ranking matter",
        )


def _inflated_count(
    parsed: ParsedRecord, tree: exp.Query, base: Rows, db: sqlite3.Connection
) -> Iterator[Hit]:
    if not isinstance(tree, exp.Select) or not tree.args.get("joins"):
        return
    scope = build_scope(tree, cte_queries(tree))
    from_ = tree.args.get("from_")
    if from_ is None:
        return
    counted = scope.sources.get(from_.this.alias_or_name.lower())
    if counted is None or counted.table is None:
        return
    keys = parsed.schema.facts.primary_keys.get(counted.table) or (
        ("id",) if "id" in parsed.schema.facts.columns.get(counted.table, ()) else ()
    )
    if len(keys) != 1:
        return
    variant = tree.copy()
    replaced = False
    for count in aggregates_in(variant):
        if isinstance(count, exp.Count) and isinstance(count.this, exp.Star):
            key = exp.column(keys[0], table=counted.alias)
            count.replace(exp.Count(this=exp.Distinct(expressions=[key])))
            replaced = True
    if replaced:
        rows = run_rows(db, variant.sql("sqlite"))
        if rows is not None and rows != base:
            yield Hit(
                SenseCheck.INFLATED_COUNT,
                f"COUNT(*) differs from COUNT(DISTINCT {counted.alias}.{keys[0]}) on the rows: "
                f"the joins repeat {counted.table} rows; count distinct keys or aggregate first",
            )


def _dml_all_or_none(tree: exp.Expr, db: sqlite3.Connection) -> Iterator[Hit]:
    if isinstance(tree, exp.Insert):
        query = tree.expression
        if isinstance(query, exp.Query):
            rows = run_rows(db, query.sql("sqlite"))
            if rows is not None and not rows:
                yield Hit(
                    SenseCheck.DML_ALL_OR_NONE,
                    "the INSERT ... SELECT inserts no rows on the data: add rows its query "
                    "selects, or loosen its filters",
                )
        return
    target = tree.this
    if not isinstance(target, exp.Table):
        return
    total = run_rows(db, f"SELECT COUNT(*) FROM {target.sql('sqlite')}")
    if not total:
        return
    reset_budget(db)
    try:
        db.execute("SAVEPOINT sense_dml")
        changed = db.execute(tree.sql("sqlite")).rowcount
    except sqlite3.Error:
        return
    finally:
        db.execute("ROLLBACK TO sense_dml")
        db.execute("RELEASE sense_dml")
    count = int(str(total[0][0]))
    verb = "UPDATE" if isinstance(tree, exp.Update) else "DELETE"
    if changed == 0:
        yield Hit(
            SenseCheck.DML_ALL_OR_NONE,
            f"the {verb} changes no row of {target.name} on the data: add rows its WHERE "
            "matches, or fix the WHERE",
        )
    elif changed >= count > 0:
        yield Hit(
            SenseCheck.DML_ALL_OR_NONE,
            f"the {verb} changes every row of {target.name} ({count}): its WHERE filters "
            "nothing; add rows it leaves alone, or a WHERE the question states",
        )
