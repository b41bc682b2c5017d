"""The feature extractor against hand-checked fixtures in SQLite, PostgreSQL and MySQL."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from proto.common import Engine, JoinKind
from shared.sql.features import (
    QueryAnalysis,
    QueryFeatures,
    analyze_query,
    extract_query_features,
)
from shared.sql.pattern import pattern_hash
from tests.unit.sql.fixture_cases import (
    DEFAULTS,
    DIALECTS,
    OPTIONAL,
    SpelledCase,
    dialects_of,
    expected_features,
    feature_case_files,
    load_yaml,
    nonzero_joins,
    spell,
    spelled_feature_cases,
)


def measured_fields(features: QueryFeatures) -> dict[str, Any]:
    """The features in the fixtures' vocabulary (plain lists, zero counts dropped)."""
    return {
        "statement_type": features.statement_type,
        "statements": features.statements,
        "tables": list(features.tables),
        "joins": nonzero_joins(features.joins),
        "functions": list(features.functions),
        "aggregates": list(features.aggregates),
        "subqueries": {role: n for role, n in features.subqueries.items() if n},
        "window_functions": features.window_functions,
        "ctes": features.ctes,
        "set_operations": list(features.set_operations),
        "nesting_depth": features.nesting_depth,
        "predicates": features.predicates,
        "group_by": features.group_by,
        "having": features.having,
        "order_by": features.order_by,
        "limit": features.limit,
        "distinct": features.distinct,
        "case": features.case,
    }


@pytest.mark.parametrize("case", spelled_feature_cases())
def test_fixture_case(case: SpelledCase) -> None:
    analysis = analyze_query(case.sql, case.dialect)
    assert analysis.error is None, analysis.error
    assert analysis.features is not None
    features = analysis.features
    expected = {key: value for key, value in case.expect.items() if key in DEFAULTS}
    assert measured_fields(features) == expected
    assert features.num_tables == len(expected["tables"])
    assert features.num_joins == sum(expected["joins"].values())
    assert {f.value for f in features.features} == {f.value for f in expected_features(expected)}
    if "features" in case.expect:
        assert {f.value for f in features.features} == set(case.expect["features"])
    if "tokens" in case.expect:
        assert features.tokens == case.expect["tokens"]
    if "pattern" in case.expect:
        assert features.pattern == " ".join(case.expect["pattern"].split())
    assert features.pattern_hash == pattern_hash(features.pattern)


def test_fixtures_cover_every_measured_field() -> None:
    """Each field takes a non-default value in some case, so no field goes untested."""
    covered: set[str] = set()
    for path in feature_case_files():
        for case in load_yaml("features", path.name)["cases"]:
            expect = case["expect"]
            covered |= {key for key, value in expect.items() if value != DEFAULTS.get(key)}
    assert set(DEFAULTS) | set(OPTIONAL) <= covered
    kinds_seen = set()
    for path in feature_case_files():
        for case in load_yaml("features", path.name)["cases"]:
            kinds_seen |= set(case["expect"].get("joins", {}))
    assert kinds_seen == {kind.value for kind in JoinKind}


def test_dialect_spellings_share_a_pattern() -> None:
    """The same query spelled for each engine has one structural pattern."""
    checked = 0
    for path in feature_case_files():
        for case in load_yaml("features", path.name)["cases"]:
            if not case.get("same_pattern", True):
                continue
            patterns = {
                dialect: extract_query_features(spell(case, dialect), dialect).pattern
                for dialect in dialects_of(case)
            }
            assert len(set(patterns.values())) == 1, (case["id"], patterns)
            checked += 1
    assert checked >= 20


def test_summary_is_flat_and_complete() -> None:
    features = extract_query_features(
        "SELECT a, COUNT(*) FROM t LEFT JOIN u ON t.id = u.id GROUP BY a", Engine.SQLITE
    )
    summary = features.summary()
    assert all(isinstance(value, str | int | float | bool) for value in summary.values())
    assert summary["num_tables"] == 2
    assert summary["join_left"] == 1
    assert summary["join_inner"] == 0
    assert summary["tables"] == "t,u"
    assert summary["aggregates"] == "count"
    assert summary["features"] == "aggregate,group_by"
    assert summary["pattern_hash"] == features.pattern_hash
    per_kind = {f"join_{kind.value}" for kind in JoinKind}
    per_role = {f"subquery_{role}" for role in ("scalar", "in", "exists", "derived")}
    assert per_kind | per_role <= set(summary)


def test_features_are_immutable() -> None:
    features = extract_query_features("SELECT a FROM t JOIN u ON t.id = u.id")
    with pytest.raises(TypeError):
        features.joins[JoinKind.INNER] = 5  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        features.tables = ()  # type: ignore[misc]
    assert set(features.joins) == set(JoinKind)
    assert set(features.subqueries) == {"scalar", "in", "exists", "derived"}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("case", load_yaml("features", "unparsable.yaml")["cases"], ids=str)
def test_unparsable_text_gives_an_error_not_an_exception(
    case: dict[str, Any], dialect: Engine
) -> None:
    analysis = analyze_query(case["sql"], dialect)
    assert analysis.features is None
    assert not analysis.ok
    assert analysis.error
    assert "\x1b" not in analysis.error  # no terminal colour codes in stored messages
    if "error" in case:
        assert case["error"].lower() in analysis.error.lower()
    with pytest.raises(ValueError, match="cannot analyze SQL"):
        extract_query_features(case["sql"], dialect)


def test_absurd_nesting_does_not_raise() -> None:
    depth = 400
    sql = "SELECT " + "(SELECT " * depth + "1" + ")" * depth
    analysis = analyze_query(sql, Engine.POSTGRES)
    assert isinstance(analysis, QueryAnalysis)
    if analysis.features is not None:
        assert analysis.features.nesting_depth == depth
    else:
        assert analysis.error


def test_results_are_cached_per_sql_and_dialect() -> None:
    sql = "SELECT id FROM cache_probe WHERE id = 1"
    first = analyze_query(sql, Engine.MYSQL)
    assert analyze_query(sql, Engine.MYSQL) is first
    assert analyze_query(sql, "mysql") is first  # Engine is a str enum: one cache key
    assert analyze_query(sql, "mariadb").features == first.features


def test_dialect_names_users_type_are_accepted() -> None:
    sql = "SELECT a FROM t"
    expected = extract_query_features(sql, Engine.POSTGRES)
    for name in ("postgres", "postgresql", "PG", "Postgres"):
        assert extract_query_features(sql, name) == expected
    with pytest.raises(ValueError, match="unknown SQL dialect"):
        analyze_query(sql, "no-such-engine")


def test_pattern_hash_is_short_hex_and_stable() -> None:
    one = extract_query_features("SELECT a FROM t WHERE b = 1")
    two = extract_query_features("SELECT x FROM y WHERE z = 'q'")
    assert one.pattern_hash == two.pattern_hash
    assert re.fullmatch(r"[0-9a-f]{16}", one.pattern_hash)
    assert pattern_hash("SELECT c FROM t") != pattern_hash("SELECT c FROM t WHERE c = ?")
