"""`sqlsynth submit`: start a run on services that are already up (`sqlsynth up`, Kubernetes).

The run's files are written by the cluster's sink; this command publishes the seeds and the
request, then follows the run's status until the planner marks it done (or returns at once with
--no-wait). `--seed-pool` draws from seeds the cluster already holds, e.g. those the ingest
service keeps publishing from production logs into the pool `default`.
"""

from __future__ import annotations

import asyncio
import time

import click
from rich.console import Console

from proto.run import RunPlan, RunRequest, RunStatus
from proto.seed import SeedEvent
from services.cli.run_request import build_request, request_options
from services.runner.client import RunClient, run_ended

console = Console(stderr=True)


async def submit(
    nats_url: str, request: RunRequest, seeds: list[SeedEvent], wait: bool, timeout_s: float
) -> tuple[RunStatus | None, RunPlan | None]:
    client = await RunClient.connect(nats_url)
    status: RunStatus | None = None
    plan: RunPlan | None = None
    try:
        await client.publish_seeds(seeds)
        await client.request_run(request)
        started = time.monotonic()
        while wait and time.monotonic() - started < timeout_s:
            status, plan = await client.status(request.run_id), await client.plan(request.run_id)
            if run_ended(status, plan):
                break
            await asyncio.sleep(0.5)
        return status, plan
    finally:
        await client.close()


@click.command("submit")
@request_options
@click.option("--nats-url", envvar="SQLSYNTH_NATS_URL", required=True)
@click.option("--seed-pool", help="seeds the cluster already holds (the ingest service: default)")
@click.option(
    "--seed-count",
    type=int,
    default=1,
    show_default=True,
    help="with --seed-pool: start once the pool holds this many",
)
@click.option("--wait/--no-wait", default=True, show_default=True)
@click.option("--timeout", "timeout_s", type=float, default=24 * 3600.0)
def submit_command(
    nats_url: str,
    seed_pool: str | None,
    seed_count: int,
    wait: bool,
    timeout_s: float,
    **options: object,
) -> None:
    """Start a run on running services; the cluster's sink writes the dataset.

    --engine names the cluster's generator (default template): the planner plans
    back-translation of seeds only for an LLM generator."""
    if seed_pool and options["seeds_file"]:
        raise click.UsageError("give --seeds or --seed-pool, not both")
    generator = str(options["engine"] or "template")
    pool_count = seed_count if seed_pool else 0
    request, seeds = build_request(
        dict(options), generator, seed_pool=seed_pool, seed_count=pool_count
    )
    try:
        status, plan = asyncio.run(submit(nats_url, request, seeds, wait, timeout_s))
    except (OSError, TimeoutError) as exc:  # ConnectionError is an OSError
        raise click.ClickException(str(exc) or f"cannot reach NATS at {nats_url}") from exc
    console.print(f"run {request.run_id} submitted")
    print(request.run_id)
    if not wait:
        return
    if status is None or plan is None or not plan.done:
        raise click.ClickException(f"run {request.run_id} not finished after {timeout_s:.0f}s")
    console.print(
        f"{status.accepted} accepted, {status.duplicate} duplicate, {status.rejected} rejected "
        f"(planned {plan.planned}); files in the sink's output folder"
    )
    for problem in plan.problems:
        console.print(f"[yellow]planner:[/] {problem}")
    if plan.saturated_reasons:
        console.print("saturated: " + "; ".join(plan.saturated_reasons))
    if plan.budget_reasons:
        console.print("budget reached: " + "; ".join(plan.budget_reasons))
