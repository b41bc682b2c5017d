"""`sqlsynth overlap DATASET --against OTHER`: schema, question and SQL overlap, exact and near."""

from __future__ import annotations

import itertools
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from services.cli.common import dataset_options, format_fraction, open_dataset, print_json
from shared.datasets import DatasetError
from shared.export.records import ExportError
from shared.scoring.dataset import read_export
from shared.scoring.overlap import OverlapItem, OverlapPlan, measure_overlap


def load_items(
    path: Path,
    fmt: str,
    dialect: str | None,
    fields: tuple[str, ...],
    schema_dir: Path | None,
    tables_path: Path | None,
    limit: int | None,
) -> list[OverlapItem]:
    """An export folder (data/*.parquet) or any dataset file `sqlsynth validate` reads."""
    if path.is_dir():
        return [
            OverlapItem(
                r["id"], r["question"], r["sql"], r["schema"], r.get("sql_dialect") or "sqlite"
            )
            for r in itertools.islice(read_export(path), limit)
        ]
    reader = open_dataset(path, fmt, dialect, fields, schema_dir, tables_path)
    return [
        OverlapItem(
            r.id,
            r.question,
            r.sql,
            r.schema_ddl,
            (r.sql_dialect.value if r.sql_dialect else "sqlite"),
        )
        for r in itertools.islice(reader, limit)
    ]


@click.command("overlap")
@click.argument("dataset", type=click.Path(exists=True, path_type=Path))
@click.option("--against", "other", required=True, type=click.Path(exists=True, path_type=Path))
@dataset_options
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N records of each.")
@click.option("--embedder", default="minilm-static", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def command(
    dataset: Path,
    other: Path,
    fmt: str,
    dialect: str | None,
    fields: tuple[str, ...],
    schema_dir: Path | None,
    tables_path: Path | None,
    limit: int | None,
    embedder: str,
    as_json: bool,
) -> None:
    """Contamination check of DATASET (export folder or file) against OTHER (e.g. Spider dev).
    The format options describe OTHER."""
    from shared.similarity.calibration import question_threshold_for
    from shared.similarity.embedders import load_embedder

    try:
        ours = load_items(dataset, "auto", None, (), None, None, limit)
        theirs = load_items(other, fmt, dialect, fields, schema_dir, tables_path, limit)
        model = load_embedder(embedder)
    except (DatasetError, ExportError, ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    plan = OverlapPlan(question_near=question_threshold_for(embedder))
    report = measure_overlap(ours, theirs, model, plan)
    if as_json:
        print_json(report)
        return
    table = Table(title=f"{dataset.name}: {len(ours)} records against {other.name} ({len(theirs)})")
    for column in ("layer", "exact", "near", "near means"):
        table.add_column(column)
    means = {
        "schema": f"table.column Jaccard ≥ {plan.schema_near}",
        "question": f"cosine ≥ {plan.question_near} ({embedder})",
        "sql": f"hybrid ≥ {plan.sql_near}",
    }
    for layer in ("schema", "question", "sql"):
        row = report[layer]
        table.add_row(
            layer, format_fraction(row["exact"]), format_fraction(row["near"]), means[layer]
        )
    Console().print(table)
