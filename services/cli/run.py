"""`sqlsynth run` (the embedded runtime: servers, services, progress) and `sqlsynth up`."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.live import Live
from rich.table import Table

from proto.common import ReviewMode
from proto.run import RunPlan, RunStatus
from proto.seed import SeedEvent
from services.cli.run_request import build_request, request_options
from services.runner.run import (
    STATE_DIR,
    RunConfig,
    RunFailed,
    execute_run,
    load_request,
    review_url,
)
from services.runner.supervisor import TARGETS_FILE, Supervisor
from shared.llm.ledger import format_cost_line
from shared.runtime.signals import terminate_as_interrupt

console = Console(stderr=True)


def parse_replicas(values: tuple[str, ...]) -> dict[str, int]:
    replicas = {}
    for item in values:
        name, _, count = item.partition("=")
        replicas[name.strip()] = int(count or 1)
    return replicas


def progress_table(
    status: RunStatus | None, plan: RunPlan | None, elapsed: float, target: int
) -> Table:
    table = Table(title=f"sqlsynth run — {elapsed:,.0f}s", show_header=True)
    for column in ("planned", "accepted", "duplicate", "rejected", "in flight", "rate/s", "ETA"):
        table.add_column(column, justify="right")
    accepted = status.accepted if status else 0
    finished = status.finished if status else 0
    planned = plan.planned if plan else 0
    rate = accepted / elapsed if elapsed > 0 else 0.0
    eta = f"{(target - accepted) / rate:,.0f}s" if rate > 0 and accepted < target else "—"
    table.add_row(
        str(planned),
        f"{accepted}/{target}",
        str(status.duplicate if status else 0),
        str(status.rejected if status else 0),
        str(planned - finished),
        f"{rate:,.1f}",
        eta,
    )
    lines = []
    if status and status.stages:
        lines.append(", ".join(f"{k}={v}" for k, v in sorted(status.stages.items())))
    if status and status.cost.calls:
        lines.append(format_cost_line(status.cost, status.accepted))
    if status and status.saturation.run.window:
        run = status.saturation.run
        lines.append(
            f"saturation: {run.duplicate_rate:.0%} duplicates and SQL similarity "
            f"{run.mean_sql_similarity:.2f} over the last {run.window}; "
            f"{len(status.saturation.redundant_regions)} regions redundant, "
            f"{plan.shifted if plan else 0} blueprints shifted"
        )
    if lines:
        table.caption = "\n".join(lines)
    return table


def check_replicas(replicas: dict[str, int], environ: Mapping[str, str]) -> None:
    """Qdrant local mode is one process's files: dedup replicas must share a Qdrant server."""
    if replicas.get("dedup", 1) > 1 and not environ.get("SQLSYNTH_QDRANT_URL"):
        raise click.UsageError(
            "--replicas dedup>1 needs a shared Qdrant server (set SQLSYNTH_QDRANT_URL); "
            "the embedded local index can be opened by one dedup process only"
        )


BATCH_STALL_TIMEOUT_S = 25 * 3600.0


def batch_env(batch: bool, generator: str) -> dict[str, str]:
    if not batch:
        return {}
    if generator != "claude":
        raise click.UsageError("--batch is for the Claude engine (give --engine claude)")
    return {"SQLSYNTH_BATCH": "1"}


def check_llm(engine: str) -> None:
    """The preflight: a missing or rejected key, or an unknown model, stops here, before any
    server, service or file is started."""
    from shared.llm.errors import LlmConfigError
    from shared.llm.select import preflight

    try:
        model = asyncio.run(preflight(engine=engine))
    except LlmConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    provider = "Claude" if engine == "claude" else "OpenAI-compatible"
    console.print(f"{provider} model {model}: key accepted")


def start_with_guidelines(source: Path, out_dir: Path, run_id: str) -> None:
    from shared.review.guidelines import GuidelinesNotFound, carry_guidelines

    try:
        carried = carry_guidelines(source, out_dir, run_id)
    except GuidelinesNotFound as exc:
        raise click.ClickException(str(exc)) from exc
    rules = ", ".join(r.pattern for r in carried.rules) or "none"
    console.print(f"{len(carried.texts)} reviewer guidelines from {source}; rules: {rules}")


