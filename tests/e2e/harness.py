"""Drive a whole run on the shared test stack: services as processes, real NATS and engines."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proto.common import Engine
from proto.run import RunPlan, RunRequest, RunStatus
from proto.seed import SeedEvent
from services.runner.client import RunClient, run_ended
from services.runner.run import read_progress
from services.runner.supervisor import Supervisor
from shared.runtime.local import LocalStack
from shared.spec import load_spec


@dataclass
class RunOutput:
    request: RunRequest
    status: RunStatus
    plan: RunPlan
    out_dir: Path
    elapsed_s: float

    def records(self, name: str) -> list[dict[str, Any]]:
        path = self.out_dir / name
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]


def make_request(count: int, seed: int = 7, **overrides: Any) -> RunRequest:
    values: dict[str, Any] = {"spec": load_spec(None).to_document(), "max_in_flight": 128}
    return RunRequest(
        run_id=f"t-{uuid.uuid4().hex[:8]}", count=count, seed=seed, **{**values, **overrides}
    )


def start_services(
    stack: LocalStack,
    out_dir: Path,
    engines: list[Engine],
    extra_env: dict[str, str] | None = None,
) -> Supervisor:
    """Every service as a process; `extra_env` adds to (or overrides) their environment."""
    env = {
        "SQLSYNTH_NATS_URL": stack.dsn("nats") or "",
        "SQLSYNTH_POSTGRES_DSN": stack.dsn("postgres") or "",
        "SQLSYNTH_MYSQL_DSN": stack.dsn("mysql") or "",
        "SQLSYNTH_OUT_DIR": str(out_dir),
        "SQLSYNTH_ENGINES": ",".join(e.value for e in engines),
        "SQLSYNTH_ACK_WAIT_S": "5",
        "SQLSYNTH_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    supervisor = Supervisor(env, out_dir / "logs")
    supervisor.start_all()
    return supervisor


async def run_to_completion(
    stack: LocalStack,
    supervisor: Supervisor,
    request: RunRequest,
    out_dir: Path,
    timeout_s: float = 600,
    during: Any = None,
    seeds: list[SeedEvent] | None = None,
) -> RunOutput:
    client = await RunClient.connect(stack.dsn("nats") or "")
    started = time.monotonic()
    status: RunStatus | None = None
    plan: RunPlan | None = None
    try:
        await client.publish_seeds(seeds or [])
        await client.request_run(request)
        while time.monotonic() - started < timeout_s:
            # As the CLI reads it: a read the starved broker did not answer is polled again.
            read = await read_progress(client, request.run_id)
            if read is None:
                await asyncio.sleep(0.2)
                continue
            status, plan = read
            if during is not None and status is not None:
                await during(status)
            if run_ended(status, plan):
                assert status is not None and plan is not None
                return RunOutput(request, status, plan, out_dir, time.monotonic() - started)
            await asyncio.sleep(0.2)
        raise AssertionError(stall_report(timeout_s, status, plan, supervisor, out_dir))
    finally:
        await client.close()


def stall_report(
    timeout_s: float,
    status: RunStatus | None,
    plan: RunPlan | None,
    supervisor: Supervisor,
    out_dir: Path,
) -> str:
    """Why a run did not end, short enough to survive a CI log excerpt: the plan's and the
    status's counts, the services that died, and each log's last warning or error lines (the
    whole logs are printed, for the captured output)."""
    lines = [f"run did not finish in {timeout_s}s"]
    if plan is not None:
        lines.append(
            f"plan: planned={plan.planned} done={plan.done} "
            f"waiting_for_seeds={plan.waiting_for_seeds} seeds={len(plan.seed_ids)} "
            f"problems={plan.problems[:3]}"
        )
    if status is not None:
        lines.append(
            f"status: finished={status.finished} accepted={status.accepted} "
            f"duplicate={status.duplicate} rejected={status.rejected}"
        )
    lines.append(f"dead services: {supervisor.dead()}")
    for log in sorted((out_dir / "logs").glob("*.log")):
        text = log.read_text(errors="replace")
        print(f"--- {log.name} (last 4000 chars)\n{text[-4000:]}")
        loud = [ln for ln in text.splitlines() if '"error"' in ln or '"warning"' in ln]
        for line in loud[-2:]:
            lines.append(f"{log.name}: {line[:300]}")
    return "\n".join(lines)
