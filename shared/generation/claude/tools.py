"""Agent tools for the model's SQL step (explore the schema, run the query), as in Turing's
human-in-the-loop workflow.

`run_query(ddl, rows, sql) -> str` is injected by the service (backed by the validation engines,
so the model sees each engine's rows or error); without one, the query runs on an in-memory
SQLite database built from the sample, which catches most mistakes cheaply. Tool calls are
bounded per section; a malformed tool call is answered with the validation error, so the model
can correct it within the same budget.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from anthropic.types import ToolUseBlock
from pydantic import ValidationError

from proto.common import Engine, Level, Policy
from proto.sample import TableRows
from shared.engines.fixture import Fixture
from shared.engines.validator import Validator
from shared.generation.claude.schemas import InspectSchemaInput, RunQueryInput
from shared.generation.template.schema.ddl import render_insert

RunQuery = Callable[[str, list[TableRows], str], Awaitable[str]]
SHOWN_ROWS = 10
SQLITE_TIMEOUT_S = 2.0
_DENIED = {sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH, sqlite3.SQLITE_PRAGMA}


def _authorize(action: int, *_: object) -> int:
    return sqlite3.SQLITE_DENY if action in _DENIED else sqlite3.SQLITE_OK


def _format_result(engine: str, columns: list[str], rows: list[tuple[object, ...]]) -> str:
    more = len(rows) > SHOWN_ROWS
    lines = [
        f"{engine}: {len(rows) if not more else f'more than {SHOWN_ROWS}'} rows",
        f"columns: {', '.join(columns)}",
    ]
    lines += [repr(row) for row in rows[:SHOWN_ROWS]]
    return "\n".join(lines)


def open_sqlite_fixture(ddl: str, rows: list[TableRows]) -> sqlite3.Connection:
    """An in-memory SQLite database holding the sample, with a deadline and no ATTACH/PRAGMA for
    the statements run on it afterwards. Raises sqlite3.Error or ValueError if it cannot be
    built (the connection is closed then)."""
    conn = sqlite3.connect(":memory:")
    deadline = time.monotonic() + SQLITE_TIMEOUT_S
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.executescript(ddl)
        for table in rows:
            for statement in render_insert(table):
                conn.execute(statement)
    except (sqlite3.Error, ValueError):
        conn.close()
        raise
    conn.set_authorizer(_authorize)
    return conn


def run_on_sqlite(ddl: str, rows: list[TableRows], sql: str) -> str:
    """Build the sample in memory and run `sql`; the rows or the error, as text for the model."""
    try:
        conn = open_sqlite_fixture(ddl, rows)
    except (sqlite3.Error, ValueError) as exc:
        return f"sqlite: the schema or rows fail before the query runs: {exc}"
    try:
        cursor = conn.execute(sql)
        if cursor.description is None:
            return f"sqlite: statement ran, {cursor.rowcount} rows affected"
        columns = [d[0] for d in cursor.description]
        return _format_result("sqlite", columns, cursor.fetchmany(SHOWN_ROWS + 1))
    except sqlite3.Error as exc:
        return f"sqlite: ERROR {exc}"
    finally:
        conn.close()


async def sqlite_run_query(ddl: str, rows: list[TableRows], sql: str) -> str:
    return await asyncio.to_thread(run_on_sqlite, ddl, rows, sql)


def inspect(ddl: str, rows: list[TableRows], table: str | None) -> str:
    statements = [s.strip() for s in ddl.split(";") if s.strip()]
    if table:
        statements = [s for s in statements if table.lower() in s.split("(")[0].lower()]
        rows = [r for r in rows if r.table == table]
        if not statements:
            return f"no table named {table!r}; tables: " + ", ".join(r.table for r in rows)
    shown = [f"{s};" for s in statements]
    for table_rows in rows:
        shown.append(f"-- {table_rows.table}: {len(table_rows.values)} rows; first ones:")
        shown += [f"--   {row}" for row in table_rows.values[:5]]
    return "\n".join(shown)


@dataclass
class ToolBox:
    """The agent tools for one section, over the sample written so far."""

    run_query: RunQuery
    budget: int
    ddl: str = ""
    rows: list[TableRows] = field(default_factory=list)
    used: int = 0
    log: list[str] = field(default_factory=list)

    @property
    def exhausted(self) -> bool:
        return self.used >= self.budget

    async def handle(self, call: ToolUseBlock) -> tuple[str, bool]:
        """(tool result text, is_error) for one agent tool call."""
        self.used += 1
        try:
            if call.name == "run_query":
                query = RunQueryInput.model_validate(call.input)
                self.log.append(f"run_query: {query.sql[:200]}")
                return await self.run_query(self.ddl, self.rows, query.sql), False
            if call.name == "inspect_schema":
                target = InspectSchemaInput.model_validate(call.input)
                self.log.append(f"inspect_schema: {target.table}")
                return inspect(self.ddl, self.rows, target.table), False
        except ValidationError as exc:
            self.log.append(f"{call.name}: malformed input")
            return f"malformed {call.name} input: {exc.errors(include_url=False)}", True
        return f"unknown tool {call.name!r}", True


def validator_run_query(validator: Validator) -> RunQuery:
    """The run_query tool backed by the validation engines: each engine's status and row count
    (or its error), whether they agree, and a preview of the rows from SQLite."""

    async def run(ddl: str, rows: list[TableRows], sql: str) -> str:
        fixture = Fixture(ddl=ddl, dialect=Engine.SQLITE, rows=tuple(rows))
        writes = sql.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}
        validation, _ = await validator.validate(
            fixture, sql, level=Level.FULL, policy=Policy.PORTABLE, allow_writes=writes
        )
        lines = [
            f"{c.engine.value}: ok, {c.row_count} rows"
            if c.ok
            else f"{c.engine.value}: ERROR {c.error_class}: {c.message}"
            for c in validation.checks
        ]
        if validation.results_agree is False:
            lines.append("the engines return different rows")
        preview = await sqlite_run_query(ddl, rows, sql)
        return "\n".join([*lines, "preview:", preview])

    return run
