"""Seed schemas bring identifiers our catalogue never has: a % (the MySQL driver's parameter
marker), mixed case, spaces, reserved words. Fixtures with them build and answer on every engine."""

from __future__ import annotations

import pytest

from proto.common import Engine
from proto.sample import TableRows
from shared.engines.fixture import Fixture
from shared.engines.validator import Validator

pytestmark = pytest.mark.engines


DDL = (
    'CREATE TABLE "Order Lines" ("Id" INTEGER PRIMARY KEY, "discount%" DECIMAL(5,2), '
    '"order" INTEGER);'
)
LINES = TableRows(
    table="Order Lines",
    columns=["Id", "discount%", "order"],
    values=[[1, 5.5, 10], [2, 12.0, 11]],
)


async def test_percent_quotes_and_reserved_words_in_identifiers(validator: Validator) -> None:
    fixture = Fixture(ddl=DDL, dialect=Engine.SQLITE, rows=(LINES,))
    sql = 'SELECT "Id", "discount%" FROM "Order Lines" WHERE "order" > 10'
    validation, _ = await validator.validate(fixture, sql)
    assert all(check.ok for check in validation.checks), validation.checks
    assert {check.row_count for check in validation.checks} == {1}
    assert validation.results_agree is True
