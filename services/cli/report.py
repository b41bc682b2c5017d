"""`sqlsynth report DATASET [--compare OTHER ...]`: measure datasets the way the seed documents do.

Prints the headline figures side by side; `--html` writes the self-contained report with plots,
`--json` every metric under the stable keys of docs/report.md. DATASET and OTHER are dataset
files of any format `sqlsynth validate` reads, or run folders written by `sqlsynth run`.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from proto.common import Engine, Level, Policy
from services.cli.common import (
    ALL_ENGINES,
    engine_list_option,
    parse_key_values,
    stderr_console,
)
from shared.datasets import DatasetError, DatasetFormat
from shared.datasets.record import require_records
from shared.errors import SqlsynthError
from shared.runtime.servers import servers_for

if TYPE_CHECKING:
    from shared.report.load import LoadedDataset
    from shared.spec import Spec

# (label, key path, kind) of the headline table printed on the terminal.
HEADLINE: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("rows", ("rows",), "int"),
    ("SQL parsed", ("parsed",), "int"),
    ("query valid, all engines", ("validity", "query_valid", "all"), "share"),
    ("queries over 3-5 tables", ("shares", "query_tables_3_to_5"), "share"),
    ("schemas of 3-5 tables", ("shares", "schema_tables_3_to_5"), "share"),
    ("non-inner joins", ("shares", "non_inner_join"), "share"),
    ("primary keys", ("shares", "primary_key"), "share"),
    ("foreign keys", ("shares", "foreign_key"), "share"),
    ("CTEs", ("shares", "cte"), "share"),
    ("set operations", ("shares", "set_operation"), "share"),
    ("window functions", ("shares", "window_function"), "share"),
    ("subqueries", ("shares", "subquery"), "share"),
    ("mean tables", ("complexity", "tables"), "number"),
    ("mean joins", ("complexity", "joins"), "number"),
    ("mean functions", ("complexity", "functions"), "number"),
    ("mean tokens", ("complexity", "tokens"), "number"),
    ("mean aggregates", ("complexity", "aggregates"), "number"),
    ("mean subqueries", ("complexity", "subqueries"), "number"),
    ("mean nesting (levels)", ("complexity", "nesting"), "number"),
    ("unique SQL patterns", ("patterns", "unique"), "int"),
    ("pattern entropy (bits)", ("patterns", "entropy"), "number"),
    ("tables covered", ("coverage", "tables"), "int"),
    ("columns covered", ("coverage", "columns"), "int"),
    ("question mean cosine", ("question_mean_cosine",), "number"),
    ("Vendi score, SQL", ("vendi", "sql"), "number"),
    ("hybrid similarity", ("hybrid_similarity", "mean"), "number"),
    ("spec: mean TVD", ("spec", "summary", "mean_tvd"), "number"),
    ("run: USD per accepted", ("run", "cost", "usd_per_accepted"), "number"),
)


def read_spec(value: str | None, datasets: list[LoadedDataset]) -> Spec | None:
    """--spec PATH, --spec default, or (no flag) the spec in the main run folder's run.json."""
    from shared.spec import build_spec, default_spec, load_spec

    if value == "default":
        return default_spec()
    if value:
        return load_spec(Path(value))
    run = datasets[0].run
    if run is not None and run.spec_document is not None:
        return build_spec(run.spec_document)
    return None


def revalidate_all(
    datasets: list[LoadedDataset],
    engines: list[Engine],
    *,
    level: Level,
    policy: Policy,
    concurrency: int,
    configured: dict[Engine, str | None],
    console: Console,
    show_progress: bool,
) -> list[dict[str, Any] | None]:
    """Validate every dataset on the engines, as `sqlsynth validate` does, one server stack."""
    from services.cli.validation_run import ValidationRun, build_settings, run_validation
    from shared.report.validity import summarise_validity

    out: list[dict[str, Any] | None] = []
    with servers_for(engines, configured) as servers:
        for dataset in datasets:
            run = ValidationRun(requested=engines)
            run.unavailable.update(servers.unavailable)
            asyncio.run(
                run_validation(
                    dataset.records,
                    run,
                    build_settings(servers.dsns, {}),
                    level=level,
                    policy=policy,
                    concurrency=concurrency,
                    default_dialect=Engine.SQLITE,
                    allow_writes=True,
                    progress_console=console,
                    show_progress=show_progress,
                )
            )
            unavailable = {e.value: reason for e, reason in run.unavailable.items()}
            if not run.ran:
                out.append({"source": "revalidated", "engines": [], "unavailable": unavailable})
                continue
            figures = summarise_validity(run.results, run.ran, level, "revalidated")
            figures.update(
                unavailable=unavailable, policy=policy.value, elapsed_s=round(run.elapsed_s, 3)
            )
            out.append(figures)
    return out


def render_headline(document: dict[str, Any]) -> Table:
    from shared.report.build import list_datasets
    from shared.report.html_parts import format_cell, get_path

    datasets = list_datasets(document)
    table = Table(title="sqlsynth report")
    table.add_column("metric")
    for dataset in datasets:
        table.add_column(str(dataset["name"]), justify="right")
    for label, path, kind in HEADLINE:
        cells = [format_cell(get_path(d, path), kind) for d in datasets]
        if all(cell == "n/a" for cell in cells):
            continue
        table.add_row(label, *cells)
    return table


