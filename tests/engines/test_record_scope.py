"""Readings and screens are shared within one record's validation, never across records (#23:
no check may be cached across different records). SQLite only: no servers needed."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio

from proto.common import Engine, Level, Policy
from proto.sample import TableRows
from shared.datasets.check import check_record
from shared.datasets.record import DatasetRecord
from shared.engines import budgets, reading, sandbox
from shared.engines.fixture import Fixture
from shared.engines.quoting import find_query_names
from shared.engines.reading import Reading, read_sql
from shared.engines.sandbox import Screened, screen_query
from shared.engines.settings import EngineSettings
from shared.engines.sqlite import SqliteEngine
from shared.engines.validator import Validator
from shared.record_scope import active_scope, record_scope
from shared.sense.record import read_schema
from shared.sql.features import analyze_query
from shared.sql.schema_facts import extract_schema_facts

DDL = (
    "CREATE TABLE scope_dept (id INTEGER PRIMARY KEY, name TEXT);\n"
    "CREATE TABLE scope_emp (id INTEGER PRIMARY KEY, dept_id INTEGER, pay REAL)"
)
QUERY = (
    "SELECT d.name, COUNT(*) AS n FROM scope_emp e JOIN scope_dept d ON d.id = e.dept_id"
    " GROUP BY d.name"
)


def make_fixture(pay: float) -> Fixture:
    """The same DDL text; `pay` makes the rows, and so the fixture, differ."""
    return Fixture(
        DDL,
        dialect=Engine.SQLITE,
        rows=(
            TableRows(table="scope_dept", columns=["id", "name"], values=[[1, "ops"]]),
            TableRows(table="scope_emp", columns=["id", "dept_id", "pay"], values=[[1, 1, pay]]),
        ),
    )


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, Engine]]:
    """How many times each (text, engine) was really tokenized and parsed."""
    counts: Counter[tuple[str, Engine]] = Counter()
    real = reading.read_afresh

    def counted(sql: str, engine: Engine) -> Reading:
        counts[(sql, engine)] += 1
        return real(sql, engine)

    monkeypatch.setattr(reading, "read_afresh", counted)
    return counts


@pytest.fixture
def screens(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each query text was really screened."""
    counts: Counter[str] = Counter()
    real = sandbox._screen_query_afresh

    def counted(sql: str, engine: Engine, allow_writes: bool, column_chars: int) -> Screened:
        counts[sql] += 1
        return real(sql, engine, allow_writes, column_chars)

    monkeypatch.setattr(sandbox, "_screen_query_afresh", counted)
    return counts


@pytest_asyncio.fixture
async def validator() -> AsyncIterator[Validator]:
    engine = SqliteEngine(EngineSettings())
    await engine.start()
    try:
        yield Validator({Engine.SQLITE: engine})
    finally:
        await engine.close()


def test_within_a_record_a_text_is_read_and_screened_once(
    reads: Counter[tuple[str, Engine]], screens: Counter[str]
) -> None:
    with record_scope():
        first = read_sql(QUERY, Engine.SQLITE)
        assert read_sql(QUERY, Engine.SQLITE) is first
        assert read_sql(QUERY, Engine.POSTGRES) is not first  # another engine, another reading
        # The portable policy's name search and the screen share the one reading.
        assert "n" in find_query_names(QUERY, Engine.SQLITE)
        assert screen_query(QUERY, Engine.SQLITE) is screen_query(QUERY, Engine.SQLITE)
        with record_scope() as inner:  # a nested scope is the record's own
            assert inner is active_scope()
            assert read_sql(QUERY, Engine.SQLITE) is first
    assert reads[(QUERY, Engine.SQLITE)] == 1 and screens[QUERY] == 1
    assert active_scope() is None


def test_another_record_with_the_same_text_is_read_and_screened_again(
    reads: Counter[tuple[str, Engine]], screens: Counter[str]
) -> None:
    verdicts = []
    for _ in range(2):
        with record_scope():
            verdicts.append(screen_query(QUERY, Engine.SQLITE))
    assert verdicts[0] is not verdicts[1] and verdicts[0].ok and verdicts[1].ok
    assert reads[(QUERY, Engine.SQLITE)] == 2 and screens[QUERY] == 2
    # Outside any record nothing is remembered at all.
    assert read_sql(QUERY, Engine.SQLITE) is not read_sql(QUERY, Engine.SQLITE)


