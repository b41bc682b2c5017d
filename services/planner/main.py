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
from proto.common import Outcome, Stage
from proto.run import RunPlan, RunRequest, RunStatus
from proto.sample import SampleEnvelope
from proto.seed import SeedEvent
from proto.versions import UnsupportedVersion, decode
from services.common.app import Service, create_app, create_service
from services.common.broker import kv_replicas
from services.common.delivery import publish_sample
from services.common.spend import SpendCounter
from services.planner.seeds import SeedPools, list_keys
from shared.pipeline.budget import has_budget
from shared.pipeline.planner import RunPlanner, new_plan
from shared.pipeline.seed_plan import usable_by
from shared.settings import ServiceSettings

PlannerService = Service[ServiceSettings, "PlannerState"]


class PlannerState:
    """Per-run planners, serialised by a lock per run (status events arrive concurrently)."""

    def __init__(self, service: PlannerService, kv: KeyValue, seeds: SeedPools) -> None:
        self.service = service
        self.kv = kv
        self.seeds = seeds
        self.planners: dict[str, RunPlanner] = {}
        self.latest: dict[str, RunStatus] = {}
        self.locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.spend = SpendCounter(service.broker)

    async def load(self, run_id: str) -> RunPlanner | None:
        if run_id not in self.planners:
            try:
                entry = await self.kv.get(run_id)
            except KeyNotFoundError:
                return None
            if entry.value is None:
                return None
            plan = RunPlan.model_validate_json(entry.value)
            pool = plan.request.seed_pool
            seeds = await self.seeds.load(f"{pool}.{i}" for i in plan.seed_ids)
            self.planners[run_id] = RunPlanner(plan, seeds)
        return self.planners[run_id]

    async def resume_waiting(self) -> None:
        """After a restart: the runs still waiting for their seeds (nothing else wakes them)."""
        for run_id in await list_keys(self.kv):
            entry = await self.kv.get(run_id)
            if entry.value and RunPlan.model_validate_json(entry.value).waiting_for_seeds:
                planner = await self.load(run_id)
                assert planner is not None
                await self.on_seeds(planner.plan.request.seed_pool or "")

    async def attach_seeds(self, planner: RunPlanner) -> None:
        """Fix the run's seeds once its pool holds the seeds the request announced."""
        plan, request = planner.plan, planner.plan.request
        if request.seed_pool is None or plan.seed_ids or plan.problems:
            return
        ids = self.seeds.ids(request.seed_pool)
        plan.waiting_for_seeds = len(ids) < max(request.seed_count, 1)
        if plan.waiting_for_seeds:
            return
        seeds = await self.seeds.load([f"{request.seed_pool}.{i}" for i in sorted(ids)])
        generator = request.generator
        good = {seed.seed_id: seed for seed in seeds.values() if usable_by(seed, generator)}
        plan.seed_ids = sorted(good)
        planner.use_seeds(good)
        if len(good) < len(seeds):
            plan.problems.append(
                f"{len(seeds) - len(good)} of {len(seeds)} seeds have no schema the {generator} "
                "engine can write on (give DDL with --schema-from, or seeds whose tables can be "
                "inferred)"
            )
        if not good:
            plan.problems.append(f"no usable seed in pool {request.seed_pool!r}")

    async def on_seeds(self, pool: str) -> None:
        for run_id, planner in list(self.planners.items()):
            if planner.plan.waiting_for_seeds and planner.plan.request.seed_pool == pool:
                async with self.locks[run_id]:
                    await self.attach_seeds(planner)
                    await self.advance(planner, self.latest.get(run_id))

    async def advance(self, planner: RunPlanner, status: RunStatus | None) -> None:
        # Publish first, save after: a crash in between republishes the same ids (deduplicated).
        request = planner.plan.request
        # The shared counter is read only for runs with a budget (one KV read per status).
        spent = await self.spend.read(request.run_id) if has_budget(request) else None
        for emit in planner.advance(status, spent):
            await publish_sample(self.service.broker, emit)
            self.service.metrics.samples.labels(Stage.PLANNER.value, Outcome.PLANNED.value).inc()
        await self.kv.put(planner.plan.request.run_id, planner.plan.model_dump_json().encode())

    async def on_request(self, request: RunRequest) -> None:
        async with self.locks[request.run_id]:
            planner = await self.load(request.run_id)
            if planner is None:
                planner = self.planners[request.run_id] = RunPlanner(new_plan(request))
            await self.attach_seeds(planner)
            await self.advance(planner, self.latest.get(request.run_id))

    async def on_accepted(self, envelope: SampleEnvelope) -> None:
        """An explore-expand run's accepted sample: its round's evaluation and a seed candidate
        (saved before the ack, so a crash redelivers it; counting is idempotent per sample)."""
        async with self.locks[envelope.run_id]:
            planner = await self.load(envelope.run_id)
            if planner is None or planner.plan.request.expand_ratio == 0:
                return
            planner.observe_accepted(envelope)
            await self.kv.put(envelope.run_id, planner.plan.model_dump_json().encode())

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


