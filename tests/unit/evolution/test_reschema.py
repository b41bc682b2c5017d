"""Expansion along the schema: the same skeleton over another table or column of the same kind,
filters redrawn from the new column's values, and the question's words replaced in place."""

from __future__ import annotations

import random

import sqlglot

from proto.common import PromptStyle
from shared.evolution.context import EvolveContext, view_query
from shared.evolution.reschema import _spoken_like, propose_column_swaps, propose_table_swaps
from shared.evolution.wording import realize_sql, reword_question
from shared.sql.features import analyze_query

SCHEMA = (
    "CREATE TABLE shops (id INTEGER PRIMARY KEY, region VARCHAR(20) NOT NULL,"
    " rent DECIMAL(10,2) NOT NULL, staff INTEGER NOT NULL);\n"
    "CREATE TABLE vans (id INTEGER PRIMARY KEY, depot VARCHAR(20) NOT NULL,"
    " mileage DECIMAL(10,2) NOT NULL);\n"
    "INSERT INTO shops (id, region, rent, staff) VALUES (1, 'north', 900.5, 3),"
    " (2, 'south', 1200.0, 5), (3, 'north', 700.0, 2), (4, 'east', 1500.0, 8),"
    " (5, 'south', 800.0, 4), (6, 'east', 950.0, 6);\n"
    "INSERT INTO vans (id, depot, mileage) VALUES (1, 'dock', 12000.0), (2, 'yard', 8000.0),"
    " (3, 'dock', 15000.0), (4, 'yard', 3000.0), (5, 'hub', 9000.0), (6, 'hub', 4000.0);"
)
SQL = (
    "SELECT s.region, AVG(s.rent) AS average_rent FROM shops AS s"
    " WHERE s.region <> 'east' GROUP BY s.region"
)
QUESTION = "What is the average rent of shops per region, excluding region 'east'?"


def test_a_column_swap_keeps_the_skeleton_and_renames_the_words() -> None:
    view = view_query(sqlglot.parse_one(SQL))
    assert view is not None
    with EvolveContext.open(SCHEMA, ()) as ctx:
        swaps = list(propose_column_swaps(view, ctx, random.Random(2)))
    assert swaps
    before = analyze_query(SQL).features
    for swap in swaps:
        after = analyze_query(swap.sql).features
        assert before is not None and after is not None
        assert after.pattern_hash == before.pattern_hash, swap.sql
        assert "staff" in swap.sql and "rent" not in swap.sql.replace("average_staff", "")
        question = reword_question(QUESTION, swap.change, PromptStyle.DIRECT, random.Random(0))
        assert question is not None and "staff" in question and "rent" not in question


def test_a_table_swap_moves_the_query_and_redraws_its_filter() -> None:
    view = view_query(sqlglot.parse_one(SQL))
    assert view is not None
    with EvolveContext.open(SCHEMA, ()) as ctx:
        (swap, *_) = list(propose_table_swaps(view, ctx, random.Random(1)))
        rows = ctx.run(swap.sql)
    assert "vans" in swap.sql and "shops" not in swap.sql and rows
    literal = dict(swap.change.swaps)["east"]
    assert literal in {"dock", "yard", "hub"}
    question = reword_question(QUESTION, swap.change, PromptStyle.DIRECT, random.Random(0))
    assert question == (
        f"What is the average mileage of vans per depot, excluding depot '{literal}'?"
    )


def test_a_date_column_takes_the_old_words_shape() -> None:
    assert _spoken_like("planned start", "date completed") == "completed"
    assert _spoken_like("date opened", "date closed") == "date closed"


def test_a_column_named_like_another_tables_column_is_not_renamed_in_place() -> None:
    """Found in a live run: the instructor's full_name swapped for academic_title renamed the
    student's "full name" in the question too ("students with academic title 'Carl Nielsen'")."""
    schema = (
        "CREATE TABLE teachers (id INTEGER PRIMARY KEY, full_name VARCHAR(20) NOT NULL,"
        " title VARCHAR(20) NOT NULL);\n"
        "CREATE TABLE pupils (id INTEGER PRIMARY KEY, full_name VARCHAR(20) NOT NULL,"
        " teacher_id INTEGER NOT NULL REFERENCES teachers(id));\n"
        "INSERT INTO teachers (id, full_name, title) VALUES (1, 'Ann Lee', 'Dr'), (2, 'Bo Chan',"
        " 'Prof'), (3, 'Cy Diaz', 'Lecturer');\n"
        "INSERT INTO pupils (id, full_name, teacher_id) VALUES (1, 'Carl Nielsen', 1),"
        " (2, 'Dora Holm', 2), (3, 'Eli Berg', 2);"
    )
    sql = (
        "SELECT p.full_name, t.full_name AS teacher_full_name FROM pupils AS p"
        " INNER JOIN teachers AS t ON p.teacher_id = t.id WHERE p.full_name = 'Carl Nielsen'"
    )
    view = view_query(sqlglot.parse_one(sql))
    assert view is not None
    with EvolveContext.open(schema, ()) as ctx:
        swaps = list(propose_column_swaps(view, ctx, random.Random(0)))
    assert not [s for s in swaps if "t.title" in s.sql and "p.full_name" in s.sql]


def test_a_joined_parent_is_swapped_for_another_parent_along_another_key() -> None:
    """Multi-table expansion: orders joined to their customer become orders joined to their
    store (the other foreign key), the customer's city matched by kind to the store's region;
    the question is realized from the new tree."""
    schema = (
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, city VARCHAR(20) NOT NULL);\n"
        "CREATE TABLE stores (id INTEGER PRIMARY KEY, region VARCHAR(20) NOT NULL);\n"
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, code VARCHAR(10) NOT NULL,"
        " customer_id INTEGER NOT NULL REFERENCES customers(id),"
        " store_id INTEGER NOT NULL REFERENCES stores(id));\n"
        "INSERT INTO customers (id, city) VALUES (1, 'Oslo'), (2, 'Oslo'), (3, 'Bergen'),"
        " (4, 'Bergen');\n"
        "INSERT INTO stores (id, region) VALUES (1, 'north'), (2, 'north'), (3, 'south'),"
        " (4, 'south');\n"
        "INSERT INTO orders (id, code, customer_id, store_id) VALUES (1, 'A1', 1, 3),"
        " (2, 'A2', 3, 1), (3, 'A3', 2, 4), (4, 'A4', 4, 2);"
    )
    sql = (
        "SELECT o.code, c.city FROM orders AS o INNER JOIN customers AS c"
        " ON o.customer_id = c.id WHERE c.city = 'Oslo'"
    )
    view = view_query(sqlglot.parse_one(sql))
    assert view is not None
    with EvolveContext.open(schema, ()) as ctx:
        (swap, *_) = list(propose_table_swaps(view, ctx, random.Random(0)))
        rows = ctx.run(swap.sql)
        question = realize_sql(swap.sql, ctx, PromptStyle.DIRECT, random.Random(0))
    assert "stores" in swap.sql and "customers" not in swap.sql, swap.sql
    assert "o.store_id = c.id" in swap.sql and "c.region" in swap.sql and rows
    assert question is not None and "store region" in question, question
    region = dict(swap.change.swaps)["Oslo"]
    assert f"'{region}'" in question and "customer" not in question
