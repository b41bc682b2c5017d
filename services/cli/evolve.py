"""`sqlsynth evolve RUN_DIR`: EvolSQL's operator-guided evolution (seed 004, §4.2) of a finished
run's accepted records into a new run folder; every evolved draft goes through the pipeline's
own stages (three engines, sense checks, review, dedup) in this process."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from proto.common import Engine
from services.cli.common import print_json, stderr_console
from services.cli.engine_session import engine_options, run_on_engines
from shared.errors import EngineUnavailable
from shared.evolution.direction import DirectionConfig
from shared.evolution.near_dedup import near_dedup_stage
from shared.evolution.outputs import write_outputs
from shared.evolution.rounds import RoundResult, evolve_rounds
from shared.evolution.stages import build_driver
from shared.evolution.wording import Reword
from shared.export.records import ExportError, read_run_records
from shared.pipeline.dedup import MemoryClaimStore

if TYPE_CHECKING:
    from shared.engines.base import SqlEngine

DEFAULT_OUT = "evolved"


def describe_round(result: RoundResult) -> str:
    ops = ", ".join(f"{op.value} {n}" for op, n in result.operators().most_common()) or "none"
    return (
        f"round {result.round}: {result.parents} parents → {result.drafted} drafted → "
        f"{len(result.accepted)} accepted ({ops})"
    )


async def evolve_job(
    engines: dict[Engine, SqlEngine],
    rows: list[dict[str, Any]],
    config: DirectionConfig,
    run_id: str,
    seed: int,
) -> list[RoundResult]:
    console = stderr_console()
    # The same near-duplicate search as every sample of a run (exact, question, SQL), with the
    # parents already in the pool: an evolution that reads like its parent is a duplicate.
    async with near_dedup_stage(rows, run_id) as dedup:
        driver, validator = build_driver(engines, MemoryClaimStore(), dedup=dedup)
        try:
            return await evolve_rounds(
                rows,
                driver.run,
                run_id=run_id,
                engines=list(engines),
                config=config,
                seed=seed,
                on_round=lambda result: console.print(describe_round(result)),
            )
        finally:
            validator.close()


def make_evolved(
    run_dir: Path,
    out_dir: Path,
    config: DirectionConfig,
    *,
    engines: list[Engine],
    postgres_dsn: str | None = None,
    mysql_dsn: str | None = None,
    statement_timeout_ms: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    read = read_run_records(run_dir)
    rows = read.rows
    if not rows:
        raise ExportError(f"{run_dir / 'dataset.jsonl'} has no usable record")
    if read.skipped:
        first = read.skipped[0]
        stderr_console().print(
            f"[yellow]{len(read.skipped)} unreadable line(s) not evolved[/]; "
            f"line {first.line}: {first.reason}"
        )
    run_id = f"evolve-{uuid.uuid4().hex[:8]}"
    try:
        results = run_on_engines(
            engines,
            postgres_dsn,
            mysql_dsn,
            lambda opened: evolve_job(opened, rows, config, run_id, seed),
            statement_timeout_ms,
        )
    except EngineUnavailable as exc:
        # In one process there is no redelivery to wait an outage out: stop, write nothing.
        raise click.ClickException(f"an engine went away during evolution ({exc}); rerun") from exc
    meta = {
        "run_id": run_id,
        "source": str(run_dir),
        "rounds_asked": config.rounds,
        "top_k": config.top_k,
        "epsilon": config.epsilon,
        "seed": seed,
        "wording": config.reword.value,
        "engines": [e.value for e in engines],
        "unreadable_lines": len(read.skipped),
    }
    return write_outputs(out_dir, results, rows, meta)


@click.command("evolve")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@engine_options
@click.option("--rounds", type=click.IntRange(min=1, max=5), default=2, show_default=True)
@click.option("--top-k", type=click.IntRange(min=1, max=6), default=2, show_default=True)
@click.option("--epsilon", type=click.FloatRange(min=1e-6), default=0.05, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--wording",
    type=click.Choice([r.value for r in Reword]),
    default=Reword.REALIZED.value,
    show_default=True,
    help="realized: each evolved question worded afresh from its SQL where the realizer can say "
    "all of it; in-place: the parent's question with the change's clause",
)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="default RUN_DIR/evolved")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def command(
    run_dir: Path,
    engines: list[Engine],
    postgres_dsn: str | None,
    mysql_dsn: str | None,
    statement_timeout_ms: int | None,
    rounds: int,
    top_k: int,
    epsilon: float,
    seed: int,
    wording: str,
    out_dir: Path | None,
    as_json: bool,
) -> None:
    """Evolve a run's accepted records into harder ones (EvolSQL operators, N rounds)."""
    config = DirectionConfig(top_k=top_k, epsilon=epsilon, rounds=rounds, reword=Reword(wording))
    target = out_dir or run_dir / DEFAULT_OUT
    try:
        summary = make_evolved(
            run_dir,
            target,
            config,
            engines=engines,
            postgres_dsn=postgres_dsn,
            mysql_dsn=mysql_dsn,
            statement_timeout_ms=statement_timeout_ms,
            seed=seed,
        )
    except (ExportError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    stderr_console().print(f"{summary['accepted']} evolved records → {target / 'dataset.jsonl'}")
    if as_json:
        print_json(summary)
