"""Load the hand-checked SQL fixture files and spell each case for each dialect."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from proto.common import Engine, JoinKind, SqlFeature

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sql"
DIALECTS = (Engine.SQLITE, Engine.POSTGRES, Engine.MYSQL)

# The zero value of every measured field: a fixture's `expect` states only what differs.
DEFAULTS: dict[str, Any] = {
    "statement_type": "select",
    "statements": 1,
    "tables": [],
    "joins": {},
    "functions": [],
    "aggregates": [],
    "subqueries": {},
    "window_functions": 0,
    "ctes": 0,
    "set_operations": [],
    "nesting_depth": 0,
    "predicates": 0,
    "group_by": False,
    "having": False,
    "order_by": False,
    "limit": False,
    "distinct": False,
    "case": False,
}
# Checked only where a fixture gives them.
OPTIONAL = ("tokens", "pattern", "features")


@dataclass(frozen=True)
class SpelledCase:
    """One fixture case in one dialect."""

    case_id: str
    dialect: Engine
    sql: str
    expect: dict[str, Any]
    raw: dict[str, Any]


def load_yaml(*parts: str) -> dict[str, Any]:
    with (FIXTURES.joinpath(*parts)).open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def feature_case_files() -> list[Path]:
    return sorted(
        path for path in (FIXTURES / "features").glob("*.yaml") if path.stem not in _NOT_CASES
    )


_NOT_CASES = {"patterns", "unparsable"}


def dialects_of(case: dict[str, Any]) -> list[Engine]:
    return [Engine(name) for name in case.get("dialects", [d.value for d in DIALECTS])]


def spell(case: dict[str, Any], dialect: Engine, field: str = "sql") -> str:
    return str(case.get(dialect.value, case[field]))


def spelled_feature_cases() -> list[Any]:
    """pytest params: every case of every feature fixture file, in each of its dialects."""
    params = []
    for path in feature_case_files():
        for case in load_yaml("features", path.name)["cases"]:
            for dialect in dialects_of(case):
                expect = {**DEFAULTS, **case["expect"], **case.get(f"expect_{dialect.value}", {})}
                spelled = SpelledCase(case["id"], dialect, spell(case, dialect), expect, case)
                params.append(pytest.param(spelled, id=f"{path.stem}-{case['id']}-{dialect}"))
    return params


def expected_features(expect: dict[str, Any]) -> set[SqlFeature]:
    """docs/features.md's mapping from measurements to SqlFeature, stated independently."""
    subqueries = expect["subqueries"]
    rules = {
        SqlFeature.AGGREGATE: bool(expect["aggregates"]),
        SqlFeature.GROUP_BY: expect["group_by"],
        SqlFeature.HAVING: expect["having"],
        SqlFeature.ORDER_BY: expect["order_by"],
        SqlFeature.LIMIT: expect["limit"],
        SqlFeature.DISTINCT: expect["distinct"],
        SqlFeature.CASE: expect["case"],
        SqlFeature.CTE: expect["ctes"] > 0,
        SqlFeature.SET_OPERATION: bool(expect["set_operations"]),
        SqlFeature.WINDOW: expect["window_functions"] > 0,
        SqlFeature.SCALAR_SUBQUERY: subqueries.get("scalar", 0) > 0,
        SqlFeature.IN_SUBQUERY: subqueries.get("in", 0) > 0,
        SqlFeature.EXISTS_SUBQUERY: subqueries.get("exists", 0) > 0,
        SqlFeature.DERIVED_TABLE: subqueries.get("derived", 0) > 0,
    }
    return {feature for feature, present in rules.items() if present}


def nonzero_joins(joins: Any) -> dict[str, int]:
    return {JoinKind(kind).value: count for kind, count in joins.items() if count}
