"""Results compared across engines: digests, order, emptiness, mismatch, rendering policies."""

from __future__ import annotations

import pytest

from proto.common import Engine, Level, Policy
from proto.sample import ErrorClass
from shared.engines.validator import Validator
from tests.engines.conftest import ALL, make_staff_fixture

pytestmark = pytest.mark.engines


FIXTURE = make_staff_fixture("compare")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT dept_id, AVG(salary), SUM(rating), COUNT(*) FROM emp GROUP BY dept_id",
        "SELECT AVG(rating), MIN(salary), MAX(hired) FROM emp",
        "SELECT name, salary * 1.1, rating / 3 FROM emp WHERE rating IS NOT NULL",
        "SELECT e.name, d.name FROM emp e LEFT JOIN dept d ON d.id = e.dept_id",
        "SELECT hired, salary FROM emp WHERE hired >= '2020-01-01'",
        "SELECT CASE WHEN salary > 80 THEN 'high' ELSE 'low' END AS band, COUNT(*) "
        "FROM emp GROUP BY CASE WHEN salary > 80 THEN 'high' ELSE 'low' END",
    ],
)
async def test_same_data_same_digest_on_every_engine(validator: Validator, sql: str) -> None:
    validation, texts = await validator.validate(FIXTURE, sql)
    assert all(c.ok for c in validation.checks), validation.checks
    assert validation.results_agree is True, [(c.engine, c.digest) for c in validation.checks]
    assert validation.non_empty is True
    assert texts == {e: sql for e in ALL}
    assert len({c.row_count for c in validation.checks}) == 1


async def test_order_by_is_compared_in_order(validator: Validator) -> None:
    asc, _ = await validator.validate(FIXTURE, "SELECT name, salary FROM emp ORDER BY salary")
    desc, _ = await validator.validate(FIXTURE, "SELECT name, salary FROM emp ORDER BY salary DESC")
    unordered, _ = await validator.validate(FIXTURE, "SELECT name, salary FROM emp")
    for validation in (asc, desc, unordered):
        assert validation.results_agree is True
    assert all(c.ordered for c in asc.checks) and not any(c.ordered for c in unordered.checks)
    # Same rows: equal as multisets, different as sequences.
    assert asc.checks[0].digest != desc.checks[0].digest != unordered.checks[0].digest


async def test_ties_under_order_by_do_not_cause_a_mismatch(validator: Validator) -> None:
    # Three employees share dept 1 and two share salary 70.25: engines may order ties freely.
    for sql in (
        "SELECT dept_id, name FROM emp WHERE dept_id IS NOT NULL ORDER BY dept_id",
        "SELECT salary, name FROM emp ORDER BY salary",
    ):
        validation, _ = await validator.validate(FIXTURE, sql)
        assert validation.results_agree is True and all(c.ordered for c in validation.checks)


async def test_null_ordering_differs_unless_transpiled(validator: Validator) -> None:
    # PostgreSQL sorts NULLs last, SQLite and MySQL first; sqlglot spells SQLite's order out.
    sql = "SELECT dept_id, name FROM emp ORDER BY dept_id"
    portable, _ = await validator.validate(FIXTURE, sql)
    transpiled, texts = await validator.validate(FIXTURE, sql, policy=Policy.TRANSPILED)
    assert portable.results_agree is False
    assert transpiled.results_agree is True, texts


async def test_unprojected_order_key_compares_as_multiset(validator: Validator) -> None:
    validation, _ = await validator.validate(FIXTURE, "SELECT name FROM emp ORDER BY hired")
    assert validation.results_agree is True
    assert not any(c.ordered for c in validation.checks)


async def test_empty_result_is_flagged(validator: Validator) -> None:
    validation, _ = await validator.validate(FIXTURE, "SELECT name FROM emp WHERE salary > 1000")
    assert all(c.ok and c.row_count == 0 for c in validation.checks)
    assert validation.non_empty is False and validation.results_agree is True
    assert not validation.ok


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 7 / 2",  # integer division on SQLite and PostgreSQL, 3.5000 on MySQL
        "SELECT name || 'x' FROM emp",  # concatenation, but logical OR on MySQL
    ],
)
async def test_engine_mismatch_is_detected(validator: Validator, sql: str) -> None:
    validation, _ = await validator.validate(FIXTURE, sql)
    assert all(c.ok for c in validation.checks)
    assert validation.results_agree is False and not validation.ok
    digests = {c.engine: c.digest for c in validation.checks}
    assert digests[Engine.SQLITE] == digests[Engine.POSTGRES] != digests[Engine.MYSQL]


async def test_levels_below_full_do_not_compare(validator: Validator) -> None:
    for level in (Level.SYNTAX, Level.SCHEMA):
        validation, _ = await validator.validate(FIXTURE, "SELECT 7 / 2", level=level)
        assert validation.results_agree is None and validation.non_empty is None
        assert validation.level is level and all(c.level is level for c in validation.checks)


async def test_portable_fails_where_transpiled_passes(validator: Validator) -> None:
    sql = "SELECT IFNULL(rating, 0) AS r, SUBSTR(name, 1, 2) AS s FROM emp"
    portable, portable_texts = await validator.validate(FIXTURE, sql, policy=Policy.PORTABLE)
    transpiled, texts = await validator.validate(FIXTURE, sql, policy=Policy.TRANSPILED)
    by_engine = {c.engine: c for c in portable.checks}
    assert by_engine[Engine.SQLITE].ok and by_engine[Engine.MYSQL].ok
    assert not by_engine[Engine.POSTGRES].ok
    assert by_engine[Engine.POSTGRES].error_class is ErrorClass.QUERY
    assert set(portable_texts.values()) == {sql}
    assert all(c.ok for c in transpiled.checks) and transpiled.results_agree is True
    assert texts[Engine.SQLITE] == sql and texts[Engine.POSTGRES] != sql
    assert {c.engine: c.sql for c in transpiled.checks} == texts
    assert transpiled.policy is Policy.TRANSPILED


async def test_transpiled_renders_from_the_given_dialect(validator: Validator) -> None:
    sql = "SELECT name FROM emp WHERE rating IS NOT NULL ORDER BY rating DESC NULLS LAST LIMIT 2"
    validation, texts = await validator.validate(
        FIXTURE, sql, sql_dialect=Engine.POSTGRES, policy=Policy.TRANSPILED
    )
    assert texts[Engine.POSTGRES] == sql
    assert all(c.ok for c in validation.checks), validation.checks
    assert validation.results_agree is True
