"""Planner service: turns a run request into blueprints, and plans replacements from status."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from faststream import FastStream
from faststream.nats.annotations import NatsMessage
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue
from pydantic import ValidationError

from proto import subjects
from proto.run import RunPlan, RunRequest, RunStatus
from services.common.app import Service, create_app, create_service
from services.common.delivery import publish_sample
from shared.pipeline.planner import RunPlanner, new_plan
from shared.settings import ServiceSettings


class PlannerState:
    """Per-run planners, serialised by a lock per run (status events arrive concurrently)."""

    def __init__(self, service: Service, kv: KeyValue) -> None:
        self.service = service
        self.kv = kv
        self.planners: dict[str, RunPlanner] = {}
        self.latest: dict[str, RunStatus] = {}
        self.locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def load(self, run_id: str) -> RunPlanner | None:
        if run_id not in self.planners:
            try:
                entry = await self.kv.get(run_id)
            except KeyNotFoundError:
                return None
            if entry.value is None:
                return None
            self.planners[run_id] = RunPlanner(RunPlan.model_validate_json(entry.value))
        return self.planners[run_id]

    async def advance(self, planner: RunPlanner, status: RunStatus | None) -> None:
        # Publish first, save after: a crash in between republishes the same ids (deduplicated).
        for emit in planner.advance(status):
            await publish_sample(self.service.broker, emit)
        await self.kv.put(planner.plan.request.run_id, planner.plan.model_dump_json().encode())

    async def on_request(self, request: RunRequest) -> None:
        async with self.locks[request.run_id]:
            planner = await self.load(request.run_id)
            if planner is None:
                planner = self.planners[request.run_id] = RunPlanner(new_plan(request))
            await self.advance(planner, self.latest.get(request.run_id))

    async def on_status(self, status: RunStatus) -> None:
        async with self.locks[status.run_id]:
            previous = self.latest.get(status.run_id)
            if previous is not None and previous.finished > status.finished:
                return  # an older status delivered late
            self.latest[status.run_id] = status
            planner = await self.load(status.run_id)
            if planner is None or planner.plan.done:
                return
            await self.advance(planner, status)


async def start(service: Service) -> None:
    kv = await service.broker.key_value(subjects.RUN_PLAN_BUCKET)
    service.state["planner"] = PlannerState(service, kv)


def register(service: Service) -> None:
    @service.subscriber(subjects.RUN_REQUESTED, "planner-runs")
    async def on_run(msg: NatsMessage) -> None:
        try:
            request = RunRequest.model_validate_json(msg.body)
        except ValidationError as exc:
            service.log.error("malformed run request", error=str(exc)[:500])
            await msg.ack()  # the sink keeps it in poison.jsonl
            return
        await service.state["planner"].on_request(request)
        await msg.ack()

    @service.subscriber(subjects.RUN_STATUS, "planner-status")
    async def on_status(msg: NatsMessage) -> None:
        status = RunStatus.model_validate_json(msg.body)
        await service.state["planner"].on_status(status)
        await msg.ack()


def main() -> FastStream:
    service = create_service("planner", ServiceSettings(workers=4))
    register(service)
    return create_app(service, on_startup=start)
