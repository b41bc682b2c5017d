"""Helpers every `sqlsynth` subcommand shares: engine lists, JSON output, progress, servers.

When no DSN is configured for PostgreSQL or MySQL, a command starts a private LocalStack for its
own run and stops it at the end, on Ctrl-C and on SIGTERM too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from proto.common import Engine
from shared.datasets import DatasetFormat, DatasetReader, load_dataset
from shared.runtime.local import LocalStack
from shared.sql.dialects import parse_engine

F = TypeVar("F", bound=Callable[..., Any])
ALL_ENGINES = ",".join(engine.value for engine in Engine)
# Engines that live in a server; SQLite runs in-process and needs none.
SERVER_NAMES: dict[Engine, str] = {Engine.POSTGRES: "postgres", Engine.MYSQL: "mysql"}


def parse_engine_list(text: str) -> list[Engine]:
    """`sqlite,postgres,mysql` (aliases like pg/mariadb accepted) in the order given, no repeats."""
    engines: list[Engine] = []
    for part in text.split(","):
        if not part.strip():
            continue
        engine = parse_engine(part)
        if engine not in engines:
            engines.append(engine)
    if not engines:
        raise ValueError("no engine given")
    return engines


def engine_list_option(
    ctx: click.Context | None, param: click.Parameter | None, value: str
) -> list[Engine]:
    """click callback for `--engines`."""
    try:
        return parse_engine_list(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from exc


def parse_key_values(pairs: tuple[str, ...], what: str) -> dict[str, str]:
    """`NAME=VALUE` options (e.g. `--field sql=SQL_Statement`) as a dict."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint=what)
        out[name.strip()] = value.strip()
    return out


def print_json(payload: Any) -> None:
    """The machine-readable result alone on stdout (no colour, no markup)."""
    sys.stdout.write(json.dumps(payload, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False)


def make_progress(console: Console, *, enabled: bool = True) -> Progress:
    """A progress bar on stderr, so stdout stays a clean table or JSON document."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        console=console,
        disable=not enabled,
        transient=False,
    )


@dataclass
class ServerDsns:
    """Admin DSNs per engine, whether given by the user or started here, and what failed."""

    dsns: dict[Engine, str] = field(default_factory=dict)
    unavailable: dict[Engine, str] = field(default_factory=dict)
    stack: LocalStack | None = None


@contextlib.contextmanager
def servers_for(
    engines: list[Engine], configured: dict[Engine, str | None]
) -> Iterator[ServerDsns]:
    """Yield DSNs for the server engines among `engines`, starting a private LocalStack for those
    with no configured DSN; the stack is stopped on exit, whatever the exit."""
    result = ServerDsns()
    missing: list[Engine] = []
    for engine in engines:
        if engine not in SERVER_NAMES:
            continue
        dsn = configured.get(engine)
        if dsn:
            result.dsns[engine] = dsn
        else:
            missing.append(engine)
    with terminate_as_interrupt():
        try:
            if missing:
                result.stack = LocalStack.start([SERVER_NAMES[e] for e in missing])
                for engine in missing:
                    name = SERVER_NAMES[engine]
                    started = result.stack.dsn(name)
                    if started:
                        result.dsns[engine] = started
                    else:
                        reason = result.stack.unavailable.get(name, "did not start")
                        result.unavailable[engine] = reason
            yield result
        finally:
            if result.stack is not None:
                result.stack.stop()


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C so `finally` blocks stop the servers we started."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (e.g. under a test runner's worker thread)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.asynccontextmanager
async def cancel_on_terminate() -> AsyncIterator[None]:
    """Inside the event loop, SIGTERM cancels the running task, as asyncio.run does for Ctrl-C.

    Raising from a plain signal handler would interrupt the loop at an arbitrary point and leave
    driver threads (aiosqlite) open, so the interpreter would hang at exit; a cancellation lets
    every `finally` close its connections first.
    """
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    previous = signal.getsignal(signal.SIGTERM)
    if task is None:
        yield
        return
    try:
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    except (ValueError, RuntimeError, NotImplementedError):  # not the main thread
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
        signal.signal(signal.SIGTERM, previous)


def format_fraction(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def render_validity_title(report: dict[str, Any]) -> str:
    return (
        f"{Path(report['file']).name}: {report['rows']} rows "
        f"(level {report['level']}, policy {report['policy']})"
    )


def render_validity_table(report: dict[str, Any], requested: list[Engine]) -> Table:
    """Seed 000's table from a `sqlsynth validate --json` report: schema valid and query valid
    (and non-empty, at level full) per engine, then on any and on all engines."""
    table = Table()
    table.add_column("engine")
    table.add_column("schema valid", justify="right")
    table.add_column("query valid", justify="right")
    non_empty = report["non_empty"]
    if non_empty is not None:
        table.add_column("non-empty result", justify="right")
    labels = [(e.value, e.value) for e in requested] + [
        ("any", "any engine"),
        ("all", "all engines"),
    ]
    for key, label in labels:
        if key in report.get("unavailable", {}):
            label = f"{label} (unavailable)"
        cells = [
            format_fraction(report["schema_valid"][key]),
            format_fraction(report["query_valid"][key]),
        ]
        if non_empty is not None:
            cells.append(format_fraction(non_empty[key]))
        table.add_row(label, *cells, end_section=key == requested[-1].value)
    return table


def dataset_options(command: F) -> F:
    """The options that say how to read a dataset FILE (see `open_dataset`)."""
    options = [
        click.option(
            "--format",
            "fmt",
            type=click.Choice([f.value for f in DatasetFormat]),
            default="auto",
            show_default=True,
            help="Dataset format (auto-detected by default).",
        ),
        click.option(
            "--dialect", help="Dialect of the SQL (default: from the format or file name)."
        ),
        click.option(
            "--field",
            "fields",
            multiple=True,
            metavar="NAME=COLUMN",
            help="Map a column: sql, question, schema_ddl, id, db_id, sql_dialect.",
        ),
        click.option(
            "--schema-dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="BIRD: folder of <db_id>.sql files (default: schemas/ beside FILE).",
        ),
        click.option(
            "--tables",
            "tables_path",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Spider: tables.json (default: beside FILE).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def open_dataset(
    file: Path,
    fmt: str,
    dialect: str | None,
    fields: tuple[str, ...],
    schema_dir: Path | None,
    tables_path: Path | None,
) -> DatasetReader:
    """The reader for FILE as `dataset_options` describe it; bad options raise ValueError."""
    return load_dataset(
        file,
        format=fmt,
        field_map=parse_key_values(fields, "--field"),
        dialect=parse_engine(dialect) if dialect else None,
        schema_dir=schema_dir,
        tables_path=tables_path,
    )
