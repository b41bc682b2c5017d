"""Functional wrapping beyond one more aggregate (EvolSQL appendix G.3: "aggregate functions,
... or window functions"): a grouped query whose numbers are all aggregated gets a window over
its groups (the overall total or a rank of a count it shows), a row query a rank or total
within each value of a categorical column; the windows run alike on the three real engines.

Session 9's round 2 had fewer functions per query than the first generation (1.24 against
1.31): such parents offered functional wrapping nothing, or one rank per non-null number."""

from __future__ import annotations

import random

import pytest
import sqlglot
from sqlglot import exp

from proto.common import PromptStyle
from shared.evolution.context import EvolveContext, view_query
from shared.evolution.model import ChangeKind, Evolution
from shared.evolution.ops_expr import propose_func
from shared.evolution.wording import reword_question
from shared.runtime.local import LocalStack
from tests.unit.evolution.three_engines import assert_valid_on_three_engines

SCHEMA = (
    "CREATE TABLE courses (id INTEGER PRIMARY KEY, title VARCHAR(40) NOT NULL,"
    " course VARCHAR(20) NOT NULL, seats INTEGER NOT NULL, fee DECIMAL(6,2) NOT NULL);\n"
    "CREATE TABLE enrollments (id INTEGER PRIMARY KEY, course_id INTEGER NOT NULL"
    " REFERENCES courses(id), grade INTEGER);\n"
    "INSERT INTO courses (id, title, course, seats, fee) VALUES (1, 'A', 'Math', 30, 10.5),"
    " (2, 'B', 'Math', 20, 12.0), (3, 'C', 'Art', 25, 8.25), (4, 'D', 'Art', 40, 9.0),"
    " (5, 'E', 'Music', 15, 11.0), (6, 'F', 'Math', 35, 7.5);\n"
    "INSERT INTO enrollments (id, course_id, grade) VALUES (1, 1, 80), (2, 1, 70), (3, 2, 90),"
    " (4, 3, NULL), (5, 4, 60), (6, 4, 75), (7, 4, 85), (8, 6, 95);"
)
GROUPED = (
    "SELECT c.course, COUNT(e.id) AS enrollment_count, MAX(e.grade) AS top_grade"
    " FROM courses AS c INNER JOIN enrollments AS e ON e.course_id = c.id GROUP BY c.course"
)
ROWS = "SELECT c.title, c.course, c.seats, c.fee FROM courses AS c WHERE c.fee > 8"


def proposals(sql: str, seeds: range = range(12)) -> list[Evolution]:
    view = view_query(sqlglot.parse_one(sql, read="sqlite"))
    assert view is not None
    with EvolveContext.open(SCHEMA, ()) as ctx:
        return [e for seed in seeds for e in propose_func(view, ctx, random.Random(seed))]


def windows(evolution: Evolution) -> list[exp.Window]:
    return list(sqlglot.parse_one(evolution.sql, read="sqlite").find_all(exp.Window))


def test_a_grouped_query_gets_a_window_over_its_groups() -> None:
    found = [e for e in proposals(GROUPED) if windows(e)]
    assert found, "a window over the groups is proposed"
    kinds = {e.change.kind for e in found}
    assert kinds == {ChangeKind.ADD_METRIC, ChangeKind.ADD_RANK}
    for evolution in found:
        (window,) = windows(evolution)
        # Over the count the query shows; never over the MAX (a total of maxima says nothing).
        assert isinstance(window.find(exp.Count), exp.Count), evolution.sql
        assert window.find(exp.Max) is None
        assert "number of enrollments" in evolution.change.label


def test_a_row_query_gets_a_rank_or_total_within_each_category() -> None:
    found = [e for e in proposals(ROWS) if e.change.within]
    assert found, "a partitioned window is proposed"
    for evolution in found:
        (window,) = windows(evolution)
        partition = window.args.get("partition_by") or []
        assert [p.sql() for p in partition] == ["c.course"]
        # A decimal is never totalled (floating point on SQLite, exact on PostgreSQL).
        if isinstance(window.this, exp.Sum):
            assert "seats" in window.this.sql()
        question = reword_question(
            "What are the titles, courses, seats and fees of courses with fee above 8?",
            evolution.change,
            PromptStyle.DIRECT,
            random.Random(0),
        )
        assert question is not None and "within each course" in question


@pytest.mark.engines
async def test_the_new_windows_agree_on_three_engines(stack: LocalStack) -> None:
    found = [e for e in proposals(GROUPED) + proposals(ROWS) if windows(e)]
    distinct = {e.sql: e for e in found}
    assert len(distinct) >= 3
    await assert_valid_on_three_engines(stack, SCHEMA, distinct)


def test_no_window_before_a_limit_and_no_second_band_of_a_column() -> None:
    """Session 10's reading: a rank "of the first customer" (computed before LIMIT 1), and a
    second 'unit cost band' beside the parent's under the same column name."""
    limited = ROWS + " ORDER BY c.title LIMIT 1"
    assert not [e for e in proposals(limited) if windows(e)]
    banded = (
        "SELECT c.title, CASE WHEN c.fee >= 10 THEN 'High' ELSE 'Low' END AS fee_band"
        " FROM courses AS c"
    )
    from shared.evolution.ops_expr import propose_op

    view = view_query(sqlglot.parse_one(banded, read="sqlite"))
    assert view is not None
    with EvolveContext.open(SCHEMA, ()) as ctx:
        found = [e for seed in range(8) for e in propose_op(view, ctx, random.Random(seed))]
    assert found
    assert not [e for e in found if e.sql.count("AS fee_band") > 1]
