"""Nesting evolution compares a group's metric with the groups' average: only a number has one
on every engine. Session 10 lost a record to `MAX(p.start_date) AS latest_start_date` compared
with `(SELECT AVG(latest_start_date) FROM grouped)`: SQLite averages anything, PostgreSQL has
no AVG(date) and MySQL averages a date as a number."""

from __future__ import annotations

import random

import pytest
import sqlglot
from sqlglot import exp

from shared.evolution.context import EvolveContext, view_query
from shared.evolution.model import Evolution
from shared.evolution.ops_nest import feasible_nest, propose_nest
from shared.runtime.local import LocalStack
from tests.unit.evolution.three_engines import assert_valid_on_three_engines

SCHEMA = (
    "CREATE TABLE projects (project_id INTEGER PRIMARY KEY, project_name VARCHAR(40) NOT NULL,"
    " start_date DATE NOT NULL);\n"
    "CREATE TABLE contractors (contractor_id INTEGER PRIMARY KEY, trade VARCHAR(20) NOT NULL,"
    " safety_rating SMALLINT);\n"
    "CREATE TABLE project_contracts (subcontract_id INTEGER PRIMARY KEY,"
    " project_id INTEGER NOT NULL REFERENCES projects (project_id),"
    " contractor_id INTEGER NOT NULL REFERENCES contractors (contractor_id));\n"
    "INSERT INTO projects (project_id, project_name, start_date) VALUES (1, 'Pier', '2021-03-01'),"
    " (2, 'Depot', '2022-07-15'), (3, 'Clinic', '2023-01-10'), (4, 'Bridge', '2020-05-20');\n"
    "INSERT INTO contractors (contractor_id, trade, safety_rating) VALUES (1, 'Electrical', 4),"
    " (2, 'Plumbing', 3), (3, 'Roofing', 2), (4, 'Electrical', 3), (5, 'Masonry', 4);\n"
    "INSERT INTO project_contracts (subcontract_id, project_id, contractor_id) VALUES (1, 1, 1),"
    " (2, 2, 1), (3, 3, 2), (4, 4, 3), (5, 2, 4), (6, 3, 4), (7, 1, 2);"
)
DATES_ONLY = (
    "SELECT c.trade, MAX(p.start_date) AS latest_start_date, MIN(p.project_name) AS first_name"
    " FROM contractors AS c LEFT JOIN project_contracts AS pc ON pc.contractor_id ="
    " c.contractor_id LEFT JOIN projects AS p ON pc.project_id = p.project_id GROUP BY c.trade"
)
MIXED = (
    "SELECT c.trade, MAX(p.start_date) AS latest_start_date, COUNT(pc.subcontract_id) AS"
    " subcontract_count FROM contractors AS c LEFT JOIN project_contracts AS pc ON"
    " pc.contractor_id = c.contractor_id LEFT JOIN projects AS p ON pc.project_id ="
    " p.project_id WHERE c.safety_rating < 5 GROUP BY c.trade"
)


def proposals(sql: str) -> list[Evolution]:
    view = view_query(sqlglot.parse_one(sql, read="sqlite"))
    assert view is not None
    with EvolveContext.open(SCHEMA, ()) as ctx:
        return [e for seed in range(10) for e in propose_nest(view, ctx, random.Random(seed))]


def averaged(evolution: Evolution) -> set[str]:
    tree = sqlglot.parse_one(evolution.sql, read="sqlite")
    return {c.name for avg in tree.find_all(exp.Avg) for c in avg.find_all(exp.Column)}


def test_a_date_or_text_metric_is_never_averaged() -> None:
    found = proposals(MIXED)
    names = {name for e in found for name in averaged(e)}
    assert "subcontract_count" in names, "the count is still compared with its average"
    assert not names & {"latest_start_date", "start_date"}
    others = proposals(DATES_ONLY)
    assert not [e for e in others if "WITH" in e.sql], "no group metric has an average"
    assert not {name for e in others for name in averaged(e)} & {"latest_start_date", "first_name"}
    view = view_query(sqlglot.parse_one(DATES_ONLY, read="sqlite"))
    assert view is not None
    with EvolveContext.open(SCHEMA, ()) as ctx:
        # Only the scalar form (a number of the FROM tables) is left, not the CTE form.
        assert feasible_nest(view, ctx) < 1.0


@pytest.mark.engines
async def test_every_nesting_of_a_grouped_query_runs_on_three_engines(stack: LocalStack) -> None:
    distinct = {e.sql for e in proposals(MIXED) + proposals(DATES_ONLY)}
    assert distinct
    await assert_valid_on_three_engines(stack, SCHEMA, sorted(distinct), agree=False)
