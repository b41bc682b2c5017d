"""Conformance of measured SQL to its blueprint, rule by rule (docs/features.md)."""

from __future__ import annotations

from typing import Any

import pytest

from proto.common import Engine, JoinKind, SqlFeature, TaskType
from proto.sample import Blueprint, ConformanceDiff
from shared.sql.conformance import conformance_diffs
from shared.sql.features import extract_query_features

# One query per SqlFeature that has that feature, in SQLite spelling.
WITNESSES: dict[SqlFeature, str] = {
    SqlFeature.AGGREGATE: "SELECT COUNT(*) FROM t",
    SqlFeature.GROUP_BY: "SELECT a FROM t GROUP BY a",
    SqlFeature.HAVING: "SELECT a FROM t GROUP BY a HAVING a > 1",
    SqlFeature.ORDER_BY: "SELECT a FROM t ORDER BY a",
    SqlFeature.LIMIT: "SELECT a FROM t LIMIT 3",
    SqlFeature.DISTINCT: "SELECT DISTINCT a FROM t",
    SqlFeature.CASE: "SELECT CASE WHEN a > 1 THEN 'x' ELSE 'y' END FROM t",
    SqlFeature.CTE: "WITH c AS (SELECT a FROM t) SELECT a FROM c",
    SqlFeature.SET_OPERATION: "SELECT a FROM t UNION SELECT a FROM t",
    SqlFeature.WINDOW: "SELECT a, ROW_NUMBER() OVER (ORDER BY a) FROM t",
    SqlFeature.SCALAR_SUBQUERY: "SELECT a FROM t WHERE a > (SELECT 1)",
    SqlFeature.IN_SUBQUERY: "SELECT a FROM t WHERE a IN (SELECT 1)",
    SqlFeature.EXISTS_SUBQUERY: "SELECT a FROM t WHERE EXISTS (SELECT 1)",
    SqlFeature.DERIVED_TABLE: "SELECT a FROM (SELECT a FROM t) AS d",
}
PLAIN = "SELECT a FROM t WHERE a = 1"


def plan(**fields: Any) -> Blueprint:
    return Blueprint(domain="retail", **fields)


def diffs_for(
    blueprint: Blueprint, sql: str, dialect: Engine = Engine.SQLITE
) -> list[ConformanceDiff]:
    return conformance_diffs(blueprint, extract_query_features(sql, dialect))


def test_every_feature_has_a_witness() -> None:
    assert set(WITNESSES) == set(SqlFeature)


@pytest.mark.parametrize("feature", list(SqlFeature), ids=str)
def test_planned_feature_present_conforms_and_absent_is_reported(feature: SqlFeature) -> None:
    blueprint = plan(features=[feature])
    assert diffs_for(blueprint, WITNESSES[feature]) == []
    assert diffs_for(blueprint, PLAIN) == [
        ConformanceDiff(property=feature.value, planned=True, measured=False)
    ]


def test_seed_000_claimed_aggregation_without_aggregate_functions() -> None:
    blueprint = plan(task_type=TaskType.ANALYTICS, features=[SqlFeature.AGGREGATE])
    # a window SUM is not an aggregation
    sql = "SELECT a, SUM(b) OVER (PARTITION BY a) FROM t"
    assert [d.property for d in diffs_for(blueprint, sql)] == ["aggregate"]


def test_extra_features_are_fine() -> None:
    sql = "SELECT DISTINCT a FROM t WHERE a IN (SELECT a FROM t) ORDER BY a LIMIT 5"
    assert diffs_for(plan(), sql) == []


def test_num_tables_counts_distinct_base_tables() -> None:
    self_join = "SELECT x.a FROM t AS x JOIN t AS y ON x.id = y.parent_id"
    assert diffs_for(plan(num_tables=2, join_kind=JoinKind.INNER), self_join) == [
        ConformanceDiff(property="num_tables", planned=2, measured=1)
    ]
    assert diffs_for(plan(num_tables=1), self_join) == []


def test_join_kind_must_be_present_when_planned() -> None:
    sql = "SELECT a FROM t JOIN u ON t.id = u.id"
    blueprint = plan(num_tables=2, join_kind=JoinKind.LEFT)
    assert diffs_for(blueprint, sql) == [
        ConformanceDiff(property="join_kind", planned="left", measured=["inner"])
    ]
    assert diffs_for(plan(num_tables=2, join_kind=JoinKind.INNER), sql) == []


def test_comma_join_is_not_an_inner_join() -> None:
    sql = "SELECT a FROM t, u WHERE t.id = u.id"
    assert diffs_for(plan(num_tables=2, join_kind=JoinKind.INNER), sql) == [
        ConformanceDiff(property="join_kind", planned="inner", measured=["cross"])
    ]


def test_join_kind_is_not_checked_for_one_table() -> None:
    assert diffs_for(plan(num_tables=1, join_kind=JoinKind.LEFT), PLAIN) == []


def test_join_kind_may_sit_next_to_other_joins() -> None:
    sql = "SELECT a FROM t JOIN u ON t.id = u.id LEFT JOIN v ON v.id = u.id"
    assert diffs_for(plan(num_tables=3, join_kind=JoinKind.LEFT), sql) == []


@pytest.mark.parametrize(
    ("task", "sql", "planned"),
    [
        (TaskType.MANIPULATION, PLAIN, ["delete", "insert", "update"]),
        (TaskType.RETRIEVAL, "UPDATE t SET a = 2 WHERE a = 1", "select"),
        (TaskType.ANALYTICS, "DELETE FROM t WHERE a = 1", "select"),
    ],
)
def test_task_type_needs_a_matching_statement(task: TaskType, sql: str, planned: Any) -> None:
    measured = extract_query_features(sql).statement_type
    assert diffs_for(plan(task_type=task), sql) == [
        ConformanceDiff(property="statement_type", planned=planned, measured=measured)
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO t (a) VALUES (1)",
        "UPDATE t SET a = 2 WHERE a = 1",
        "DELETE FROM t WHERE a = 1",
    ],
)
def test_manipulation_accepts_insert_update_delete(sql: str) -> None:
    assert diffs_for(plan(task_type=TaskType.MANIPULATION), sql) == []


def test_one_statement_only() -> None:
    assert diffs_for(plan(), "SELECT a FROM t; SELECT a FROM t") == [
        ConformanceDiff(property="statements", planned=1, measured=2)
    ]


def test_planned_tables_must_be_referenced() -> None:
    blueprint = plan(num_tables=2, tables=["Orders", "public.customers"])
    sql = "SELECT COUNT(*) FROM orders JOIN items ON orders.id = items.order_id"
    assert diffs_for(blueprint, sql) == [
        ConformanceDiff(
            property="tables", planned=["customers", "orders"], measured=["items", "orders"]
        )
    ]
    sql = "SELECT COUNT(*) FROM orders AS o JOIN customers AS c ON o.cid = c.id"
    assert diffs_for(blueprint, sql, Engine.POSTGRES) == []


def test_several_problems_are_all_reported_in_order() -> None:
    blueprint = plan(
        task_type=TaskType.ANALYTICS,
        num_tables=2,
        join_kind=JoinKind.LEFT,
        features=[SqlFeature.GROUP_BY, SqlFeature.HAVING, SqlFeature.GROUP_BY],
    )
    assert [d.property for d in diffs_for(blueprint, PLAIN)] == [
        "num_tables",
        "join_kind",
        "group_by",
        "having",
    ]
