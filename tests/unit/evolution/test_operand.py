"""Summary CTEs (shared.evolution.operand): the operators change the body of the one CTE a
summary query reads, so long parents of that shape evolve (session 9: parents of 80+ tokens
kept 9 evolutions of 28, and 8 of 27 such parents were summary CTEs with nothing feasible)."""

from __future__ import annotations

import json
import random

import pytest
import sqlglot
from sqlglot import exp

from shared.evolution.context import EvolveContext, view_query
from shared.evolution.direction import DirectionConfig, OperatorTally
from shared.evolution.evolve import EvolvedDraft, EvolveLog
from shared.evolution.model import Operator
from shared.evolution.operators import propose, score_feasibility
from shared.evolution.parents import Parent, parent_from_record
from shared.evolution.scope import optional_aliases
from shared.evolution.step import evolve_parent
from tests.conftest import FIXTURES

RECORDS = FIXTURES / "evolution" / "summary_ctes.jsonl"


@pytest.fixture(scope="module")
def evolved() -> list[EvolvedDraft]:
    lines = RECORDS.read_text().splitlines()
    parents = [p for line in lines if isinstance(p := parent_from_record(json.loads(line)), Parent)]
    assert len(parents) == 5
    out: list[EvolvedDraft] = []
    for parent in parents:
        out += evolve_parent(
            parent, OperatorTally(), DirectionConfig(top_k=2), random.Random(2), EvolveLog()
        )
    return out


def body_and_outer(sql: str) -> tuple[exp.Select, exp.Select]:
    tree = sqlglot.parse_one(sql, read="sqlite")
    assert isinstance(tree, exp.Select)
    with_ = tree.args.get("with_")
    assert with_ is not None and len(with_.expressions) == 1, sql
    body = with_.expressions[0].this
    assert isinstance(body, exp.Select)
    return body, tree


def test_summary_ctes_evolve_inside_their_body(evolved: list[EvolvedDraft]) -> None:
    parents = {e.parent.id for e in evolved}
    assert len(parents) >= 4, parents
    for evolution in evolved:
        body, outer = body_and_outer(evolution.draft.sql)
        old_body, old_outer = body_and_outer(evolution.parent.draft.sql)
        assert body.sql() != old_body.sql(), "the change is in the body"
        # Every column the body now computes is shown; the outer query is otherwise the same.
        new = {p.alias_or_name for p in body.expressions} - {
            p.alias_or_name for p in old_body.expressions
        }
        shown = {p.alias_or_name for p in outer.expressions}
        assert new <= shown, evolution.draft.sql
        assert outer.args.get("where") == old_outer.args.get("where")


def test_a_filter_in_the_body_is_worded_for_the_rows_it_counts(
    evolved: list[EvolvedDraft],
) -> None:
    filtered = [
        e for e in evolved if e.evolution.change.kind.value in {"add_filter", "add_between"}
    ]
    for evolution in filtered:
        assert "counting only" in evolution.draft.question, evolution.draft.question
    for evolution in evolved:
        body, _ = body_and_outer(evolution.draft.sql)
        old_body, _ = body_and_outer(evolution.parent.draft.sql)
        optional = optional_aliases(body)
        where = body.args.get("where")
        old = old_body.args.get("where")
        added = where.sql() if where is not None else ""
        if old is not None:
            added = added.replace(old.this.sql(), "")
        # No condition on the optional side of a LEFT JOIN in the body (shared.evolution.scope).
        assert not any(f"{alias}." in added.split("SELECT")[0] for alias in optional), added


DERIVED_SCHEMA = (
    "CREATE TABLE courses (id INTEGER PRIMARY KEY, course VARCHAR(20) NOT NULL,"
    " seats INTEGER NOT NULL, level VARCHAR(10) NOT NULL);\n"
    "CREATE TABLE enrollments (id INTEGER PRIMARY KEY, course_id INTEGER NOT NULL"
    " REFERENCES courses(id), grade INTEGER NOT NULL);\n"
    "INSERT INTO courses (id, course, seats, level) VALUES (1, 'Math', 30, 'Intro'),"
    " (2, 'Math', 20, 'Advanced'), (3, 'Art', 25, 'Intro'), (4, 'Art', 40, 'Advanced'),"
    " (5, 'Music', 15, 'Intro'), (6, 'Music', 35, 'Advanced');\n"
    "INSERT INTO enrollments (id, course_id, grade) VALUES (1, 1, 80), (2, 1, 70), (3, 2, 90),"
    " (4, 3, 65), (5, 4, 60), (6, 4, 75), (7, 4, 85), (8, 6, 95), (9, 5, 55), (10, 6, 72);"
)
DERIVED = (
    "SELECT sub.course, sub.enrollment_count FROM (SELECT c.course, COUNT(e.id) AS"
    " enrollment_count FROM courses AS c INNER JOIN enrollments AS e ON e.course_id = c.id"
    " GROUP BY c.course) AS sub"
)


def test_a_derived_table_summary_is_evolved_inside() -> None:
    view = view_query(sqlglot.parse_one(DERIVED, read="sqlite"))
    assert view is not None
    with EvolveContext.open(DERIVED_SCHEMA, ()) as ctx:
        feasible = {op for op, s in score_feasibility(view, ctx).items() if s > 0}
        assert {Operator.FUNC, Operator.LOGIC, Operator.OP} <= feasible
        found = [e for op in feasible for e in propose(op, view, ctx, random.Random(1))]
        assert found
        for evolution in found:
            tree = sqlglot.parse_one(evolution.sql, read="sqlite")
            sub = tree.args["from_"].this
            assert isinstance(sub, exp.Subquery) and sub.alias == "sub", evolution.sql
            assert sub.this.sql() != sqlglot.parse_one(DERIVED).args["from_"].this.this.sql()
            assert ctx.run(evolution.sql) is not None, evolution.sql
