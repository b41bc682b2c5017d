"""`sqlsynth validate FILE`: how much of an existing dataset is valid on each engine.

Prints DataFramer's table (schema valid / query valid per engine, on any engine, on all engines),
or with `--json` one JSON object with the same figures under stable keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from proto.common import Engine, Level, Policy
from services.cli.common import (
    ALL_ENGINES,
    dataset_options,
    engine_list_option,
    format_fraction,
    make_progress,
    open_dataset,
    print_json,
    render_validity_table,
    render_validity_title,
    stderr_console,
)
from services.cli.sense_table import render_sense_table
from shared.datasets import DatasetError, DatasetRecord, LoadError
from shared.datasets.check import (
    RecordResult,
    check_records,
    summarise,
    write_results,
)
from shared.datasets.record import require_records
from shared.errors import EngineUnavailable
from shared.runtime.servers import servers_for
from shared.runtime.signals import cancel_on_terminate
from shared.sql.dialects import parse_engine

if TYPE_CHECKING:
    from shared.engines.base import SqlEngine
    from shared.engines.registry import EngineSettings

# Exit code when some requested engine could not be used, or some records could not be
# checked (an engine failed under them): the figures then cover only what was checked.
EXIT_ENGINES_UNAVAILABLE = 3
# After the last record, the command ends within EXIT_BOUND_S: closing the engines (pools
# dropped after POOL_CLOSE_S; scratch schemas on a server the user gave are dropped best
# effort within this) plus stopping the private servers (tests/cli/test_exit_bound.py adds
# them up).
EXIT_BOUND_S = 10.0
CLOSE_TIMEOUT_S = 4.0


@dataclass
class ValidationRun:
    """Everything one `validate` invocation produced, before it is printed."""

    requested: list[Engine]
    results: list[RecordResult] = field(default_factory=list)
    ran: list[Engine] = field(default_factory=list)
    unavailable: dict[Engine, str] = field(default_factory=dict)
    elapsed_s: float = 0.0


def build_settings(dsns: dict[Engine, str], overrides: dict[str, Any]) -> EngineSettings:
    # Imported here, not at the top: every `sqlsynth` subcommand imports this module.
    from shared.engines.registry import EngineSettings

    values: dict[str, Any] = {
        "postgres_dsn": dsns.get(Engine.POSTGRES),
        "mysql_dsn": dsns.get(Engine.MYSQL),
    }
    values.update({key: value for key, value in overrides.items() if value is not None})
    return EngineSettings(**values)


async def open_each(
    settings: EngineSettings, engines: list[Engine], unavailable: dict[Engine, str]
) -> dict[Engine, SqlEngine]:
    """Open engines one by one so that one unreachable server names itself."""
    from shared.engines.registry import open_engines

    opened: dict[Engine, SqlEngine] = {}
    for engine in engines:
        if engine in unavailable:
            continue
        try:
            opened.update(await open_engines(settings, [engine]))
        except EngineUnavailable as exc:
            unavailable[engine] = str(exc) or type(exc).__name__
    return opened


async def run_validation(
    records: list[DatasetRecord],
    run: ValidationRun,
    settings: EngineSettings,
    *,
    level: Level,
    policy: Policy,
    concurrency: int,
    default_dialect: Engine,
    allow_writes: bool,
    progress_console: Console,
    show_progress: bool,
) -> None:
    async with cancel_on_terminate():
        engines = await open_each(settings, run.requested, run.unavailable)
        run.ran = [engine for engine in run.requested if engine in engines]
        if engines:
            await validate_on(
                engines,
                records,
                run,
                level=level,
                policy=policy,
                concurrency=concurrency,
                default_dialect=default_dialect,
                allow_writes=allow_writes,
                progress_console=progress_console,
                show_progress=show_progress,
            )


async def validate_on(
    engines: dict[Engine, SqlEngine],
    records: list[DatasetRecord],
    run: ValidationRun,
    *,
    level: Level,
    policy: Policy,
    concurrency: int,
    default_dialect: Engine,
    allow_writes: bool,
    progress_console: Console,
    show_progress: bool,
) -> None:
    from shared.engines.validator import Validator

    try:
        validator = Validator(engines)
        with make_progress(progress_console, enabled=show_progress) as progress:
            task = progress.add_task("validating", total=len(records), status="")
            passed = 0

            def advance(result: RecordResult) -> None:
                nonlocal passed
                passed += any(result.query_ok(e) for e in run.ran)
                done = int(progress.tasks[task].completed) + 1
                progress.update(task, advance=1, status=f"query valid (any) {passed}/{done}")

            started = time.perf_counter()
            run.results = await check_records(
                validator,
                records,
                run.ran,
                level=level,
                policy=policy,
                concurrency=concurrency,
                default_dialect=default_dialect,
                allow_writes=allow_writes,
                on_result=advance,
            )
            run.elapsed_s = time.perf_counter() - started
    finally:
        await close_within(engines, CLOSE_TIMEOUT_S)


async def close_within(engines: dict[Engine, SqlEngine], timeout_s: float) -> None:
    """Close the engines, but do not let a stuck pool (e.g. a connection a cancelled task still
    holds) keep the command from exiting and stopping its servers."""
    from shared.engines.registry import close_engines

    try:
        await asyncio.wait_for(close_engines(engines), timeout_s)
    except TimeoutError:
        stderr_console().print(f"[yellow]engines did not close within {timeout_s:.0f}s[/]")


def build_report(
    path: Path, fmt: str, run: ValidationRun, errors: list[LoadError], level: Level, policy: Policy
) -> dict[str, Any]:
    summary = summarise(run.results, run.ran, level, requested=run.requested)
    rate = len(run.results) / run.elapsed_s if run.elapsed_s else None
    return {
        "file": str(path),
        "format": fmt,
        "level": level.value,
        "policy": policy.value,
        "engines": [e.value for e in run.ran],
        "unavailable": {e.value: reason for e, reason in run.unavailable.items()},
        **summary,
        "malformed": len(errors),
        "elapsed_s": round(run.elapsed_s, 3),
        "records_per_s": round(rate, 1) if rate else None,
    }


def print_notes(console: Console, report: dict[str, Any], errors: list[LoadError]) -> None:
    if errors:
        shown = ", ".join(e.position for e in errors[:10]) + (" …" if len(errors) > 10 else "")
        console.print(f"[yellow]{len(errors)} malformed row(s) not validated[/]: {shown}")
    if report["errors"]:
        console.print(f"[red]{report['errors']} record(s) could not be checked[/] (see --out)")
    for engine, reason in report["unavailable"].items():
        console.print(f"[red]{engine} unavailable[/]: {reason}")
    with_rows = report["with_rows"]
    if with_rows is not None and with_rows < 1 and report["non_empty"] is not None:
        console.print(
            f"{format_fraction(1 - with_rows)} of records have a schema without rows: their "
            "queries run on empty tables (valid if they execute, usually with no result rows)."
        )
    for engine, counts in report["failures"]["query"].items():
        if counts:
            reasons = ", ".join(f"{name} {count}" for name, count in counts.items())
            console.print(f"{engine} query failures: {reasons}")
    if report["records_per_s"]:
        console.print(
            f"{report['rows']} records in {report['elapsed_s']:.1f}s "
            f"({report['records_per_s']:.1f} records/s)"
        )


@contextlib.contextmanager
def cancelled_as_abort() -> Iterator[None]:
    """A run cancelled by SIGTERM ends like one stopped with Ctrl-C ("Aborted!", exit 1)."""
    try:
        yield
    except asyncio.CancelledError as exc:
        raise click.Abort() from exc


@click.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--engines",
    "engines",
    default=ALL_ENGINES,
    show_default=True,
    callback=engine_list_option,
    help="Comma-separated engines to validate on.",
)
@click.option(
    "--level",
    type=click.Choice([v.value for v in Level]),
    default=Level.FULL.value,
    show_default=True,
    help="syntax: parse; schema: DDL runs, query prepares; full: run.",
)
@click.option(
    "--policy",
    type=click.Choice([v.value for v in Policy]),
    default=Policy.PORTABLE.value,
    show_default=True,
    help="portable: the same SQL text on every engine; transpiled: each its rendering.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write one JSON line per record (its checks) and per malformed row.",
)
@click.option("--json", "as_json", is_flag=True, help="Print only the summary as one JSON object.")
@dataset_options
@click.option("--limit", type=click.IntRange(min=1), help="Validate only the first N records.")
@click.option("--concurrency", type=click.IntRange(min=1), default=16, show_default=True)
@click.option(
    "--postgres-dsn",
    envvar="SQLSYNTH_POSTGRES_DSN",
    help="Admin DSN; without it a private PostgreSQL is started for the run.",
)
@click.option(
    "--mysql-dsn",
    envvar="SQLSYNTH_MYSQL_DSN",
    help="Admin DSN; without it a private MariaDB is started for the run.",
)
@click.option(
    "--schema-cache-size",
    type=click.IntRange(min=1),
    help="Fixtures kept built per engine (engine default: 512).",
)
@click.option(
    "--statement-timeout-ms",
    type=click.IntRange(min=50),
    help="Per-query limit (engine default: 2000).",
)
@click.option(
    "--read-only",
    is_flag=True,
    help="Fail INSERT/UPDATE/DELETE queries instead of running them rolled back.",
)
@click.option(
    "--sense",
    is_flag=True,
    help="Also run the sense checks (docs/sense.md): share of records per finding.",
)
@click.option("--progress/--no-progress", default=True, show_default=True)
def command(
    file: Path,
    engines: list[Engine],
    level: str,
    policy: str,
    out: Path | None,
    as_json: bool,
    fmt: str,
    dialect: str | None,
    fields: tuple[str, ...],
    schema_dir: Path | None,
    tables_path: Path | None,
    limit: int | None,
    concurrency: int,
    postgres_dsn: str | None,
    mysql_dsn: str | None,
    schema_cache_size: int | None,
    statement_timeout_ms: int | None,
    read_only: bool,
    sense: bool,
    progress: bool,
) -> None:
    """Validate an existing dataset FILE on SQLite, PostgreSQL and MySQL."""
    console = stderr_console()
    if as_json:
        # sqlglot logs its rendering warnings; with --json stderr carries errors only.
        logging.getLogger("sqlglot").setLevel(logging.ERROR)
    try:
        sql_dialect = parse_engine(dialect) if dialect else None
        reader = open_dataset(file, fmt, dialect, fields, schema_dir, tables_path)
        records = list(itertools.islice(reader, limit))
        require_records(str(file), records, reader.errors)
    except (DatasetError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    run = ValidationRun(requested=engines)
    overrides = {
        "schema_cache_size": schema_cache_size,
        "statement_timeout_ms": statement_timeout_ms,
    }
    configured = {Engine.POSTGRES: postgres_dsn, Engine.MYSQL: mysql_dsn}
    with servers_for(engines, configured) as servers, cancelled_as_abort():
        run.unavailable.update(servers.unavailable)
        if not any(configured.get(e) for e in engines):
            # Our private servers are deleted at the end: dropping scratch schemas one by one
            # first would only slow the exit (and a Ctrl-C).
            overrides["drop_on_close"] = False
        asyncio.run(
            run_validation(
                records,
                run,
                build_settings(servers.dsns, overrides),
                level=Level(level),
                policy=Policy(policy),
                concurrency=concurrency,
                default_dialect=sql_dialect or Engine.SQLITE,
                allow_writes=not read_only,
                progress_console=console,
                show_progress=progress and console.is_terminal,
            )
        )
    if not run.ran:
        reasons = "; ".join(f"{e.value}: {r}" for e, r in run.unavailable.items())
        console.print(f"[red]no engine available[/]: {reasons}")
        raise SystemExit(EXIT_ENGINES_UNAVAILABLE)
    report = build_report(
        file, reader.format.value, run, reader.errors, Level(level), Policy(policy)
    )
    if sense:
        from shared.sense.summary import summarise_sense

        report["sense"] = summarise_sense(records).to_json()
    if out is not None:
        write_results(out, run.results, reader.errors)
    if as_json:
        print_json(report)
        # stderr carries errors only, one line each: why the exit code is 3.
        if report["errors"]:
            console.print(f"{report['errors']} record(s) could not be checked", highlight=False)
        for engine, reason in report["unavailable"].items():
            first = (reason.splitlines() or [""])[0][:300]
            console.print(f"{engine} unavailable: {first}", highlight=False, markup=False)
    else:
        stdout = Console()
        stdout.print(render_validity_title(report), highlight=False)
        stdout.print(render_validity_table(report, engines))
        if sense:
            stdout.print(render_sense_table(report["sense"]))
        print_notes(console, report, reader.errors)
    if run.unavailable or report["errors"]:
        raise SystemExit(EXIT_ENGINES_UNAVAILABLE)
