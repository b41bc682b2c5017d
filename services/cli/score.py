"""`sqlsynth score PREDICTIONS --dataset DIR`: execution accuracy of a model on an export."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from proto.common import Engine
from services.cli.common import format_fraction, print_json, stderr_console
from services.cli.engine_session import engine_options, run_on_engines
from shared.export.records import ExportError
from shared.export.splits import SPLITS
from shared.scoring.dataset import read_export, read_predictions
from shared.scoring.score import GROUPS, RecordScore, same_schema_baseline, score_predictions

BASELINES = ("same-schema",)


def render_report(report: dict[str, Any], engines: list[str]) -> Table:
    table = Table(title=f"execution accuracy, {report['records']} records")
    table.add_column("group")
    table.add_column("n", justify="right")
    for engine in engines:
        table.add_column(engine, justify="right")
    overall = report["execution_accuracy"]
    table.add_row(
        "all",
        str(report["records"]),
        *[format_fraction(overall[e]) for e in engines],
    )
    executes = report["executes"]
    table.add_row(
        "(runs without error)",
        "",
        *[format_fraction(executes[e]) for e in engines],
        end_section=True,
    )
    for name in GROUPS:
        values = report["by"][name]
        if name == "sense" and list(values) == ["none"]:
            continue  # no sense findings recorded: nothing to break down
        for index, (value, row) in enumerate(values.items()):
            table.add_row(
                f"{name}={value}",
                str(row["n"]),
                *[format_fraction(row[e]) for e in engines],
                end_section=index == len(values) - 1,
            )
    return table


@click.command("score")
@click.argument("predictions", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--dataset",
    "dataset_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="An export folder (sqlsynth export).",
)
@click.option("--split", "splits", multiple=True, type=click.Choice(SPLITS), help="Default: all.")
@click.option("--dialect", default="sqlite", show_default=True, help="Dialect of the predictions.")
@click.option(
    "--baseline",
    type=click.Choice(BASELINES),
    help="Score a baseline instead of PREDICTIONS: same-schema = another record's gold SQL.",
)
@engine_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write one JSON line per record (correct and error per engine).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def command(
    predictions: Path | None,
    dataset_dir: Path,
    splits: tuple[str, ...],
    dialect: str,
    baseline: str | None,
    engines: list[Engine],
    postgres_dsn: str | None,
    mysql_dsn: str | None,
    statement_timeout_ms: int | None,
    out: Path | None,
    as_json: bool,
) -> None:
    """Run predicted SQL on each record's fixture on every engine; accuracy per group."""
    if (predictions is None) == (baseline is None):
        raise click.UsageError("give PREDICTIONS or --baseline (one of them)")
    try:
        records = read_export(dataset_dir, splits or SPLITS)
        predicted = read_predictions(predictions) if predictions else same_schema_baseline(records)
    except (ExportError, OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc

    async def job(opened: Any) -> list[RecordScore]:
        report = await score_predictions(opened, records, predicted, dialect=dialect)
        return report.records

    from shared.scoring.score import ScoreReport

    scores = run_on_engines(engines, postgres_dsn, mysql_dsn, job, statement_timeout_ms)
    report = ScoreReport([e.value for e in engines], scores).to_json()
    if out is not None:
        out.write_text(
            "".join(json.dumps(dataclasses.asdict(score)) + "\n" for score in scores),
            encoding="utf-8",
        )
    if report["missing_predictions"]:
        stderr_console().print(
            f"{report['missing_predictions']} records have no prediction (counted as wrong)"
        )
    if as_json:
        print_json(report)
    else:
        Console().print(render_report(report, [e.value for e in engines]))
