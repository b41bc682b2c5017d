"""Grouped per entity, a measure of that entity's own columns is the same in every row of the
group: 'the highest floor area per store' is the store's floor area, 'the number of customers
with store region Central' per store is all or none. And a CASE count does not repeat a
condition the WHERE already pins (`city = 'Boston'` counted again is the row count)."""

from __future__ import annotations

from sqlglot import exp

from proto.common import JoinKind, SqlFeature
from proto.sample import Blueprint
from shared.generation.template.instance.rowstore import RowStore
from tests.unit.template.helpers import built_selects

DOMAINS = ("restaurant", "retail", "library", "veterinary", "gaming", "hospitality")


def _trees(features: list[SqlFeature]) -> list[tuple[exp.Expr, RowStore]]:
    def blueprint(domain: str, i: int) -> Blueprint:
        return Blueprint(
            domain=domain, num_tables=2 + i % 2, join_kind=JoinKind.INNER, features=features
        )

    return [(b.tree, b.store) for b in built_selects(DOMAINS, 30, blueprint)]


def _per_entity(select: exp.Select, store: RowStore) -> set[str]:
    """Aliases of the tables the SELECT groups by their whole key."""
    group = select.args.get("group")
    if group is None:
        return set()
    tables = {t.alias_or_name: t.name for t in select.find_all(exp.Table)}
    grouped = {(c.table, c.name) for c in group.expressions if isinstance(c, exp.Column)}
    return {
        alias
        for alias, name in tables.items()
        if store.row_key(name) and all((alias, k) in grouped for k in store.row_key(name))
    }


def test_no_measure_or_case_count_reads_the_grouped_entitys_own_columns() -> None:
    checked = 0
    for tree, store in _trees([SqlFeature.AGGREGATE, SqlFeature.GROUP_BY, SqlFeature.CASE]):
        for select in tree.find_all(exp.Select):
            fixed = _per_entity(select, store)
            if not fixed:
                continue
            for agg in select.find_all(exp.Max, exp.Min, exp.Sum, exp.Avg, exp.Case):
                if agg.find_ancestor(exp.Select) is not select:
                    continue
                checked += 1
                for column in agg.find_all(exp.Column):
                    assert column.table not in fixed, select.sql()
    assert checked >= 20


def test_a_case_count_does_not_repeat_a_pinned_condition() -> None:
    checked = 0
    for tree, _ in _trees([SqlFeature.AGGREGATE, SqlFeature.CASE]):
        for select in tree.find_all(exp.Select):
            where = select.args.get("where")
            if where is None:
                continue
            parts = where.this.flatten() if isinstance(where.this, exp.And) else [where.this]
            pinned = {
                p.this.sql()
                for p in parts
                if isinstance(p, exp.EQ)
                and isinstance(p.this, exp.Column)
                and isinstance(p.expression, exp.Literal)
            }
            for case in select.find_all(exp.Case):
                if case.find_ancestor(exp.Select) is not select:
                    continue
                checked += 1
                for column in case.find_all(exp.Column):
                    assert column.sql() not in pinned, select.sql()
    assert checked >= 10
