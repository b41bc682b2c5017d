"""`sqlsynth evolve RUN_DIR`: EvolSQL's operator-guided evolution (seed 004, §4.2) of a finished
run's accepted records into a new run folder; every evolved draft goes through the pipeline's
own stages (three engines, sense checks, review, dedup) in this process."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from proto.common import Engine
from services.cli.common import print_json, stderr_console
from services.cli.engine_session import engine_options, run_on_engines
from shared.errors import EngineUnavailable
from shared.evolution.direction import DirectionConfig
from shared.evolution.near_dedup import near_dedup_stage, parent_closeness, parent_sql_closeness
from shared.evolution.outputs import write_outputs
from shared.evolution.rounds import RoundResult, evolve_rounds
from shared.evolution.stages import build_driver
from shared.evolution.wording import Reword
from shared.export.records import ExportError, read_run_records
from shared.pipeline.dedup import MemoryClaimStore
from shared.pipeline.near_dedup import NearDedupConfig
from shared.similarity.calibration import question_threshold_for
from shared.similarity.embedders import load_embedder

if TYPE_CHECKING:
    from shared.engines.base import SqlEngine
    from shared.evolution.model_words import ModelEvolution
    from shared.llm.client import ModelClient

DEFAULT_OUT = "evolved"
LLM_ENGINES = ("claude", "openai")


@dataclass(frozen=True)
class EvolveModel:
    """The LLM of an evolution (None: offline): it rewrites the evolved questions, and with
    `score` it is also the strategy model scoring the operators' feasibility (EvolSQL G.4)."""

    engine: str | None = None
    score: bool = False


@dataclass
class ModelUse:
    """What the model did in one evolution, for summary.json (the ledger counts every call)."""

    client: ModelClient | None = None

    def summary(self, results: list[RoundResult]) -> dict[str, Any] | None:
        if self.client is None:
            return None
        ledger = self.client.ledger
        unbilled = sum(r.log.unbilled.usd for r in results)
        return {
            "engine": self.client.engine_name,
            "model": self.client.model,
            "calls": ledger.total.calls,
            "usd": round(ledger.total.usd, 6),
            "input_tokens": ledger.total.input_tokens,
            "output_tokens": ledger.total.output_tokens,
            "by_purpose": {
                purpose: {"calls": cost.calls, "usd": round(cost.usd, 6)}
                for purpose, cost in ledger.by_purpose.items()
            },
            "failed_calls": dict(ledger.failures),
            # Scoring calls of parents that gave no evolved sample: in the total, on no record.
            "usd_on_no_record": round(unbilled, 6),
        }


def open_model(choice: EvolveModel) -> ModelEvolution | None:
    """The model's evolution helper, or None offline; a missing key is a one-line error."""
    if choice.engine is None:
        return None
    from shared.evolution.model_words import ModelEvolution
    from shared.llm.errors import LlmConfigError
    from shared.llm.select import build_client

    try:
        client = build_client(choice.engine)
    except LlmConfigError as exc:
        raise click.ClickException(f"--llm {choice.engine}: {exc}") from exc
    return ModelEvolution(client, score=choice.score)


def describe_round(result: RoundResult) -> str:
    ops = ", ".join(f"{op.value} {n}" for op, n in result.operators().most_common()) or "none"
    return (
        f"round {result.round}: {result.parents} parents → {result.drafted} drafted → "
        f"{len(result.accepted)} accepted ({ops})"
    )


def describe_llm(llm: dict[str, Any]) -> str:
    return (
        f"LLM ({llm['engine']} {llm['model']}): {llm['calls']} calls, ${llm['usd']:.4f} "
        f"(in {llm['input_tokens']:,} / out {llm['output_tokens']:,})"
    )


async def evolve_job(
    engines: dict[Engine, SqlEngine],
    rows: list[dict[str, Any]],
    config: DirectionConfig,
    run_id: str,
    seed: int,
    choice: EvolveModel | None = None,
    use: ModelUse | None = None,
) -> list[RoundResult]:
    console = stderr_console()
    model = open_model(choice or EvolveModel())
    if use is not None and model is not None:
        use.client = model.client
    # The same near-duplicate search as every sample of a run (exact, question, SQL), with the
    # parents already in the pool: an evolution that reads like its parent is a duplicate.
    # One embedder for the trial run's parent check and the near-duplicate search: a candidate
    # the search would call its parent's duplicate is replaced by the operator's next one.
    embedder = await asyncio.to_thread(load_embedder)
    close = parent_closeness(embedder, question_threshold_for(embedder.name))
    sql_close = parent_sql_closeness(embedder, NearDedupConfig().sql_threshold)
    config = replace(config, close_to_parent=close, sql_close_to_parent=sql_close)
    async with near_dedup_stage(rows, run_id, embedder) as dedup:
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
                model=model,
            )
        finally:
            validator.close()
            if model is not None:
                await model.client.aclose()


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
    model: EvolveModel | None = None,
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
    use = ModelUse()
    try:
        results = run_on_engines(
            engines,
            postgres_dsn,
            mysql_dsn,
            lambda opened: evolve_job(opened, rows, config, run_id, seed, model, use),
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
        "feasibility": "model" if model and model.engine and model.score else "programmatic",
        "llm": use.summary(results),
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
@click.option(
    "--llm",
    type=click.Choice(LLM_ENGINES),
    help="rewrite each evolved question with this model (EvolSQL G.2 in spirit); the offline "
    "wording stays where its answer is unusable. Needs ANTHROPIC_API_KEY (or the openai server)",
)
@click.option(
    "--feasibility",
    type=click.Choice(["programmatic", "model"]),
    default="programmatic",
    show_default=True,
    help="model: the --llm model scores each operator per parent (EvolSQL's strategy model, G.4)",
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
    llm: str | None,
    feasibility: str,
    out_dir: Path | None,
    as_json: bool,
) -> None:
    """Evolve a run's accepted records into harder ones (EvolSQL operators, N rounds)."""
    if feasibility == "model" and llm is None:
        raise click.ClickException("--feasibility model needs --llm claude (or openai)")
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
            model=EvolveModel(llm, feasibility == "model"),
        )
    except (ExportError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    stderr_console().print(f"{summary['accepted']} evolved records → {target / 'dataset.jsonl'}")
    if summary.get("llm"):
        stderr_console().print(describe_llm(summary["llm"]))
    if as_json:
        print_json(summary)
