"""`sqlsynth run`: the embedded runtime, one run from request to files, resumable."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from nats.errors import Error as NatsError

from proto.common import Engine, ReviewMode
from proto.run import RunPlan, RunRequest, RunStatus
from proto.seed import SeedEvent
from services.runner.client import RunClient, run_ended
from services.runner.supervisor import Supervisor
from shared.llm.ledger import per_accepted
from shared.runtime.local import LocalStack
from shared.runtime.orphans import PIDS_DIR, living, start_reaper, stop_reaper
from shared.runtime.signals import Interrupt, interrupt_cancels

RUN_FILE = "run.json"
STATE_DIR = ".state"
SERVER_FOR_ENGINE = {Engine.POSTGRES: "postgres", Engine.MYSQL: "mysql"}
# What the Claude engine reads in the service processes (shared.llm.settings.LlmSettings).
LLM_ENV = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL")
LLM_ENV_PREFIX = ("SQLSYNTH_LLM_", "SQLSYNTH_OPENAI_")
# A status read that takes longer means the broker is down or restarting: try again later.
BROKER_READ_TIMEOUT_S = 5.0
log = structlog.get_logger()


class RunFailed(RuntimeError):
    """The run could not start or stalled; the message says why and where to look."""


@dataclass
class RunConfig:
    out_dir: Path
    request: RunRequest
    keep_state: bool = False
    replicas: dict[str, int] = field(default_factory=dict)
    postgres_dsn: str | None = None
    mysql_dsn: str | None = None
    # Seconds without any finished sample before the run is declared stalled.
    stall_timeout_s: float = 180.0
    extra_env: dict[str, str] = field(default_factory=dict)
    # The run's seeds (already in request.seed_pool), published before the request.
    seeds: list[SeedEvent] = field(default_factory=list)
    # Where the review app listens when the run asks for review (request.review).
    review_port: int = 8021


@dataclass
class RunResult:
    status: RunStatus
    plan: RunPlan
    elapsed_s: float
    out_dir: Path


ProgressFn = Callable[[RunStatus | None, RunPlan | None, float], None]


def load_request(out_dir: Path) -> RunRequest:
    path = out_dir / RUN_FILE
    if not path.exists():
        raise RunFailed(f"nothing to resume: {path} does not exist")
    return RunRequest.model_validate_json(path.read_text())


def start_stack(config: RunConfig) -> LocalStack:
    wanted = ["nats"]
    for engine, server in SERVER_FOR_ENGINE.items():
        dsn = config.postgres_dsn if engine is Engine.POSTGRES else config.mysql_dsn
        if engine in config.request.engines and not dsn:
            wanted.append(server)
    stack = LocalStack.start(wanted, base=config.out_dir / STATE_DIR)
    if stack.unavailable:
        stack.stop()
        problems = "; ".join(f"{name}: {why}" for name, why in stack.unavailable.items())
        raise RunFailed(
            f"cannot start {', '.join(stack.unavailable)} ({problems}). Install it, give a DSN "
            "(--postgres-dsn/--mysql-dsn), or leave the engine out with --engines."
        )
    return stack


def llm_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The key, endpoint and SQLSYNTH_LLM_* settings, passed on explicitly: the services must
    see what the preflight checked, whatever the supervisor's own environment handling."""
    return {
        name: value
        for name, value in environ.items()
        if name in LLM_ENV or name.startswith(LLM_ENV_PREFIX)
    }


