"""Absurd nesting is found by a linear scan, before sqlglot's recursion can stall the loop."""

from __future__ import annotations

import pytest

from shared.engines.nesting import MAX_NESTING, is_nested_too_deeply, measure_nesting


@pytest.mark.parametrize(
    ("sql", "depth"),
    [
        ("SELECT 1", 0),
        ("SELECT ((1)) + (2)", 2),
        ("SELECT '((((((' || (a) FROM t", 1),
        ("SELECT \"a(((\" FROM t WHERE (b = 'it''s (')", 1),
        ("SELECT " + "(" * 5000 + "1" + ")" * 5000, 5000),
    ],
)
def test_depth_counts_parentheses_outside_quotes(sql: str, depth: int) -> None:
    assert measure_nesting(sql) == depth


def test_only_text_past_the_limit_is_refused() -> None:
    deep = "SELECT " + "(" * MAX_NESTING + "1" + ")" * MAX_NESTING
    assert not is_nested_too_deeply(deep)
    assert is_nested_too_deeply("SELECT (" + deep[7:] + ")")
    assert not is_nested_too_deeply("SELECT '" + "(" * 1000 + "'")
