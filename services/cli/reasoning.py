"""`sqlsynth reasoning RUN_DIR`: execution-verified reasoning traces for a finished run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from proto.common import Engine
from services.cli.common import print_json, stderr_console
from services.cli.engine_session import engine_options, run_on_engines
from shared.engines.validator import Validator
from shared.export.records import ExportError, read_run_records
from shared.reasoning.output import write_reasoning
from shared.reasoning.sampling import (
    ReasoningPlan,
    ReasoningSampler,
    ReasoningSummary,
    offline_reasoning,
)

MODES = ("offline", "claude")


def describe_reasoning(summary: ReasoningSummary, path: Path, mode: str) -> str:
    if mode == "offline":
        return f"{summary.with_reasoning} derived traces of {summary.records} records → {path}"
    rate = summary.acceptance_rate or 0.0
    accuracy = summary.candidate_accuracy or 0.0
    return (
        f"{summary.with_reasoning} of {summary.records} records kept a verified trace "
        f"({rate:.1%}); {summary.correct} of {summary.candidates} candidates correct "
        f"({accuracy:.1%}) → {path}"
    )


async def sample_with_claude(
    validator: Validator, rows: list[dict[str, Any]], plan: ReasoningPlan, model: str | None
) -> tuple[list[dict[str, Any]], ReasoningSummary]:
    from shared.llm.client import LlmClient
    from shared.llm.settings import LlmSettings

    settings = LlmSettings(model=model) if model else LlmSettings()
    client = LlmClient(settings)
    try:
        sampler = ReasoningSampler(client, validator, plan)
        return await sampler.sample_all(rows), sampler.summary
    finally:
        await client.aclose()


def make_reasoning(
    run_dir: Path,
    mode: str,
    plan: ReasoningPlan,
    *,
    engines: list[Engine] | None = None,
    postgres_dsn: str | None = None,
    mysql_dsn: str | None = None,
    model: str | None = None,
    statement_timeout_ms: int | None = None,
) -> tuple[Path, ReasoningSummary]:
    rows = read_run_records(run_dir).rows
    if not rows:
        raise ExportError(f"{run_dir / 'dataset.jsonl'} has no usable record")
    if mode == "offline":
        lines = offline_reasoning(rows, plan.dialect)
        summary = ReasoningSummary(records=len(rows), with_reasoning=len(lines))
    else:
        from shared.llm.errors import LlmConfigError

        try:
            lines, summary = run_on_engines(
                engines or list(Engine),
                postgres_dsn,
                mysql_dsn,
                lambda engines: sample_with_claude(Validator(engines), rows, plan, model),
                statement_timeout_ms,
            )
        except LlmConfigError as exc:
            raise ExportError(str(exc)) from exc
    return write_reasoning(run_dir, lines), summary


@click.command("reasoning")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--mode", type=click.Choice(MODES), default="offline", show_default=True)
@click.option("--candidates", type=click.IntRange(min=1), default=4, show_default=True)
@click.option("--model", help="Claude model for --mode claude (default: SQLSYNTH_LLM_MODEL).")
@click.option("--dialect", default="sqlite", show_default=True)
@engine_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def command(
    run_dir: Path,
    mode: str,
    candidates: int,
    model: str | None,
    dialect: str,
    engines: list[Engine],
    postgres_dsn: str | None,
    mysql_dsn: str | None,
    statement_timeout_ms: int | None,
    as_json: bool,
) -> None:
    """Reasoning traces: Claude answers kept when their result equals gold, or offline traces."""
    plan = ReasoningPlan(candidates=candidates, dialect=dialect)
    try:
        path, summary = make_reasoning(
            run_dir,
            mode,
            plan,
            engines=engines,
            postgres_dsn=postgres_dsn,
            mysql_dsn=mysql_dsn,
            model=model,
            statement_timeout_ms=statement_timeout_ms,
        )
    except (ExportError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    stderr_console().print(describe_reasoning(summary, path, mode))
    if as_json:
        print_json(
            {
                "file": str(path),
                "mode": mode,
                "records": summary.records,
                "with_reasoning": summary.with_reasoning,
                "acceptance_rate": summary.acceptance_rate,
                "candidates": summary.candidates,
                "correct": summary.correct,
                "candidate_accuracy": summary.candidate_accuracy,
                "verdicts": summary.verdicts,
            }
        )
