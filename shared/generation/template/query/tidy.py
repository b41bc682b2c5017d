"""Keep the innermost SELECT sensible: every joined table contributes something besides its ON
clause, and every WHERE conjunct is witnessed by the rows (removing it changes the result).

A table joined only to be joined is a sense error (issue 12: "a joined table used nowhere but
its own ON clause"), and so is a filter the fixture does not witness. The builder fixes the
first by filtering on the idle table, and the second by dropping the idle filter, so the
question never states a condition that changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace

from shared.generation.template.evaluation.eval_types import Fragile, children
from shared.generation.template.evaluation.evaluate import run_query
from shared.generation.template.instance.rowstore import RowStore
from shared.generation.template.query.predicates import Candidate
from shared.generation.template.sql import ir
from shared.generation.template.words.meaning import Cond


def query_exprs(query: ir.Query) -> Iterator[ir.Expr]:
    for cte in query.ctes:
        yield from query_exprs(cte.query)
    yield from body_exprs(query.body)


def body_exprs(body: ir.Body) -> Iterator[ir.Expr]:
    if isinstance(body, ir.SetOp):
        yield from body_exprs(body.left)
        yield from body_exprs(body.right)
        return
    yield from (i.expr for i in body.items)
    yield from (e for e in (body.where, body.having) if e is not None)
    yield from body.group_by
    yield from (o.expr for o in body.order_by)
    if isinstance(body.source, ir.Derived):
        yield from query_exprs(body.source.query)


def used_aliases(exprs: Iterator[ir.Expr]) -> set[str]:
    """Table aliases read by the expressions, inside subqueries too (aliases are unique across
    a statement, so a correlated reference names an outer table)."""
    found: set[str] = set()
    stack = list(exprs)
    while stack:
        node = stack.pop()
        if isinstance(node, ir.Col) and node.qual is not None:
            found.add(node.qual)
        if isinstance(node, ir.ScalarSub | ir.InSub | ir.Exists):
            stack.extend(query_exprs(node.query))
        stack.extend(children(node))
    return found


def idle_tables(select: ir.Select, alias: dict[str, str]) -> list[str]:
    """Tables of the FROM/JOIN list that nothing outside an ON clause reads."""
    used = used_aliases(body_exprs(select))
    return [t for t, a in alias.items() if a not in used]


def pinned_columns(preds: list[ir.Expr]) -> set[ir.Expr]:
    """Columns a conjunct pins to a single value (`x = 'a'`, `x IN ('a')`, `x IS NULL`):
    grouping, partitioning, listing or counting their distinct values says nothing."""
    out: set[ir.Expr] = set()
    for pred in preds:
        if isinstance(pred, ir.Cmp) and pred.op == "=" and isinstance(pred.right, ir.Lit):
            out.add(pred.left)
        elif isinstance(pred, ir.InList | ir.IsNull) and not pred.negate and _one_value(pred):
            out.add(pred.expr)
    return out


def listed_columns(preds: list[ir.Expr]) -> set[ir.Expr]:
    """Columns a conjunct keeps to a list of values (`x IN ('a', 'b')`): counting their
    distinct values counts the list."""
    return {
        pred.expr
        for pred in preds
        if isinstance(pred, ir.InList) and not pred.negate and len(pred.items) > 1
    }


def _one_value(pred: ir.InList | ir.IsNull) -> bool:
    return isinstance(pred, ir.IsNull) or len(pred.items) == 1


def drop_idle_filters(
    store: RowStore,
    select: ir.Select,
    pairs: list[Candidate],
    keep: set[ir.Expr] | None = None,
    strict: bool = True,
) -> list[Candidate]:
    """The filters whose removal changes the SELECT's rows (others removed, one at a time,
    re-checked against the filters left). A filter in `keep` that changes nothing is a
    Fragile when `strict` (kept otherwise): it is there to make a table contribute or to
    realise a planned subquery, and must matter."""
    kept = list(pairs)
    full = _bag(store, replace(select, where=ir.conjoin([p for p, _ in kept])))
    for pair in list(kept):
        rest = [p for p in kept if p is not pair]
        probe = replace(select, where=ir.conjoin([p for p, _ in rest]))
        if _bag(store, probe) == full:
            if keep and pair[0] in keep:
                if not strict:
                    continue
                raise Fragile("a subquery or table-making filter removes no row")
            kept = rest
    return kept


def changes_rows(store: RowStore, select: ir.Select, preds: list[ir.Expr], pred: ir.Expr) -> bool:
    """Whether adding `pred` to the conjuncts `preds` changes the SELECT's rows."""
    before = _bag(store, replace(select, where=ir.conjoin(preds)))
    return _bag(store, replace(select, where=ir.conjoin([*preds, pred]))) != before


# Bags kept per row store: the same filter set is weighed against each candidate filter in
# turn (changes_rows' "before"), and drop_idle_filters re-evaluates sets seen a moment ago.
BAG_MEMO_SIZE = 512


def _bag(store: RowStore, select: ir.Select) -> Counter[tuple[object, ...]]:
    """The SELECT's rows as a multiset. Memoised on the store: the store's rows never change
    and the evaluation reads nothing else, so an equal SELECT has the same bag (callers only
    compare bags, never change them)."""
    unordered = replace(select, order_by=(), limit=None)
    memo = store.memo.setdefault("tidy.bags", {})
    assert isinstance(memo, dict)
    bag: Counter[tuple[object, ...]] | None = memo.get(unordered)
    if bag is None:
        rows = run_query(store, ir.Query(unordered), None, None, {})
        bag = Counter(tuple(r) for r in rows.rows)
        if len(memo) >= BAG_MEMO_SIZE:
            memo.clear()
        memo[unordered] = bag
    return bag


def conds_of(pairs: list[Candidate]) -> list[Cond]:
    return [c for _, c in pairs]
