"""Metrics on the hand-made dataset of conftest.SMALL_ROWS, against values worked out by hand.

Per parsed query (tables, joins, functions, aggregates, subqueries, windows, CTEs, nesting
levels, tokens):
  Q0 SELECT a FROM t1                                      1 0 0 0 0 0 0 1  4
  Q1 SELECT COUNT(*) FROM t1 JOIN t2 ON t1.a = t2.a        2 1 1 1 0 0 0 1 17
  Q2 ... t1 LEFT JOIN t2 ON ... CROSS JOIN t3              3 2 0 0 0 0 0 1 20
  Q3 SELECT a FROM t1 WHERE a IN (SELECT a FROM t2)        2 0 0 0 1 0 0 2 13
  Q4 WITH x AS (... SUM(b) OVER ...) ... UNION ...         2 0 1 0 0 1 1 1 29
  Q5 "this is not sql"                                     (does not parse)
  Q6 SELECT b FROM t1                                      1 0 0 0 0 0 0 1  4
Schemas: Q0 and Q6 on B (1 table, no keys), Q1-Q4 on A (3 tables, PK, FK), Q5 none.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from shared.report.build import ReportOptions, build_report
from shared.report.load import load_report_dataset


@pytest.fixture
def metrics(small_dataset: Path) -> dict[str, Any]:
    return build_report([load_report_dataset(small_dataset)], options=ReportOptions())


def test_counts(metrics: dict[str, Any]) -> None:
    assert metrics["rows"] == 7
    assert metrics["parsed"] == 6
    assert metrics["parse_errors"] == 1
    assert metrics["with_schema"] == 6
    assert metrics["with_question"] == 7
    assert metrics["malformed"] == 0
    assert metrics["validity"] is None  # plain rows carry no checks


def test_complexity_means(metrics: dict[str, Any]) -> None:
    complexity = metrics["complexity"]
    assert complexity["tables"] == pytest.approx(11 / 6)
    assert complexity["joins"] == pytest.approx(3 / 6)
    assert complexity["functions"] == pytest.approx(2 / 6)
    assert complexity["aggregates"] == pytest.approx(1 / 6)
    assert complexity["subqueries"] == pytest.approx(1 / 6)
    assert complexity["window_functions"] == pytest.approx(1 / 6)
    assert complexity["ctes"] == pytest.approx(1 / 6)
    assert complexity["nesting"] == pytest.approx(7 / 6)
    assert complexity["nesting_depth"] == pytest.approx(1 / 6)
    assert complexity["tokens"] == pytest.approx(87 / 6)


def test_histograms(metrics: dict[str, Any]) -> None:
    assert metrics["histograms"]["tables"] == {"0": 0, "1": 2, "2": 3, "3": 1}
    assert metrics["histograms"]["nesting"] == {"0": 0, "1": 5, "2": 1}
    # Tokens in buckets of ten: 4, 4 | 13, 17 | 20, 29.
    assert metrics["histograms"]["tokens"] == {"0-9": 2, "10-19": 2, "20-29": 2}


def test_seed_000_shares(metrics: dict[str, Any]) -> None:
    shares = metrics["shares"]
    assert shares["queries"] == 6 and shares["schemas"] == 6
    assert shares["query_tables_3_to_5"] == pytest.approx(1 / 6)
    assert shares["non_inner_join"] == pytest.approx(1 / 6)
    assert shares["cte"] == pytest.approx(1 / 6)
    assert shares["set_operation"] == pytest.approx(1 / 6)
    assert shares["window_function"] == pytest.approx(1 / 6)
    assert shares["subquery"] == pytest.approx(1 / 6)  # a CTE body is not a subquery
    assert shares["join"] == pytest.approx(2 / 6)
    assert shares["non_inner_join_among_joined"] == pytest.approx(1 / 2)
    # Schema shares count the six records with a schema: four on A, two on B.
    assert shares["schema_tables_3_to_5"] == pytest.approx(4 / 6)
    assert shares["primary_key"] == pytest.approx(4 / 6)
    assert shares["foreign_key"] == pytest.approx(4 / 6)


def test_patterns_and_entropy(metrics: dict[str, Any]) -> None:
    patterns = metrics["patterns"]
    # Q0 and Q6 share "SELECT c FROM t"; the other four are distinct.
    assert patterns["unique"] == 5
    expected = -(2 / 6) * math.log2(2 / 6) - 4 * (1 / 6) * math.log2(1 / 6)
    assert patterns["entropy"] == pytest.approx(expected)
    assert patterns["max_entropy"] == pytest.approx(math.log2(6))
    assert patterns["top"][0] == ["SELECT c FROM t", 2]


def test_coverage(metrics: dict[str, Any]) -> None:
    coverage = metrics["coverage"]
    assert coverage["databases"] == 2
    # Used: B.t1; A.t1, A.t2, A.t3. Declared: the same four.
    assert coverage["tables"] == 4
    assert coverage["schema_tables"] == 4
    assert coverage["table_share"] == pytest.approx(1.0)
    # Used columns: B.t1.a, B.t1.b (Q0, Q6); A.t1.a, A.t2.a (Q1-Q3); A.t1.b (Q4's CTE body).
    # Q4's outer "SELECT a FROM x" reads a CTE; Q1's COUNT(*) reads no column.
    assert coverage["columns"] == 5
    assert coverage["schema_columns"] == 7  # B: a, b; A: t1 a, b; t2 a, c; t3 x
    assert coverage["column_share"] == pytest.approx(5 / 7)


def test_distributions_measured_for_any_dataset(metrics: dict[str, Any]) -> None:
    measured = metrics["distributions"]["sql_complexity_measured"]
    # Q4 has a CTE; Q3 a subquery; Q1 and Q2 join; Q0 and Q6 are plain.
    assert measured["counts"] == {
        "CTEs": 1,
        "subqueries": 1,
        "multiple_joins": 1,
        "single join": 1,
        "basic SQL": 2,
    }
    assert measured["n"] == 6
    assert sum(measured["shares"].values()) == pytest.approx(1.0)
    assert metrics["distributions"]["prompt_style"]["n"] == 0  # no labels in this file
    assert metrics["distributions"]["statement_type"]["counts"] == {"select": 6}


def test_labels_mapped_by_flag(tmp_path: Path) -> None:
    rows = [
        '{"sql": "SELECT a FROM t", "level": "hard"}',
        '{"sql": "SELECT b FROM t", "level": "hard"}',
        '{"sql": "SELECT c FROM t", "level": "easy"}',
    ]
    path = tmp_path / "labels.jsonl"
    path.write_text("\n".join(rows) + "\n")
    options = ReportOptions(label_map={"complexity": "level"})
    document = build_report([load_report_dataset(path)], options=options)
    assert document["distributions"]["complexity"]["counts"] == {"easy": 1, "hard": 2}