@click.command("report")
@click.argument("dataset", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--compare",
    "compare",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Another dataset file or run folder, shown side by side (repeatable).",
)
@click.option("--name", "names", multiple=True, help="Display names, in order (repeatable).")
@click.option(
    "--spec",
    "spec_path",
    help="Spec file (or 'default') to compare against; a run folder's own spec by default.",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the self-contained HTML report (tables and plots) here.",
)
@click.option("--json", "json_path", help="Write every metric as JSON to this file ('-': stdout).")
@click.option("--revalidate", is_flag=True, help="Recompute validity on the engines.")
@click.option("--engines", default=ALL_ENGINES, show_default=True, callback=engine_list_option)
@click.option(
    "--level",
    type=click.Choice([v.value for v in Level]),
    default=Level.FULL.value,
    show_default=True,
)
@click.option(
    "--policy",
    type=click.Choice([v.value for v in Policy]),
    default=Policy.PORTABLE.value,
    show_default=True,
)
@click.option("--concurrency", type=click.IntRange(min=1), default=16, show_default=True)
@click.option("--postgres-dsn", envvar="SQLSYNTH_POSTGRES_DSN")
@click.option("--mysql-dsn", envvar="SQLSYNTH_MYSQL_DSN")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in DatasetFormat]),
    default="auto",
    show_default=True,
    help="Format of DATASET (compared files are auto-detected).",
)
@click.option("--dialect", help="SQL dialect of DATASET (default: from the format or file name).")
@click.option(
    "--field",
    "fields",
    multiple=True,
    metavar="NAME=COLUMN",
    help="Map a column of DATASET: sql, question, schema_ddl, id, db_id, sql_dialect.",
)
@click.option(
    "--label",
    "labels",
    multiple=True,
    metavar="NAME=COLUMN",
    help="Where a label is: prompt_style, domain, task_type, complexity, sql_complexity.",
)
@click.option("--limit", type=click.IntRange(min=1), help="Measure only the first N rows of each.")
@click.option("--max-pairs", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the pair sample.")
@click.option(
    "--embedder",
    "embedder_name",
    default="tfidf-char",
    show_default=True,
    help="Embeddings for cosine, Vendi and hybrid: tfidf-char, or minilm-static / minilm.",
)
@click.option("--progress/--no-progress", default=True, show_default=True)
def command(
    dataset: Path,
    compare: tuple[Path, ...],
    names: tuple[str, ...],
    spec_path: str | None,
    html_path: Path | None,
    json_path: str | None,
    revalidate: bool,
    engines: list[Engine],
    level: str,
    policy: str,
    concurrency: int,
    postgres_dsn: str | None,
    mysql_dsn: str | None,
    fmt: str,
    dialect: str | None,
    fields: tuple[str, ...],
    labels: tuple[str, ...],
    limit: int | None,
    max_pairs: int,
    seed: int,
    embedder_name: str,
    progress: bool,
) -> None:
    """Quality report of DATASET (a file or a run folder), side by side with --compare ones."""
    # Imported here: every `sqlsynth` command imports this module, few need numpy and scipy.
    from shared.report.build import ReportOptions, build_report
    from shared.report.embed import load_report_embedder
    from shared.report.facts import LABELS
    from shared.report.load import load_report_dataset, make_unique_names
    from shared.report.output import dump_json, write_report_files

    console = stderr_console()
    started = time.perf_counter()
    label_map = parse_key_values(labels, "--label")
    unknown = sorted(set(label_map) - set(LABELS))
    if unknown:
        raise click.BadParameter(f"unknown label(s) {', '.join(unknown)}", param_hint="--label")
    if len(names) > 1 + len(compare):
        raise click.BadParameter("more names than datasets", param_hint="--name")
    try:
        loaded = [
            load_report_dataset(
                dataset,
                format=fmt,
                field_map=parse_key_values(fields, "--field"),
                dialect=dialect,
                limit=limit,
            ),
            *(load_report_dataset(path, limit=limit) for path in compare),
        ]
        for item in loaded:
            require_records(str(item.path), item.records, item.errors)
        spec = read_spec(spec_path, loaded)
        embedder = load_report_embedder(embedder_name)
    except (DatasetError, SqlsynthError, ValueError) as exc:  # SpecError is a SqlsynthError
        raise click.ClickException(str(exc)) from exc
    given = list(names) + [d.name for d in loaded[len(names) :]]
    for item, name in zip(loaded, make_unique_names(given), strict=True):
        item.name = name
    validity = None
    if revalidate:
        validity = revalidate_all(
            loaded,
            engines,
            level=Level(level),
            policy=Policy(policy),
            concurrency=concurrency,
            configured={Engine.POSTGRES: postgres_dsn, Engine.MYSQL: mysql_dsn},
            console=console,
            show_progress=progress and console.is_terminal,
        )
    options = ReportOptions(embedder=embedder, max_pairs=max_pairs, seed=seed, label_map=label_map)
    document = build_report(loaded, spec=spec, options=options, validity=validity)
    to_stdout = json_path == "-"
    write_report_files(
        document,
        html_path=html_path,
        json_path=Path(json_path) if json_path and not to_stdout else None,
    )
    if to_stdout:
        click.echo(dump_json(document))
    else:
        Console().print(render_headline(document))
    for item in loaded:
        if item.errors:
            console.print(f"[yellow]{item.name}: {len(item.errors)} malformed row(s) skipped[/]")
    written = [str(p) for p in (html_path, json_path) if p and p != "-"]
    if written:
        console.print(f"wrote {', '.join(written)}")
    console.print(f"report built in {time.perf_counter() - started:.1f}s")