async def test_validating_two_records_with_the_same_sql_screens_it_twice(
    validator: Validator, reads: Counter[tuple[str, Engine]], screens: Counter[str]
) -> None:
    fixture = make_fixture(10.0)
    first, _ = await validator.validate(fixture, QUERY, level=Level.FULL, policy=Policy.PORTABLE)
    statements = [key for key in reads if key[0] != QUERY]
    # Within the record: the renderer and the screen read each fixture statement once.
    assert len(statements) == 2 and all(reads[key] == 1 for key in statements)
    assert reads[(QUERY, Engine.SQLITE)] == 1 and screens[QUERY] == 1
    second, _ = await validator.validate(fixture, QUERY, level=Level.FULL, policy=Policy.PORTABLE)
    assert reads[(QUERY, Engine.SQLITE)] == 2 and screens[QUERY] == 2
    assert first.checks[0].ok and second.checks[0].digest == first.checks[0].digest
    # The fixture itself is built once per key (DESIGN.md): its statements were screened when
    # it was built. A different fixture with the same DDL text is screened again.
    assert all(reads[key] == 1 for key in statements)
    third, _ = await validator.validate(
        make_fixture(20.0), QUERY, level=Level.FULL, policy=Policy.PORTABLE
    )
    assert third.checks[0].ok
    assert all(reads[key] == 2 for key in statements)
    assert reads[(QUERY, Engine.SQLITE)] == 3 and screens[QUERY] == 3


async def test_a_records_schema_check_and_query_check_share_one_scope(
    validator: Validator, reads: Counter[tuple[str, Engine]], screens: Counter[str]
) -> None:
    record = DatasetRecord(
        id="scope-1", question="Staff per department?", sql=QUERY, schema_ddl=DDL
    )
    result = await check_record(
        validator, record, [Engine.SQLITE], level=Level.FULL, policy=Policy.PORTABLE
    )
    assert result.validation is not None and result.validation.checks[0].ok, result.error
    # Built in the schema check, measured for the query check: one screen of each statement.
    assert [count for key, count in reads.items() if key[0] != QUERY] == [1, 1]
    await check_record(validator, record, [Engine.SQLITE], level=Level.FULL, policy=Policy.PORTABLE)
    assert reads[(QUERY, Engine.SQLITE)] == 2 and screens[QUERY] == 2


@pytest.mark.parametrize(
    "measure",
    [
        lambda: analyze_query(QUERY),
        lambda: extract_schema_facts(DDL),
        lambda: read_schema(DDL),
    ],
    ids=["analyze_query", "extract_schema_facts", "read_schema"],
)
def test_measures_behind_checks_are_remembered_per_record_only(
    measure: Callable[[], object],
) -> None:
    """What the conformance and sense checks read of a text is computed once per record and
    again for the next record with the same text."""
    for _ in range(2):  # two records, the same text
        with record_scope() as scope:
            first, again = measure(), measure()
            assert again is first
            assert scope.reused >= 1
            computed = scope.computed
        assert computed >= 1  # computed within this record, not taken from the one before


async def test_a_records_rows_are_measured_once_for_its_bounds_and_its_build(
    validator: Validator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#23: the screen's string bounds and the fixture build both ask for the longest row
    value, and every engine's build for the fixture's size; one pass over the rows per record
    answers them all. Another record (different rows) is measured again."""
    passes: Counter[str] = Counter()
    real_longest, real_bytes = budgets._find_longest_row_value, budgets._measure_fixture_bytes

    def longest(fixture: Fixture) -> int:
        passes["longest"] += 1
        return real_longest(fixture)

    def size(fixture: Fixture) -> int:
        passes["bytes"] += 1
        return real_bytes(fixture)

    monkeypatch.setattr(budgets, "_find_longest_row_value", longest)
    monkeypatch.setattr(budgets, "_measure_fixture_bytes", size)
    for pay, expected in ((11.5, 1), (12.5, 2)):
        validation, _ = await validator.validate(make_fixture(pay), QUERY)
        assert validation.checks[0].ok
        assert passes == {"longest": expected, "bytes": expected}