@click.command("run")
@request_options
@click.option("--batch", is_flag=True, help="Claude through the Message Batches API (half price)")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("out/run"))
@click.option("--replicas", multiple=True, help="e.g. validator=2 (repeatable)")
@click.option("--postgres-dsn", envvar="SQLSYNTH_POSTGRES_DSN")
@click.option("--mysql-dsn", envvar="SQLSYNTH_MYSQL_DSN")
@click.option("--review-port", type=int, default=8021, show_default=True, help="with --review")
@click.option("--resume", "resume_dir", type=click.Path(exists=True, path_type=Path))
@click.option("--keep-state", is_flag=True, help="keep the broker and engine data after the run")
@click.option("--pairs", is_flag=True, help="also write preferences.jsonl (preference pairs)")
@click.option("--reasoning", is_flag=True, help="also write reasoning.jsonl (verified traces)")
@click.option(
    "--evolve-rounds",
    type=click.IntRange(min=0, max=5),
    default=0,
    show_default=True,
    help="then evolve the accepted records N rounds (EvolSQL operators) into OUT/evolved",
)
@click.option(
    "--guidelines-from",
    type=click.Path(exists=True, path_type=Path),
    help="a reviewed run folder (or its guidelines.json): its reviewers' guidelines steer this run",
)
def run_command(
    batch: bool,
    out_dir: Path,
    replicas: tuple[str, ...],
    postgres_dsn: str | None,
    mysql_dsn: str | None,
    review_port: int,
    resume_dir: Path | None,
    keep_state: bool,
    pairs: bool,
    reasoning: bool,
    evolve_rounds: int,
    guidelines_from: Path | None,
    **options: Any,
) -> None:
    """Generate a dataset: start the runtime, run every service, write the files."""
    from shared.llm.select import GeneratorChoice, choose_generator
    from shared.pipeline.engines import LLM_ENGINES

    replica_counts = parse_replicas(replicas)
    check_replicas(replica_counts, os.environ)
    seeds: list[SeedEvent] = []
    if resume_dir is not None:
        out_dir = resume_dir
        request = load_request(resume_dir)
        console.print(f"resuming run {request.run_id} in {resume_dir}")
        choice = GeneratorChoice(request.generator, f"as when run {request.run_id} started")
    else:
        choice = choose_generator(options["engine"], os.environ)
        request, seeds = build_request(options, choice.name)
    console.print(choice.describe())
    if choice.name in LLM_ENGINES:
        check_llm(choice.name)
    console.print(f"engines: {', '.join(e.value for e in request.engines)}; out: {out_dir}")
    if os.environ.get("SQLSYNTH_METRICS_PORT"):
        targets = out_dir / STATE_DIR / "logs" / TARGETS_FILE
        console.print(f"metrics: one port per process from $SQLSYNTH_METRICS_PORT; see {targets}")
    if guidelines_from is not None:
        start_with_guidelines(guidelines_from, out_dir, request.run_id)
    config = RunConfig(
        out_dir=out_dir,
        request=request,
        keep_state=keep_state,
        replicas=replica_counts,
        postgres_dsn=postgres_dsn,
        mysql_dsn=mysql_dsn,
        seeds=seeds,
        extra_env=batch_env(batch, request.generator),
        review_port=review_port,
    )
    if batch:
        # A batch round may legitimately take hours (the API allows 24 h): not a stall.
        config.stall_timeout_s = BATCH_STALL_TIMEOUT_S
    if request.review is not ReviewMode.OFF:
        console.print(
            f"review ({request.review.value}): decide the held samples at {review_url(config)} "
            "— the run ends when every sample is decided"
        )
    with Live(console=console, refresh_per_second=4, transient=False) as live:

        def progress(status: RunStatus | None, plan: RunPlan | None, elapsed: float) -> None:
            live.update(progress_table(status, plan, elapsed, request.count))

        try:
            with terminate_as_interrupt():  # SIGTERM/SIGHUP clean up like Ctrl-C
                result = asyncio.run(execute_run(config, progress))
        except RunFailed as exc:
            raise click.ClickException(str(exc)) from exc
        except KeyboardInterrupt:
            console.print(f"interrupted; continue with: sqlsynth run --resume {out_dir}")
            raise SystemExit(130) from None
    status = result.status
    console.print(
        f"[bold]{status.accepted}[/] accepted, {status.duplicate} duplicate, "
        f"{status.rejected} rejected in {result.elapsed_s:.1f}s "
        f"({status.accepted / max(result.elapsed_s, 1e-9):.1f} accepted/s) "
        f"→ {out_dir}/dataset.jsonl"
    )
    if status.cost.calls:
        console.print(format_cost_line(status.cost, status.accepted))
    if status.accepted:
        # Imported here: the outputs pull in evolution, reasoning and export (scipy, anthropic,
        # qdrant-client), seconds of imports that `sqlsynth run --help` should not pay.
        from services.cli.run_outputs import write_outputs

        write_outputs(
            out_dir,
            console,
            pairs=pairs,
            reasoning=("claude" if request.generator == "claude" else "offline")
            if reasoning
            else None,
            engines=list(request.engines),
            postgres_dsn=postgres_dsn,
            mysql_dsn=mysql_dsn,
            evolve_rounds=evolve_rounds,
            generator=request.generator,
        )
    for problem in result.plan.problems:
        console.print(f"[yellow]planner:[/] {problem}")
    if result.plan.saturated_reasons:
        console.print("saturated: " + "; ".join(result.plan.saturated_reasons))
    if result.plan.budget_reasons:
        console.print("budget reached: " + "; ".join(result.plan.budget_reasons))
    if result.plan.problems and not result.plan.planned:
        raise click.ClickException("nothing could be planned: " + "; ".join(result.plan.problems))
    if result.plan.exhausted:
        raise click.ClickException(
            f"stopped after {result.plan.planned} planned samples without reaching the target; "
            f"see {out_dir}/rejected.jsonl for the reasons"
        )


@click.command("up")
@click.option("--nats-url", envvar="SQLSYNTH_NATS_URL", required=True)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("out"))
@click.option("--replicas", multiple=True, help="e.g. validator=2 (repeatable)")
def up_command(nats_url: str, out_dir: Path, replicas: tuple[str, ...]) -> None:
    """Run every service against external NATS and databases (DSNs from SQLSYNTH_* env)."""
    supervisor = Supervisor(
        {"SQLSYNTH_NATS_URL": nats_url, "SQLSYNTH_OUT_DIR": str(out_dir)},
        out_dir / "logs",
        parse_replicas(replicas),
    )
    supervisor.start_all()
    console.print(f"services up against {nats_url}; logs in {out_dir / 'logs'}; Ctrl-C stops")
    if supervisor.metrics_ports:
        console.print(f"metrics targets: {out_dir / 'logs' / TARGETS_FILE}")
    stop = False

    def on_signal(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    try:
        while not stop:
            for key in supervisor.dead():
                name, replica = key.rsplit("-", 1)
                console.print(f"{key} exited; restarting")
                supervisor.start(name, int(replica))
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        supervisor.stop_all()