async def start(service: PlannerService) -> None:
    kv = await service.broker.key_value(subjects.RUN_PLAN_BUCKET, replicas=kv_replicas())
    seeds = await SeedPools.open(
        await service.broker.key_value(subjects.SEED_BUCKET, replicas=kv_replicas())
    )
    state = service.started = PlannerState(service, kv, seeds)
    await state.resume_waiting()


async def publish_poison(service: PlannerService, msg: NatsMessage, exc: Exception) -> None:
    """A message the planner cannot read (a malformed seed or status, a version it does not
    read): kept with its reason on the poison subject (the sink writes poison.jsonl)."""
    service.log.error("malformed message", error=str(exc)[:500], subject=msg.raw_message.subject)
    await service.broker.publish(
        msg.body,
        subjects.POISON,
        headers={
            "Sqlsynth-Error": str(exc).replace("\n", " ")[:1000],
            "Sqlsynth-Subject": msg.raw_message.subject,
            "Sqlsynth-Stage": "planner",
        },
        stream=subjects.STREAM,
    )
    await msg.ack()


def register(service: PlannerService) -> None:
    service.metrics.prime(Stage.PLANNER.value, [Outcome.PLANNED.value])

    @service.subscriber(subjects.RUN_REQUESTED, "planner-runs")
    async def on_run(msg: NatsMessage) -> None:
        try:
            request = decode(RunRequest, msg.body)
        except (ValidationError, UnsupportedVersion) as exc:
            service.log.error("malformed run request", error=str(exc)[:500])
            await msg.ack()  # the sink keeps it in poison.jsonl
            return
        await service.state.on_request(request)
        await msg.ack()

    @service.subscriber(subjects.SEED_INGESTED, "planner-seeds")
    async def on_seed(msg: NatsMessage) -> None:
        try:
            seed = decode(SeedEvent, msg.body)
        except (ValidationError, UnsupportedVersion) as exc:
            await publish_poison(service, msg, exc)
            return
        state = service.state
        await state.seeds.put(seed)
        await state.on_seeds(seed.pool)
        await msg.ack()

    @service.subscriber(subjects.SAMPLE_ACCEPTED, "planner-accepted")
    async def on_accepted(msg: NatsMessage) -> None:
        try:
            envelope = decode(SampleEnvelope, msg.body)
        except (ValidationError, UnsupportedVersion):
            await msg.ack()  # the sink, which reads the same subject, keeps it as poison
            return
        await service.state.on_accepted(envelope)
        await msg.ack()

    @service.subscriber(subjects.RUN_STATUS, "planner-status")
    async def on_status(msg: NatsMessage) -> None:
        try:
            status = decode(RunStatus, msg.body)
        except (ValidationError, UnsupportedVersion) as exc:
            await publish_poison(service, msg, exc)  # once, not redelivered forever
            return
        await service.state.on_status(status)
        await msg.ack()


def main() -> FastStream:
    service: PlannerService = create_service("planner", ServiceSettings(workers=4))
    register(service)
    return create_app(service, on_startup=start)
