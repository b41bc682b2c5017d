"""Expanded variants a person would ask (shared.evolution.expand_sense): no groups of one row,
no total of years, no bookkeeping column the seed did not read, no shown column its WHERE pins.
Each case is one read in session 10's 300-record run, where all passed the engines and checks."""

from __future__ import annotations

import random

import sqlglot

from shared.evolution.context import EvolveContext, view_query
from shared.evolution.expand_sense import makes_sense
from shared.evolution.reschema import propose_column_swaps

SCHEMA = (
    "CREATE TABLE physicians (id INTEGER PRIMARY KEY, full_name VARCHAR(60) NOT NULL,"
    " specialty VARCHAR(30) NOT NULL, founded_year INTEGER NOT NULL,"
    " years_experience INTEGER NOT NULL, record_status VARCHAR(20) NOT NULL);\n"
    "INSERT INTO physicians (id, full_name, specialty, founded_year, years_experience,"
    " record_status) VALUES (1, 'Ann Lee', 'Cardiology', 1990, 10, 'Active'),"
    " (2, 'Bo Chan', 'Cardiology', 1995, 30, 'Active'), (3, 'Cy Diaz', 'Oncology', 2001, 12,"
    " 'Archived'), (4, 'Di Eze', 'Oncology', 1990, 22, 'Active'), (5, 'Ed Fox', 'Surgery',"
    " 2010, 5, 'Active'), (6, 'Flo Gil', 'Surgery', 1995, 18, 'Archived');"
)
SEED = (
    "SELECT p.specialty, COUNT(*) AS physician_count FROM physicians AS p"
    " WHERE p.years_experience < 25 GROUP BY p.specialty"
)


def test_variants_out_of_their_columns_role_are_refused() -> None:
    with EvolveContext.open(SCHEMA, ()) as ctx:
        assert makes_sense(SEED, SEED.replace("specialty", "specialty"), ctx)
        by_name = SEED.replace("p.specialty", "p.full_name")
        assert not makes_sense(SEED, by_name, ctx), "one physician per name: groups of one"
        # The same name beside the row's key is a per-row grouping: allowed.
        assert makes_sense(
            SEED, by_name.replace("GROUP BY p.full_name", "GROUP BY p.id, p.full_name"), ctx
        )
        total_year = SEED.replace("COUNT(*)", "SUM(p.founded_year)")
        assert not makes_sense(SEED, total_year, ctx)
        assert not makes_sense(SEED, SEED.replace("p.specialty", "p.record_status"), ctx)
        pinned = "SELECT p.founded_year FROM physicians AS p WHERE p.founded_year = 1990"
        assert not makes_sense(pinned, pinned, ctx)


def test_the_column_swaps_do_propose_them() -> None:
    """Without the filter, expansion would offer such variants (so the filter is what keeps
    them out of the run)."""
    view = view_query(sqlglot.parse_one(SEED, read="sqlite"))
    assert view is not None
    with EvolveContext.open(SCHEMA, ()) as ctx:
        found = [
            e.sql for seed in range(6) for e in propose_column_swaps(view, ctx, random.Random(seed))
        ]
        refused = [sql for sql in found if not makes_sense(SEED, sql, ctx)]
        assert refused, found
        assert any("full_name" in sql or "record_status" in sql for sql in refused)
