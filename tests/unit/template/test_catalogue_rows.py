"""Generated rows: referential integrity, determinism, plausible values, executable context."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from datetime import date

import pytest

from proto.sample import Scalar, TableRows
from shared.generation.template.instance.rows import generate_rows
from shared.generation.template.instance.schema_instance import build_schema
from shared.generation.template.schema.catalogue import domain_names, get_domain
from shared.generation.template.schema.ddl import render_insert, render_literal
from shared.generation.template.schema.schema_model import ColumnType, Domain, ValueKind
from tests.unit.template.helpers import render_sql_context

VARIANTS = (0, 1, 7)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _column(rows: TableRows, name: str) -> list[Scalar]:
    at = rows.columns.index(name)
    return [row[at] for row in rows.values]


def _by_table(domain: Domain, variant: int) -> dict[str, TableRows]:
    return {r.table: r for r in generate_rows(domain, variant)}


@pytest.mark.parametrize("name", domain_names())
@pytest.mark.parametrize("variant", VARIANTS)
def test_foreign_keys_point_at_existing_parents(name: str, variant: int) -> None:
    domain = get_domain(name)
    tables = _by_table(domain, variant)
    for table in domain.tables:
        for fk in table.foreign_keys:
            parent_ids = set(_column(tables[fk.ref_table], fk.ref_column))
            values = _column(tables[table.name], fk.column)
            assert all(v in parent_ids for v in values if v is not None), (table.name, fk)
            if not table.column(fk.column).nullable:
                assert None not in values


@pytest.mark.parametrize("name", domain_names())
def test_some_parents_have_no_children_but_most_do(name: str) -> None:
    domain = get_domain(name)
    tables = _by_table(domain, 0)
    for table in domain.tables:
        for fk in table.foreign_keys:
            parent_ids = set(_column(tables[fk.ref_table], fk.ref_column))
            used = set(_column(tables[table.name], fk.column)) - {None}
            if fk.ref_table == table.name or len(parent_ids) < 7:
                continue
            assert used < parent_ids, f"{table.name}.{fk.column}: every parent has children"
            if not table.column(fk.column).nullable:  # optional links may well be sparse
                assert len(used) >= len(parent_ids) // 2, f"{table.name}.{fk.column}: sparse"


@pytest.mark.parametrize("name", domain_names())
def test_rows_are_deterministic_per_variant(name: str) -> None:
    domain = get_domain(name)
    assert generate_rows(domain, 3) == generate_rows(domain, 3)
    assert generate_rows(domain, 3) != generate_rows(domain, 4)
    assert build_schema(name, 2) is build_schema(name, 2)


@pytest.mark.parametrize("name", domain_names())
def test_values_are_plausible_for_their_kind(name: str) -> None:
    domain = get_domain(name)
    for variant in VARIANTS:
        tables = _by_table(domain, variant)
        for table in domain.tables:
            rows = tables[table.name]
            assert 8 <= len(rows.values) <= 45, (table.name, len(rows.values))
            assert _column(rows, table.primary_key) == list(range(1, len(rows.values) + 1))
            for column in table.columns:
                values = _column(rows, column.name)
                present: list[Scalar] = [v for v in values if v is not None]
                if not column.nullable:
                    assert len(present) == len(values), f"{table.name}.{column.name}"
                _check_kind(f"{name}.{table.name}.{column.name}", column.type, column.kind, present)
                if column.kind is ValueKind.CATEGORY or column.kind is ValueKind.TITLE:
                    assert set(present) <= set(column.values)
                if column.low is not None and column.type is not ColumnType.DATE:
                    high = 1e12 if column.high is None else column.high
                    assert all(column.low <= float(str(v)) <= high for v in present)
            if table.label_column is not None:
                labels = _column(rows, table.label_column)
                assert None not in labels and len(set(labels)) == len(labels), table.name
            for pair in [tuple(table.unique_together)] if table.unique_together else []:
                keys = [tuple(r[rows.columns.index(c)] for c in pair) for r in rows.values]
                assert len(set(keys)) == len(keys)


def _check_kind(where: str, col_type: ColumnType, kind: ValueKind, values: list[Scalar]) -> None:
    if col_type is ColumnType.INTEGER:
        assert all(isinstance(v, int) and not isinstance(v, bool) for v in values), where
    elif col_type is ColumnType.DECIMAL:
        assert all(isinstance(v, float) and round(v, 2) == v for v in values), where
        assert all(0 <= v < 10**10 for v in values), where  # type: ignore[operator]
    elif col_type is ColumnType.DATE:
        assert all(isinstance(v, str) and ISO_DATE.match(v) for v in values), where
        assert all(1930 <= date.fromisoformat(v).year <= 2030 for v in values), where  # type: ignore[arg-type]
    else:
        assert all(isinstance(v, str) and 0 < len(v) <= 120 for v in values), where
        assert not any("'" in v or "\\" in v for v in values), where  # type: ignore[operator]
    if kind is ValueKind.EMAIL:
        assert all(re.match(r"^[a-z0-9.]+@[a-z.]+$", str(v)) for v in values), where
        assert len(set(values)) == len(values), where
    if kind is ValueKind.CODE:
        assert len(set(values)) == len(values), where


def test_dates_after_their_start_and_nulls_appear() -> None:
    nullable_seen: Counter[str] = Counter()
    for name in domain_names():
        domain = get_domain(name)
        tables = _by_table(domain, 0)
        for table in domain.tables:
            rows = tables[table.name]
            for column in table.columns:
                values = _column(rows, column.name)
                if column.nullable and None in values:
                    nullable_seen[name] += 1
                if column.after is not None:
                    starts = _column(rows, column.after)
                    assert all(
                        e is None or str(e) >= str(s) for s, e in zip(starts, values, strict=True)
                    )
    assert set(nullable_seen) == set(domain_names())


def test_schema_instance_exposes_ddl_rows_and_present_values() -> None:
    instance = build_schema("retail", 1)
    assert instance.schema_id == "retail#1"
    statements = instance.ddl.splitlines()
    assert len(statements) == len(instance.domain.tables) == len(instance.rows)
    assert all(s.startswith("CREATE TABLE ") and s.endswith(");") for s in statements)
    assert [r.table for r in instance.rows] == [s.split()[2] for s in statements]
    tiers = instance.values("customers", "loyalty_tier")
    assert tiers and len(tiers) == len(set(tiers)) and None not in tiers
    assert set(tiers) <= set(_column(instance.table_rows("customers"), "loyalty_tier"))
    with pytest.raises(KeyError):
        instance.values("customers", "nope")


def test_rows_per_table_sets_the_size() -> None:
    small = build_schema("logistics", 0, rows_per_table=10)
    for table, rows in zip(
        small.domain.tables, (small.table_rows(t.name) for t in small.domain.tables), strict=True
    ):
        assert len(rows.values) == (15 if table.unique_together else 10)


def test_literals_render_portably() -> None:
    assert render_literal(12.5) == "12.50"
    assert render_literal(None) == "NULL"
    assert render_literal("O'Hara") == "'O''Hara'"
    with pytest.raises(ValueError):
        render_literal("a\\b")
    with pytest.raises(ValueError):
        render_literal(True)
    rows = TableRows(table="t", columns=["a", "b"], values=[[1, "x"], [2, None], [3, "z"]])
    assert render_insert(rows, chunk=2) == [
        "INSERT INTO t (a, b) VALUES (1, 'x'), (2, NULL);",
        "INSERT INTO t (a, b) VALUES (3, 'z');",
    ]


@pytest.mark.parametrize("name", domain_names())
def test_sql_context_executes_on_sqlite_with_foreign_keys_on(name: str) -> None:
    instance = build_schema(name, 0)
    conn = sqlite3.connect(":memory:")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.executescript(render_sql_context(instance))
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    for rows in instance.rows:
        (count,) = conn.execute(f"SELECT COUNT(*) FROM {rows.table}").fetchone()
        assert count == len(rows.values)
    conn.close()
