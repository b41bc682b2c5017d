"""Value normalisation, multiset vs ordered digests, ORDER BY key mapping (pure)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlglot

from shared.engines.digest import (
    OrderPlan,
    digest_rows,
    digest_tables,
    normalise_value,
    plan_order,
    resolve_keys,
)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (Decimal("2.3333333333333333"), 2.3333333333333335),  # PG numeric AVG vs SQLite float
        (Decimal("2.333333"), 2.33333333),  # MariaDB AVG (scale 6) vs a float
        (0.1 + 0.2, Decimal("0.3")),
        (-0.0, 0),
        (Decimal("10.50"), 10.5),
        (3.0, 3),
        (Decimal("7.0000"), 7),
        (True, 1),
        (dt.date(2024, 1, 2), "2024-01-02"),
        (dt.datetime(2024, 1, 2, 3, 4, 5), "2024-01-02 03:04:05"),
        (dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "2024-01-02 03:04:05"),
    ],
)
def test_equal_values_normalise_equal_across_engine_types(left: object, right: object) -> None:
    assert normalise_value(left) == normalise_value(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [(1, "1"), (None, 0), (None, ""), (2.0001, 2), (b"\x01", "01"), (1.5, 1.49)],
)
def test_different_values_stay_different(left: object, right: object) -> None:
    assert normalise_value(left) != normalise_value(right)


def test_bytes_are_hex_and_huge_numbers_do_not_crash() -> None:
    assert normalise_value(b"\xde\xad") == "x:dead"
    assert normalise_value(1e300) == normalise_value(Decimal("1E+300"))
    assert normalise_value(float("nan")).startswith("n:")


def test_multiset_digest_ignores_order_and_counts_columns() -> None:
    rows = [(1, "a"), (2, "b"), (2, "b")]
    assert digest_rows(rows, 2) == digest_rows(list(reversed(rows)), 2)
    assert digest_rows(rows, 2) != digest_rows(rows[:2], 2)  # multiplicity matters
    assert digest_rows([], 2).startswith("c2:")
    assert digest_rows([], 2) != digest_rows([], 3)


def test_ordered_digest_is_order_sensitive_but_not_within_ties() -> None:
    asc = [(1, "x"), (1, "y"), (2, "z")]
    ties_swapped = [(1, "y"), (1, "x"), (2, "z")]
    reordered = [(2, "z"), (1, "x"), (1, "y")]
    assert digest_rows(asc, 2, (0,)) == digest_rows(ties_swapped, 2, (0,))
    assert digest_rows(asc, 2, (0,)) != digest_rows(reordered, 2, (0,))
    assert digest_rows(asc, 2, (0,)) != digest_rows(asc, 2)  # ordered ≠ multiset digest


def test_table_digest_is_by_table_name() -> None:
    a = ("a", 1, [(1,), (2,)])
    b = ("b", 1, [(3,)])
    assert digest_tables([a, b]) == digest_tables([b, ("`A`", 1, [(2,), (1,)])])
    assert digest_tables([a, b]) != digest_tables([a, ("b", 1, [(4,)])])


def _plan_of(sql: str) -> OrderPlan:
    return plan_order(sqlglot.parse_one(sql))


@pytest.mark.parametrize(
    ("sql", "columns", "keys"),
    [
        ("SELECT a, b FROM t", ["a", "b"], None),
        ("SELECT a, b FROM t ORDER BY b DESC", ["a", "b"], (1,)),
        ("SELECT a AS x, b FROM t ORDER BY x, 2", ["x", "b"], (0, 1)),
        ("SELECT t.a, COUNT(*) FROM t GROUP BY t.a ORDER BY COUNT(*)", ["a", "count"], (1,)),
        ("SELECT * FROM t ORDER BY b", ["a", "b"], (1,)),
        ("SELECT a FROM t ORDER BY b", ["a"], None),  # key not projected: multiset
        ("SELECT a FROM t ORDER BY RANDOM()", ["a"], None),
        ("SELECT a FROM t ORDER BY CASE WHEN a IS NULL THEN 1 ELSE 0 END, a", ["a"], (0,)),
        ("SELECT a FROM t UNION SELECT b FROM u ORDER BY a", ["a"], (0,)),
        ("SELECT a FROM (SELECT a FROM t ORDER BY a) AS s", ["a"], None),  # not top level
    ],
)
def test_order_keys_resolve_to_projected_columns(
    sql: str, columns: list[str], keys: tuple[int, ...] | None
) -> None:
    assert resolve_keys(_plan_of(sql), columns) == keys
