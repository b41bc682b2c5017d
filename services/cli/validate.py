"""`sqlsynth validate FILE`: how much of an existing dataset is valid on each engine.

Prints DataFramer's table (schema valid / query valid per engine, on any engine, on all engines),
or with `--json` one JSON object with the same figures under stable keys. This module holds the
command and its options only; what it runs is in validation_run.py, imported when it runs.
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

import click

from proto.common import Engine, Level, Policy
from services.cli.common import (
    ALL_ENGINES,
    dataset_options,
    engine_list_option,
    open_dataset,
    print_json,
    render_validity_table,
    render_validity_title,
    stderr_console,
)
from shared.sql.dialects import parse_engine

# Exit code when some requested engine could not be used, or some records could not be
# checked (an engine failed under them): the figures then cover only what was checked.
EXIT_ENGINES_UNAVAILABLE = 3
# After the last record, the command ends within EXIT_BOUND_S: closing the engines (pools
# dropped after POOL_CLOSE_S; scratch schemas on a server the user gave are dropped best
# effort within this) plus stopping the private servers (tests/cli/test_exit_bound.py adds
# them up).
EXIT_BOUND_S = 10.0


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
    # Imported here, not at the top: the checks, engines and servers (asyncio, pydantic, sqlglot,
    # numpy behind them) are not needed to print `sqlsynth validate --help`.
    from services.cli.validation_run import build_report, print_notes, validate_records
    from shared.datasets import DatasetError
    from shared.datasets.check import write_results
    from shared.datasets.record import require_records

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
    run = validate_records(
        records,
        engines,
        {Engine.POSTGRES: postgres_dsn, Engine.MYSQL: mysql_dsn},
        {"schema_cache_size": schema_cache_size, "statement_timeout_ms": statement_timeout_ms},
        level=Level(level),
        policy=Policy(policy),
        concurrency=concurrency,
        default_dialect=sql_dialect or Engine.SQLITE,
        allow_writes=not read_only,
        progress_console=console,
        show_progress=progress and console.is_terminal,
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
        from rich.console import Console

        stdout = Console()
        stdout.print(render_validity_title(report), highlight=False)
        stdout.print(render_validity_table(report, engines))
        if sense:
            from services.cli.sense_table import render_sense_table

            stdout.print(render_sense_table(report["sense"]))
        print_notes(console, report, reader.errors)
    if run.unavailable or report["errors"]:
        raise SystemExit(EXIT_ENGINES_UNAVAILABLE)
