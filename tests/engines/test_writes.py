"""Data-changing checks run inside a transaction that is rolled back."""

from __future__ import annotations

import pytest

from proto.common import Engine, Level
from proto.sample import ErrorClass
from shared.engines.validator import Validator
from tests.engines.conftest import make_staff_fixture

pytestmark = pytest.mark.engines


FIXTURE = make_staff_fixture("writes")
SNAPSHOT = "SELECT id, name, dept_id, salary, rating, hired FROM emp"


@pytest.mark.parametrize(
    ("sql", "affected"),
    [
        ("UPDATE emp SET salary = salary * 2 WHERE dept_id = 1", 3),
        ("UPDATE emp SET salary = salary WHERE dept_id = 2", 2),  # matched, not changed
        ("DELETE FROM emp WHERE rating < 3.5", 3),
        ("INSERT INTO emp (id, name, dept_id, salary) VALUES (7, 'Gus', 3, 10)", 1),
        ("INSERT INTO emp (id, name, salary) SELECT id + 100, name, salary FROM emp", 6),
    ],
)
async def test_write_checks_agree_and_leave_no_trace(
    validator: Validator, sql: str, affected: int
) -> None:
    before, _ = await validator.validate(FIXTURE, SNAPSHOT)
    validation, _ = await validator.validate(FIXTURE, sql, allow_writes=True)
    after, _ = await validator.validate(FIXTURE, SNAPSHOT)
    assert all(c.ok for c in validation.checks), validation.checks
    assert {c.row_count for c in validation.checks} == {affected}
    assert validation.results_agree is True  # table contents after the write, per engine
    assert validation.non_empty is True
    assert [c.digest for c in after.checks] == [c.digest for c in before.checks]
    assert all(c.digest != before.checks[0].digest for c in validation.checks)


async def test_writes_are_forbidden_unless_allowed(validator: Validator) -> None:
    validation, _ = await validator.validate(FIXTURE, "DELETE FROM emp")
    assert all(c.error_class is ErrorClass.FORBIDDEN for c in validation.checks)


async def test_a_write_that_breaks_a_constraint_is_a_query_error(validator: Validator) -> None:
    sql = "INSERT INTO emp (id, name) VALUES (1, 'again')"
    validation, _ = await validator.validate(FIXTURE, sql, allow_writes=True)
    assert all(not c.ok and c.error_class is ErrorClass.QUERY for c in validation.checks)


async def test_schema_level_prepares_a_write_without_running_it(validator: Validator) -> None:
    before, _ = await validator.validate(FIXTURE, SNAPSHOT)
    sql = "DELETE FROM emp"
    validation, _ = await validator.validate(FIXTURE, sql, level=Level.SCHEMA, allow_writes=True)
    after, _ = await validator.validate(FIXTURE, SNAPSHOT)
    assert all(c.ok and c.row_count is None for c in validation.checks)
    assert [c.digest for c in after.checks] == [c.digest for c in before.checks]
    missing, _ = await validator.validate(
        FIXTURE, "UPDATE emp SET nope = 1", level=Level.SCHEMA, allow_writes=True
    )
    assert {c.engine for c in missing.checks if not c.ok} == set(Engine)