def service_env(
    config: RunConfig, stack: LocalStack, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    request = config.request
    source = os.environ if environ is None else environ
    env = {
        **llm_env(source),
        # One secret per run: the validator replicas share its fixtures, records cannot
        # name them (shared.engines.base.SqlEngine.scratch_name).
        "SQLSYNTH_FIXTURE_SECRET": source.get("SQLSYNTH_FIXTURE_SECRET") or secrets.token_hex(16),
        "SQLSYNTH_NATS_URL": stack.dsn("nats") or "",
        "SQLSYNTH_OUT_DIR": str(config.out_dir),
        "SQLSYNTH_ENGINES": ",".join(e.value for e in request.engines),
        "SQLSYNTH_GENERATOR": request.generator,
        # Short ack wait: a killed worker's messages come back within seconds (a long LLM
        # handler keeps its message with in-progress acks, see services.common.delivery).
        "SQLSYNTH_ACK_WAIT_S": "15",
        # Read by the review app only (started when the run asks for review).
        "SQLSYNTH_REVIEW_PORT": str(config.review_port),
        "SQLSYNTH_REVIEW_RUN_ID": request.run_id,
        **config.extra_env,
    }
    postgres = config.postgres_dsn or stack.dsn("postgres")
    mysql = config.mysql_dsn or stack.dsn("mysql")
    if postgres:
        env["SQLSYNTH_POSTGRES_DSN"] = postgres
    if mysql:
        env["SQLSYNTH_MYSQL_DSN"] = mysql
    return env


async def read_progress(
    client: RunClient, run_id: str
) -> tuple[RunStatus | None, RunPlan | None] | None:
    """Status and plan, or None while the broker does not answer (it is being restarted)."""
    try:
        return await asyncio.wait_for(
            asyncio.gather(client.status(run_id), client.plan(run_id)), BROKER_READ_TIMEOUT_S
        )
    except (NatsError, OSError, TimeoutError):
        return None


async def watch(
    client: RunClient,
    config: RunConfig,
    supervisor: Supervisor,
    progress: ProgressFn,
    stack: LocalStack | None = None,
    interrupt: Interrupt | None = None,
) -> tuple[RunStatus, RunPlan]:
    run_id = config.request.run_id
    started = time.monotonic()
    last_finished, last_change = -1, time.monotonic()
    while True:
        if interrupt is not None and interrupt.requested:
            raise asyncio.CancelledError  # Ctrl-C whose cancellation was lost on the way
        if stack is not None:
            for name in stack.revive():  # the embedded servers: same data, same port
                log.warning("restarted a server that died", server=name)
        read = await read_progress(client, run_id)
        if read is None:
            await asyncio.sleep(0.5)
            continue
        status, plan = read
        progress(status, plan, time.monotonic() - started)
        if run_ended(status, plan):
            assert status is not None and plan is not None
            return status, plan
        finished = status.finished if status else 0
        if finished != last_finished:
            last_finished, last_change = finished, time.monotonic()
        elif (
            # A run under review waits for a person, who may take a break: never a stall.
            config.request.review is ReviewMode.OFF
            and time.monotonic() - last_change > config.stall_timeout_s
        ):
            raise RunFailed(
                f"no sample finished for {config.stall_timeout_s:.0f}s; "
                f"see the service logs in {config.out_dir / STATE_DIR / 'logs'}"
            )
        for key in supervisor.dead():  # crash-only services: restart, JetStream redelivers
            name = key.rsplit("-", 1)[0]
            supervisor.start(name, int(key.rsplit("-", 1)[1]))
        await asyncio.sleep(0.25)


# services/review/__main__.py: the review app serving this run's held samples.
REVIEW_PROCESS = "review"


def review_url(config: RunConfig) -> str:
    return f"http://127.0.0.1:{config.review_port}/"


def refuse_if_running(out_dir: Path) -> None:
    """One run per folder: the processes of an earlier run (a killed CLI's children, not yet
    reaped) would share its broker store and data directories."""
    alive = living(out_dir / STATE_DIR / PIDS_DIR)
    if alive:
        groups = ", ".join(f"{name} (pgid {pgid})" for name, pgid in alive.items())
        raise RunFailed(
            f"processes of an earlier run in {out_dir} are still running: {groups}. "
            "They stop within seconds of their command's end; wait, or stop them with "
            "kill -- -PGID, then resume."
        )


async def execute_run(config: RunConfig, progress: ProgressFn) -> RunResult:
    config.out_dir.mkdir(parents=True, exist_ok=True)
    refuse_if_running(config.out_dir)
    (config.out_dir / RUN_FILE).write_text(config.request.model_dump_json(indent=2))
    # Started before any child: if this process dies, even by SIGKILL, the reaper stops them.
    reaper = start_reaper(config.out_dir / STATE_DIR / PIDS_DIR)
    stack: LocalStack | None = None
    supervisor: Supervisor | None = None
    client: RunClient | None = None
    started = time.monotonic()
    async with interrupt_cancels() as interrupt:
        try:
            stack = start_stack(config)
            supervisor = Supervisor(
                service_env(config, stack), config.out_dir / STATE_DIR / "logs", config.replicas
            )
            supervisor.start_all()
            if config.request.review is not ReviewMode.OFF:
                supervisor.start(REVIEW_PROCESS)  # restarted like any service if it dies
            client = await RunClient.connect(stack.dsn("nats") or "")
            await client.publish_seeds(config.seeds)
            await client.request_run(config.request)
            status, plan = await watch(client, config, supervisor, progress, stack, interrupt)
        finally:
            # Each step on its own: a broker that died must not keep the servers running.
            if client is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(client.close(), 5)
            if supervisor is not None:
                supervisor.stop_all()
            if stack is not None:
                stack.stop()
            stop_reaper(reaper)
    result = RunResult(status, plan, time.monotonic() - started, config.out_dir)
    write_summary(result)
    # Imported when a run ends: the report pulls in scipy and matplotlib (seconds), which the
    # CLI's start-up and `--help` should not pay.
    from shared.report import write_run_report

    write_run_report(config.out_dir, config.request.spec)  # report.html + metrics.json
    if not config.keep_state and stack is not None:
        stack.purge()  # broker store, logs and the servers' data
    return result


def growth_summary(plan: RunPlan) -> dict[str, Any] | None:
    if plan.growth is None:
        return None
    return {
        "expand_ratio": plan.request.expand_ratio,
        "rounds": [r.model_dump(mode="json") for r in plan.growth.rounds],
        "seeds_used": len(plan.growth.used),
        "distinct_patterns": len(plan.growth.patterns),
    }


def write_summary(result: RunResult) -> None:
    status = result.status
    summary = {
        "run_id": status.run_id,
        "target": status.target,
        "planned": result.plan.planned,
        "accepted": status.accepted,
        "duplicate": status.duplicate,
        "rejected": status.rejected,
        "exhausted": result.plan.exhausted,
        # SQL-Factory's stopping criterion, when the run was started with --until-saturated.
        "saturated": result.plan.saturated_reasons,
        # The run's spending limit stopped planning (in-flight samples still finished).
        "budget_reached": result.plan.budget_reasons,
        "budget": {
            "usd": result.plan.request.budget_usd,
            "tokens": result.plan.request.budget_tokens,
        },
        "saturation": status.saturation.model_dump(mode="json"),
        "shifted_blueprints": result.plan.shifted,
        "seeds_used": len(result.plan.seed_uses),
        "problems": result.plan.problems,
        "elapsed_s": round(result.elapsed_s, 2),
        "accepted_per_s": round(status.accepted / result.elapsed_s, 2)
        if result.elapsed_s
        else None,
        "stages": status.stages,
        "rejection_reasons": status.rejection_reasons,
        # Sense checks by check (docs/sense.md): drafts sent to repair, samples rejected, and
        # warnings kept on accepted records (out of sense_checked accepted records).
        "sense": {
            "checked": status.sense_checked,
            "repaired": status.sense_repaired,
            "rejected": status.sense_rejected,
            "warnings": status.sense_warnings,
        },
        "cost": status.cost.model_dump(mode="json"),
        "usd_per_accepted": status.cost.usd / status.accepted if status.accepted else None,
        "calls_per_accepted": status.cost.calls / status.accepted if status.accepted else None,
        # All spend (rejected and duplicate samples' included) per accepted sample.
        "per_accepted": per_accepted(status.cost, status.accepted).as_dict(),
        # The explore-expand rounds (SQL-Factory's Management Agent), without the seed pool.
        "growth": growth_summary(result.plan),
    }
    (result.out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
