"""Helpers every `sqlsynth` subcommand shares: engine lists, JSON output, progress, datasets.

The servers a command starts for its run and its signal handling are runtime concerns, in
shared.runtime (servers_for, terminate_as_interrupt, cancel_on_terminate).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from proto.common import Engine
from shared.datasets.formats import DatasetFormat
from shared.sql.dialects import parse_engine, parse_engine_list

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from shared.datasets import DatasetReader

F = TypeVar("F", bound=Callable[..., Any])
ALL_ENGINES = ",".join(engine.value for engine in Engine)


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
    # rich is imported where it is used: `--help` loads none of it (#23).
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def make_progress(console: Console, *, enabled: bool = True) -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

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


def format_fraction(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def render_validity_title(report: dict[str, Any]) -> str:
    return (
        f"{Path(report['file']).name}: {report['rows']} rows "
        f"(level {report['level']}, policy {report['policy']})"
    )


def render_validity_table(report: dict[str, Any], requested: list[Engine]) -> Table:
    from rich.table import Table

    """DataFramer's table from a `sqlsynth validate --json` report: schema valid and query valid
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
    # Imported here: the loaders bring pydantic and sqlglot, which `--help` does not need.
    from shared.datasets import load_dataset

    return load_dataset(
        file,
        format=fmt,
        field_map=parse_key_values(fields, "--field"),
        dialect=parse_engine(dialect) if dialect else None,
        schema_dir=schema_dir,
        tables_path=tables_path,
    )
