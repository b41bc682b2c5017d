"""An edited SQL that runs everywhere but no longer means something sensible cannot be saved:
the review's re-validation applies the pipeline's sense checks (issue 12) on the real engines."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from proto.common import Engine
from shared.datasets.check import RecordValidator
from shared.engines.registry import EngineSettings, open_engines
from shared.engines.validator import Validator
from shared.review.revalidate import revalidate_sql

pytestmark = [pytest.mark.engines]

CONTEXT = (
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(40), city VARCHAR(40));"
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),"
    " total DECIMAL(10,2));"
    "INSERT INTO customers VALUES (1, 'Ana', 'Lisbon'), (2, 'Ben', 'Porto'), (3, 'Caro', 'Lisbon');"
    "INSERT INTO orders VALUES (1, 1, 10.5), (2, 1, 20.0), (3, 2, 7.25), (4, 3, 3.0);"
)
RECORD = {
    "id": "r1",
    "sql_prompt": "How many customers live in Lisbon?",
    "sql_context": CONTEXT,
    "sql": "SELECT COUNT(*) FROM customers WHERE city = 'Lisbon'",
}


@pytest.fixture
async def validator() -> AsyncIterator[RecordValidator]:
    engines = await open_engines(EngineSettings(), [Engine.SQLITE])
    try:
        yield Validator(engines)
    finally:
        for engine in engines.values():
            await engine.close()


async def test_a_sensible_edit_passes(validator: RecordValidator) -> None:
    result = await revalidate_sql(validator, [Engine.SQLITE], RECORD, RECORD["sql"])
    assert result.passed, (result.error, result.sense_errors, result.failures)


async def test_an_edit_with_a_joined_table_used_nowhere_is_refused(
    validator: RecordValidator,
) -> None:
    edited = (
        "SELECT COUNT(*) FROM customers JOIN orders ON orders.customer_id = customers.id "
        "WHERE customers.city = 'Lisbon'"
    )
    result = await revalidate_sql(validator, [Engine.SQLITE], RECORD, edited)
    assert all(check.ok for check in result.validation.checks)  # it runs…
    assert result.sense_errors and not result.passed  # …but it does not mean the question


async def test_the_reviewers_new_question_is_what_the_sql_is_held_to(
    validator: RecordValidator,
) -> None:
    edited = "SELECT COUNT(*) FROM customers"
    # The old question asks about Lisbon; the new SQL counts everyone. With the reviewer's new
    # question the pair agrees again.
    new_question = "How many customers are there?"
    result = await revalidate_sql(validator, [Engine.SQLITE], RECORD, edited, new_question)
    assert result.passed, (result.error, result.sense_errors, result.failures)
