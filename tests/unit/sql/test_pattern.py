"""Structural patterns: what must meet, what must stay apart, and the standalone entry point."""

from __future__ import annotations

from typing import Any

import pytest
import sqlglot

from proto.common import Engine
from shared.sql.features import extract_query_features, structural_pattern
from shared.sql.pattern import pattern_hash
from tests.unit.sql.fixture_cases import load_yaml

PATTERNS = load_yaml("features", "patterns.yaml")


def pattern_of(query: list[str]) -> str:
    dialect, sql = query
    return structural_pattern(sql, Engine(dialect))


@pytest.mark.parametrize("group", PATTERNS["same"], ids=lambda group: group["id"])
def test_queries_that_share_a_shape_share_a_pattern(group: dict[str, Any]) -> None:
    patterns = [pattern_of(query) for query in group["queries"]]
    assert len(set(patterns)) == 1, patterns
    assert len({pattern_hash(p) for p in patterns}) == 1


@pytest.mark.parametrize("group", PATTERNS["distinct"], ids=lambda group: group["id"])
def test_queries_with_different_shapes_keep_their_own_pattern(group: dict[str, Any]) -> None:
    patterns = [pattern_of(query) for query in group["queries"]]
    assert len(set(patterns)) == len(patterns), patterns


def test_identifiers_and_values_do_not_survive() -> None:
    sql = (
        "SELECT cust.full_name, 'secret' FROM shop.customers AS cust "
        "WHERE cust.email LIKE '%@example.com' AND cust.age > 42"
    )
    pattern = structural_pattern(sql, Engine.POSTGRES)
    for leaked in ("cust", "full_name", "secret", "shop", "customers", "email", "example", "42"):
        assert leaked not in pattern.lower()


def test_a_tree_gives_the_same_pattern_and_is_left_untouched() -> None:
    sql = "SELECT u.name AS n FROM users AS u WHERE u.id IN (1, 2) ORDER BY n"
    tree = sqlglot.parse_one(sql, read="sqlite")
    before = tree.sql()
    assert structural_pattern(tree) == extract_query_features(sql).pattern
    assert tree.sql() == before


def test_unparsable_text_raises_value_error() -> None:
    with pytest.raises(ValueError, match="cannot parse SQL"):
        structural_pattern("SELECT * FROM", Engine.SQLITE)
