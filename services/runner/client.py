"""A thin NATS client for the runner: publish the run request, read status and plan."""

from __future__ import annotations

import asyncio

import nats
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from proto import subjects
from proto.run import RunPlan, RunRequest, RunStatus
from proto.seed import SeedEvent
from services.common.broker import ensure_stream, kv_replicas

CONNECT_TIMEOUT_S = 15.0


def run_ended(status: RunStatus | None, plan: RunPlan | None) -> bool:
    """The planner marked the run done and the stored status shows every planned sample.

    The sink publishes a status before it stores it, so the planner can mark the plan done
    from a status a KV read does not show yet: waiting for it keeps the final counts exact.
    """
    return bool(status and plan and plan.done and status.finished >= plan.planned)


class RunClient:
    def __init__(self, nc: Client, status_kv: KeyValue, plan_kv: KeyValue) -> None:
        self.nc = nc
        self.status_kv = status_kv
        self.plan_kv = plan_kv

    @classmethod
    async def connect(cls, url: str, timeout_s: float = CONNECT_TIMEOUT_S) -> RunClient:
        """Connect, reconnecting for ever once connected; an unreachable server at the start
        is one ConnectionError after `timeout_s`, not an endless loop of logged retries."""

        async def quiet(exc: Exception) -> None:  # nats-py logs each failed try otherwise
            return None

        try:
            nc = await asyncio.wait_for(
                nats.connect(url, max_reconnect_attempts=-1, connect_timeout=2, error_cb=quiet),
                timeout_s,
            )
        except (TimeoutError, OSError, NatsError) as exc:
            raise ConnectionError(f"cannot reach NATS at {url} within {timeout_s:.0f}s") from exc
        js = nc.jetstream()
        await ensure_stream(js)
        status_kv = await js.create_key_value(
            bucket=subjects.RUN_STATUS_BUCKET, replicas=kv_replicas()
        )
        plan_kv = await js.create_key_value(bucket=subjects.RUN_PLAN_BUCKET, replicas=kv_replicas())
        return cls(nc, status_kv, plan_kv)

    async def publish_seeds(self, seeds: list[SeedEvent]) -> None:
        """The run's seeds, before its request; acked by the stream, so none can be lost."""
        js = self.nc.jetstream()
        for seed in seeds:
            await js.publish(
                subjects.SEED_INGESTED,
                seed.model_dump_json(exclude_none=True).encode(),
                headers={"Nats-Msg-Id": f"seed:{seed.pool}:{seed.seed_id}"},
            )

    async def request_run(self, request: RunRequest) -> None:
        await self.nc.jetstream().publish(
            subjects.RUN_REQUESTED,
            request.model_dump_json().encode(),
            headers={"Nats-Msg-Id": f"run:{request.run_id}"},
        )

    async def status(self, run_id: str) -> RunStatus | None:
        try:
            entry = await self.status_kv.get(run_id)
        except KeyNotFoundError:
            return None
        return RunStatus.model_validate_json(entry.value) if entry.value else None

    async def plan(self, run_id: str) -> RunPlan | None:
        try:
            entry = await self.plan_kv.get(run_id)
        except KeyNotFoundError:
            return None
        return RunPlan.model_validate_json(entry.value) if entry.value else None

    async def close(self) -> None:
        await self.nc.drain()
