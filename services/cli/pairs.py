"""`sqlsynth pairs RUN_DIR`: preference pairs (prompt, chosen, rejected) for a finished run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from proto.common import Engine
from services.cli.common import print_json, stderr_console
from services.cli.engine_session import engine_options, run_on_engines
from shared.engines.validator import Validator
from shared.export.records import ExportError, read_run_records
from shared.pairs.build import PairBuilder, PairPlan, PairsSummary
from shared.pairs.output import write_preferences
from shared.pairs.sources import CandidateSource, OfflineMistakes


def describe_pairs(summary: PairsSummary, path: Path) -> str:
    kinds = ", ".join(f"{k} {v}" for k, v in summary.pairs.most_common()) or "none"
    return (
        f"{sum(summary.pairs.values())} pairs for {summary.with_pairs} of {summary.records} "
        f"records → {path} ({kinds})"
    )


def summary_json(summary: PairsSummary, path: Path) -> dict[str, Any]:
    return {
        "file": str(path),
        "records": summary.records,
        "records_with_pairs": summary.with_pairs,
        "pairs": dict(summary.pairs),
        "tried": dict(summary.tried),
        "equivalent": dict(summary.equivalent),
        "skipped": dict(summary.skipped),
    }


async def build_run_pairs(
    validator: Validator,
    rows: list[dict[str, Any]],
    plan: PairPlan,
    weak_model: str | None,
    weak_samples: int,
    weak_engine: str = "claude",
) -> tuple[list[dict[str, Any]], PairsSummary]:
    sources: list[CandidateSource] = [OfflineMistakes()]
    client = None
    if weak_model:
        from shared.llm.errors import LlmConfigError
        from shared.llm.select import build_client
        from shared.pairs.weak_model import WeakModel

        try:
            client = build_client(weak_engine, weak_model)
        except LlmConfigError as exc:
            raise click.ClickException(f"--weak-model {weak_model}: {exc}") from exc
        sources.insert(0, WeakModel(client, samples=weak_samples))
    try:
        builder = PairBuilder(validator, sources, plan)
        pairs = await builder.build(rows)
    finally:
        if client is not None:
            await client.aclose()
    return pairs, builder.summary


def make_pairs(
    run_dir: Path,
    engines: list[Engine],
    postgres_dsn: str | None,
    mysql_dsn: str | None,
    plan: PairPlan,
    weak_model: str | None = None,
    weak_samples: int = 2,
    statement_timeout_ms: int | None = None,
    weak_engine: str = "claude",
) -> tuple[Path, PairsSummary]:
    rows = read_run_records(run_dir).rows
    if not rows:
        raise ExportError(f"{run_dir / 'dataset.jsonl'} has no usable record")
    pairs, summary = run_on_engines(
        engines,
        postgres_dsn,
        mysql_dsn,
        lambda engines: build_run_pairs(
            Validator(engines), rows, plan, weak_model, weak_samples, weak_engine
        ),
        statement_timeout_ms,
    )
    return write_preferences(run_dir, pairs), summary


@click.command("pairs")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@engine_options
@click.option("--per-record", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--dialect", default="sqlite", show_default=True, help="Dialect of the pairs' SQL.")
@click.option(
    "--weak-model",
    envvar="SQLSYNTH_WEAK_MODEL",
    help="A cheaper model as a weak generator (a Claude model with ANTHROPIC_API_KEY, or a "
    "model of the --weak-engine openai server).",
)
@click.option(
    "--weak-engine",
    type=click.Choice(["claude", "openai"]),
    default="claude",
    show_default=True,
    envvar="SQLSYNTH_WEAK_ENGINE",
    help="Who serves --weak-model: Claude, or an OpenAI-compatible server (SQLSYNTH_OPENAI_*).",
)
@click.option("--weak-samples", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def command(
    run_dir: Path,
    engines: list[Engine],
    postgres_dsn: str | None,
    mysql_dsn: str | None,
    statement_timeout_ms: int | None,
    per_record: int,
    dialect: str,
    weak_model: str | None,
    weak_engine: str,
    weak_samples: int,
    as_json: bool,
) -> None:
    """Preference pairs: gold SQL against weak candidates that fail or differ in result."""
    plan = PairPlan(pairs_per_record=per_record, dialect=dialect)
    try:
        path, summary = make_pairs(
            run_dir,
            engines,
            postgres_dsn,
            mysql_dsn,
            plan,
            weak_model,
            weak_samples,
            statement_timeout_ms,
            weak_engine,
        )
    except (ExportError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    stderr_console().print(describe_pairs(summary, path))
    if as_json:
        print_json(summary_json(summary, path))
