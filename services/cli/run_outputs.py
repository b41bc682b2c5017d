"""What `sqlsynth run` writes after the dataset: preference pairs and reasoning traces when
asked (Claude rejection sampling on a Claude run, offline traces otherwise), then the
training-ready export; each failure is one printed line that leaves the dataset in place."""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.console import Console

from proto.common import Engine
from services.cli.evolve import DEFAULT_OUT, LLM_ENGINES, EvolveModel, describe_llm, make_evolved
from services.cli.pairs import describe_pairs, make_pairs
from services.cli.reasoning import describe_reasoning, make_reasoning
from shared.evolution.direction import DirectionConfig
from shared.export.records import ExportError
from shared.export.writer import describe_summary, export_run
from shared.pairs.build import PairPlan
from shared.reasoning.sampling import ReasoningPlan

EXPORT_DIR = "export"


def write_outputs(
    out_dir: Path,
    console: Console,
    *,
    pairs: bool = False,
    reasoning: str | None = None,
    engines: list[Engine] | None = None,
    postgres_dsn: str | None = None,
    mysql_dsn: str | None = None,
    evolve_rounds: int = 0,
    generator: str = "template",
) -> None:
    if evolve_rounds:
        try:
            evolved = make_evolved(
                out_dir,
                out_dir / DEFAULT_OUT,
                DirectionConfig(rounds=evolve_rounds),
                engines=engines or list(Engine),
                postgres_dsn=postgres_dsn,
                mysql_dsn=mysql_dsn,
                # A run written by an LLM evolves with it: questions rewritten and operators
                # scored by the same engine (EvolSQL appendix G); offline otherwise.
                model=EvolveModel(generator, score=True) if generator in LLM_ENGINES else None,
            )
            console.print(
                f"{evolved['accepted']} evolved records → {out_dir / DEFAULT_OUT / 'dataset.jsonl'}"
            )
            if evolved.get("llm"):
                console.print(describe_llm(evolved["llm"]))
        except (ExportError, OSError, click.ClickException) as exc:
            message = exc.format_message() if isinstance(exc, click.ClickException) else exc
            console.print(f"[yellow]evolution skipped:[/] {message}")
    if pairs:
        try:
            # The weak generator as `sqlsynth pairs` reads it from the environment.
            path, pairs_summary = make_pairs(
                out_dir,
                engines or list(Engine),
                postgres_dsn,
                mysql_dsn,
                PairPlan(),
                weak_model=os.environ.get("SQLSYNTH_WEAK_MODEL") or None,
                weak_engine=os.environ.get("SQLSYNTH_WEAK_ENGINE") or "claude",
            )
            console.print(describe_pairs(pairs_summary, path))
        except (ExportError, OSError, click.ClickException) as exc:
            message = exc.format_message() if isinstance(exc, click.ClickException) else exc
            console.print(f"[yellow]preference pairs skipped:[/] {message}")
    if reasoning:
        try:
            path, traces = make_reasoning(
                out_dir,
                reasoning,
                ReasoningPlan(),
                engines=engines,
                postgres_dsn=postgres_dsn,
                mysql_dsn=mysql_dsn,
            )
            console.print(describe_reasoning(traces, path, reasoning))
        except (ExportError, OSError, click.ClickException) as exc:
            message = exc.format_message() if isinstance(exc, click.ClickException) else exc
            console.print(f"[yellow]reasoning skipped:[/] {message}")
    try:
        summary = export_run(out_dir, out_dir / EXPORT_DIR)
    except (ExportError, OSError) as exc:
        console.print(f"[yellow]export skipped:[/] {exc}")
        return
    console.print(describe_summary(summary))
