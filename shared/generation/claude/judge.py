"""The judge's finding by execution: its own SQL for the question against the sample's.

An opinion from the model that wrote the sample, read off a few rows, is not an independent
check. So the judge is shown the question, explanation, schema and rows but never the sample's
SQL, writes the query it would run, and both queries run on the sample's own data (an in-memory
SQLite fixture, SQLite being the canonical reading of portable SQL). A different result is the
finding, whatever the judge's opinion says; it goes to repair with both results as the reason.

Comparison rules (why they are lenient where they are): extra output columns do not count (a
reader often adds an id or a name), so the narrower result's columns must each match a column of
the wider one holding the same values, and the rows must then agree on those columns as a
multiset. Row order is not compared (ties make it engine- and plan-dependent; a different cut at
a LIMIT does change the rows, so "top five" vs "top three" is still found). Numbers compare
rounded to 2 decimals. A data-changing statement is compared by the tables' contents after it
ran. The judge's SQL failing to run is *inconclusive*, not a finding against the sample.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from proto.common import Agreement
from proto.sample import TableRows
from shared.generation.claude.tools import open_sqlite_fixture

MAX_ROWS = 10_000
SHOWN = 3
Row = tuple[object, ...]


@dataclass(frozen=True)
class Outcome:
    """What one statement produced on the fixture: its rows, or the tables after a change."""

    columns: tuple[str, ...] = ()
    rows: tuple[Row, ...] = ()
    changed_state: bool = False
    error: str | None = None


@dataclass(frozen=True)
class Comparison:
    agreement: Agreement
    detail: str


CompareSql = Callable[[str, list[TableRows], str, str], Awaitable[Comparison]]


def normalize(value: object) -> object:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return round(float(value), 2)
    return value


def snapshot(conn: sqlite3.Connection, tables: Sequence[str]) -> tuple[Row, ...]:
    """Every row of every table, tagged with its table: the state a data change left."""
    rows: list[Row] = []
    for table in tables:
        for row in conn.execute(f'SELECT * FROM "{table}"').fetchall():
            rows.append((table, *(normalize(v) for v in row)))
    return tuple(rows)


def execute_on_fixture(ddl: str, rows: list[TableRows], sql: str) -> Outcome:
    try:
        conn = open_sqlite_fixture(ddl, rows)
    except (sqlite3.Error, ValueError) as exc:
        return Outcome(error=f"the fixture does not build: {exc}")
    try:
        cursor = conn.execute(sql)
        if cursor.description is None:
            names = [t.table for t in rows]
            return Outcome(columns=("table",), rows=snapshot(conn, names), changed_state=True)
        columns = tuple(d[0] for d in cursor.description)
        fetched = cursor.fetchmany(MAX_ROWS)
        return Outcome(columns, tuple(tuple(normalize(v) for v in r) for r in fetched))
    except sqlite3.Error as exc:
        return Outcome(error=str(exc))
    finally:
        conn.close()


def _preview(outcome: Outcome) -> str:
    shown = ", ".join(repr(r) for r in outcome.rows[:SHOWN])
    more = " ..." if len(outcome.rows) > SHOWN else ""
    return f"{len(outcome.rows)} rows ({', '.join(outcome.columns)}): {shown}{more}"


def _column(rows: tuple[Row, ...], index: int) -> Counter[object]:
    return Counter(row[index] for row in rows)


def match_columns(narrow: Outcome, wide: Outcome) -> list[int] | str:
    """For each column of `narrow`, a distinct column of `wide` holding the same values; or the
    name of the first column that has none."""
    used: set[int] = set()
    chosen: list[int] = []
    for i, name in enumerate(narrow.columns):
        values = _column(narrow.rows, i)
        match = next(
            (
                j
                for j in range(len(wide.columns))
                if j not in used and _column(wide.rows, j) == values
            ),
            None,
        )
        if match is None:
            return name
        used.add(match)
        chosen.append(match)
    return chosen


def compare_outcomes(sample: Outcome, judge: Outcome) -> Comparison:
    if sample.error is not None:
        return Comparison(Agreement.INCONCLUSIVE, f"the sample's SQL fails: {sample.error}")
    if judge.error is not None:
        return Comparison(Agreement.INCONCLUSIVE, f"the judge's SQL fails: {judge.error}")
    if sample.changed_state != judge.changed_state:
        kind = "changes data" if sample.changed_state else "is a query"
        return Comparison(
            Agreement.INCONCLUSIVE, f"the sample's SQL {kind}, the judge's is of the other kind"
        )
    diff = (
        f"the sample's SQL returns {_preview(sample)}; an independent SQL written from the "
        f"question alone returns {_preview(judge)}"
    )
    if sample.changed_state:
        if Counter(sample.rows) == Counter(judge.rows):
            return Comparison(Agreement.AGREE, "both leave the same table contents")
        return Comparison(
            Agreement.DISAGREE,
            "the sample's statement and an independent one written from the question leave "
            "different table contents",
        )
    if len(sample.rows) != len(judge.rows):
        return Comparison(Agreement.DISAGREE, diff)
    narrow, wide = (sample, judge) if len(sample.columns) <= len(judge.columns) else (judge, sample)
    matched = match_columns(narrow, wide)
    if isinstance(matched, str):
        return Comparison(Agreement.DISAGREE, f"{diff} (no column matches {matched!r})")
    projected = Counter(tuple(row[j] for j in matched) for row in wide.rows)
    if projected != Counter(narrow.rows):
        return Comparison(Agreement.DISAGREE, f"{diff} (same columns, rows paired differently)")
    return Comparison(Agreement.AGREE, f"both return {len(sample.rows)} matching rows")


def compare_on_sqlite_sync(
    ddl: str, rows: list[TableRows], sample_sql: str, judge_sql: str
) -> Comparison:
    # Each statement on a fresh fixture: a data change must not leak into the other's run.
    return compare_outcomes(
        execute_on_fixture(ddl, rows, sample_sql), execute_on_fixture(ddl, rows, judge_sql)
    )


async def compare_on_sqlite(
    ddl: str, rows: list[TableRows], sample_sql: str, judge_sql: str
) -> Comparison:
    return await asyncio.to_thread(compare_on_sqlite_sync, ddl, rows, sample_sql, judge_sql)
