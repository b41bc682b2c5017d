"""What `sqlsynth validate` runs once its options are read: open the engines (and the private
servers), check the records, and the report and notes it prints.

Apart from validate.py so that `sqlsynth validate --help` imports none of this (asyncio, the
servers, the checks: pydantic, sqlglot and numpy behind them). `sqlsynth report --revalidate`
and the engine sessions of other commands use it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from proto.common import Engine, Level, Policy
from services.cli.common import format_fraction, make_progress, stderr_console
from shared.datasets import DatasetRecord, LoadError
from shared.datasets.check import RecordResult, check_records, summarise
from shared.errors import EngineUnavailable
from shared.runtime.servers import servers_for
from shared.runtime.signals import cancel_on_terminate

if TYPE_CHECKING:
    from shared.engines.base import SqlEngine
    from shared.engines.registry import EngineSettings

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
    from shared.engines.validator import Validator

    async with cancel_on_terminate():
        engines = await open_each(settings, run.requested, run.unavailable)
        run.ran = [engine for engine in run.requested if engine in engines]
        if not engines:
            return
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


def validate_records(
    records: list[DatasetRecord],
    engines: list[Engine],
    configured: dict[Engine, str | None],
    overrides: dict[str, Any],
    *,
    level: Level,
    policy: Policy,
    concurrency: int,
    default_dialect: Engine,
    allow_writes: bool,
    progress_console: Console,
    show_progress: bool,
) -> ValidationRun:
    """Check `records` on `engines`, starting private servers for those without a DSN."""
    run = ValidationRun(requested=engines)
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
                level=level,
                policy=policy,
                concurrency=concurrency,
                default_dialect=default_dialect,
                allow_writes=allow_writes,
                progress_console=progress_console,
                show_progress=show_progress,
            )
        )
    return run
