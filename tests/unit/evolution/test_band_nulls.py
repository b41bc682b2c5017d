"""A CASE band over a column that can be NULL (a LEFT JOIN's optional side, or a nullable
column) gives no band to a row without a value. Session 10's reading: a date band on the
optional side of a LEFT JOIN called every unmatched row 'Earlier' (the CASE's ELSE)."""

from __future__ import annotations

import random

import pytest
import sqlglot
from sqlglot import exp

from proto.common import PromptStyle
from shared.evolution.context import EvolveContext, view_query
from shared.evolution.model import ChangeKind, Evolution
from shared.evolution.ops_expr import propose_op
from shared.evolution.wording import reword_question
from shared.runtime.local import LocalStack
from tests.unit.evolution.three_engines import assert_valid_on_three_engines

SCHEMA = (
    "CREATE TABLE members (id INTEGER PRIMARY KEY, member_name VARCHAR(20) NOT NULL,"
    " joined_on DATE NOT NULL);\n"
    "CREATE TABLE visits (id INTEGER PRIMARY KEY, member_id INTEGER NOT NULL"
    " REFERENCES members(id), visited_on DATE NOT NULL);\n"
    "INSERT INTO members (id, member_name, joined_on) VALUES (1, 'Ana', '2020-01-05'),"
    " (2, 'Bo', '2021-04-11'), (3, 'Cy', '2022-08-30'), (4, 'Di', '2023-02-14'),"
    " (5, 'Ed', '2023-11-02');\n"
    "INSERT INTO visits (id, member_id, visited_on) VALUES (1, 1, '2022-01-10'),"
    " (2, 2, '2022-05-03'), (3, 3, '2023-03-21'), (4, 1, '2023-07-07'), (5, 4, '2024-01-19'),"
    " (6, 2, '2024-06-30');"
)
PARENT = (
    "SELECT m.member_name, v.visited_on FROM members AS m"
    " LEFT JOIN visits AS v ON v.member_id = m.id"
)


def bands() -> list[Evolution]:
    view = view_query(sqlglot.parse_one(PARENT, read="sqlite"))
    assert view is not None
    with EvolveContext.open(SCHEMA, ()) as ctx:
        found = [e for seed in range(16) for e in propose_op(view, ctx, random.Random(seed))]
    return [e for e in found if e.change.kind is ChangeKind.ADD_BAND]


def test_an_unmatched_row_gets_no_band_and_the_question_says_so() -> None:
    found = [e for e in bands() if "visited_on" in e.sql.split("CASE", 1)[1]]
    assert found, "the optional side's date is banded"
    with EvolveContext.open(SCHEMA, ()) as ctx:
        for evolution in found:
            rows = ctx.run(evolution.sql)
            assert rows is not None
            unmatched = [r for r in rows if r[1] is None]
            assert unmatched, "Ed has no visit"
            assert all(r[2] is None for r in unmatched), (evolution.sql, unmatched)
            assert {r[2] for r in rows if r[1] is not None} == {"Recent", "Earlier"}
            question = reword_question(
                "What are the member names and visit dates of members?",
                evolution.change,
                PromptStyle.DIRECT,
                random.Random(0),
            )
            assert question is not None and "otherwise" not in question, question
    # A column that always has a value keeps the two-way band.
    kept = [e for e in bands() if "joined_on" in e.sql.split("CASE", 1)[1]]
    for evolution in kept:
        case = sqlglot.parse_one(evolution.sql, read="sqlite").find(exp.Case)
        assert case is not None and case.args.get("default") is not None


@pytest.mark.engines
async def test_the_bands_agree_on_three_engines(stack: LocalStack) -> None:
    distinct = {e.sql for e in bands()}
    assert distinct
    await assert_valid_on_three_engines(stack, SCHEMA, sorted(distinct))
